/** Something the user may want to know that is not an announce, e.g. an announce we could not read. */
export interface ActivityEntry {
  at: number
  /** `ignored`: an announce not published; `replace`: replace mode could not ask the relays. */
  kind: 'ignored' | 'replace'
  /** The tracker host; never a path or query, which may hold a passkey. */
  host: string
  reason: string
}

export interface ActivityLog {
  add(entry: ActivityEntry): void
  /** Newest first. */
  recent(limit?: number): ActivityEntry[]
}

export const ACTIVITY_LOG_SIZE = 50

/**
 * A bounded in-memory log. It is lost when the worker stops, which is fine:
 * it explains skipped announces, and every accepted one is in the outbox.
 */
export function createActivityLog(size = ACTIVITY_LOG_SIZE): ActivityLog {
  const entries: ActivityEntry[] = []
  return {
    add(entry) {
      entries.push(entry)
      if (entries.length > size) entries.splice(0, entries.length - size)
    },
    recent(limit = size) {
      return entries.slice(-limit).reverse()
    },
  }
}

export interface OnceFilter {
  /** True the first time a key is seen; false for repeats, within a bounded memory. */
  first(key: string): boolean
}

/**
 * Remembers up to `size` keys, forgetting the oldest, so a page that keeps
 * sending the same broken announce is reported once rather than every
 * interval, while a flood of distinct ones cannot grow memory.
 */
export function createOnceFilter(size = 256): OnceFilter {
  const seen = new Set<string>()
  return {
    first(key) {
      if (seen.has(key)) return false
      seen.add(key)
      if (seen.size > size) {
        const oldest = seen.values().next()
        if (oldest.done !== true) seen.delete(oldest.value)
      }
      return true
    },
  }
}
