import { bytesToHex, type TrackerAnnounce } from '../nostr/tracker-announce'

export const DEDUPE_WINDOW_MS = 30_000
const DEFAULT_MAX_KEYS = 2_000

export interface AnnounceDedupeOptions {
  now: () => number
  windowMs?: number
  /** Bound on remembered announces, so a flood cannot grow memory. */
  maxKeys?: number
}

export interface AnnounceDedupe {
  /**
   * Records the announce and says whether the same one was already seen
   * within the window. Clients announce the same state to several tracker
   * URLs, and over IPv4 and IPv6 (BEP 7); only one copy should be published.
   */
  seenRecently(a: TrackerAnnounce): boolean
}

/** Remembers recent announces by everything that would end up in the event. */
export function createAnnounceDedupe(opts: AnnounceDedupeOptions): AnnounceDedupe {
  const windowMs = opts.windowMs ?? DEDUPE_WINDOW_MS
  const maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS
  // Map keeps insertion order, and re-inserting moves a key to the end, so
  // the first keys are always the oldest ones.
  const seen = new Map<string, number>()

  const evictExpired = (now: number): void => {
    for (const [key, at] of seen) {
      if (now - at < windowMs && seen.size <= maxKeys) break
      seen.delete(key)
    }
  }

  return {
    seenRecently(a) {
      const now = opts.now()
      evictExpired(now)
      const key = dedupeKey(a)
      const at = seen.get(key)
      if (at !== undefined && now - at < windowMs) return true
      seen.delete(key)
      seen.set(key, now)
      if (seen.size > maxKeys) evictExpired(now)
      return false
    },
  }
}

/** The identity of an announce: two with equal keys publish the same event content. */
export function dedupeKey(a: TrackerAnnounce): string {
  return [
    a.infoHash,
    bytesToHex(a.peerId),
    a.key === undefined ? '-' : bytesToHex(a.key),
    a.uploaded.toString(),
    a.downloaded.toString(),
    a.left === null ? '-' : a.left.toString(),
    a.event ?? '-',
    a.port ?? '-',
  ].join('|')
}
