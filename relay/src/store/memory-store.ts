import type { NostrEvent } from 'nostr-tools/core'
import { matchFilter, type Filter } from '../core/filters'
import {
  announceKeyString,
  compareNewestFirst,
  isNewer,
  type AnnounceKey,
  type AnnounceStore,
  type AnnounceWrites,
  type PutResult,
  type StoredAnnounce,
} from './announce-store'

type Undo = () => void

/**
 * The announces in two Maps, with transactions that nest as savepoints the way
 * SQLite's do: every change made inside one is logged and undone if it throws.
 * That lets the relay run the same group-commit admission on this store as on
 * SQLite, so there is one announce path to test.
 */
class MemoryAnnounces implements AnnounceWrites {
  private readonly byKey = new Map<string, StoredAnnounce>()
  private readonly keyById = new Map<string, string>()
  /** Undo logs of the open transaction and its savepoints, innermost last. */
  private readonly logs: Undo[][] = []

  get inTransaction(): boolean {
    return this.logs.length > 0
  }

  transaction<T>(fn: () => T): T {
    const log: Undo[] = []
    this.logs.push(log)
    let result: T
    try {
      result = fn()
    } catch (err) {
      this.logs.pop()
      this.logs.push([]) // what the undo itself changes is not logged anywhere
      for (let i = log.length - 1; i >= 0; i--) log[i]?.()
      this.logs.pop()
      throw err
    }
    this.logs.pop()
    // A released savepoint's changes still belong to the enclosing transaction.
    const parent = this.logs.at(-1)
    if (parent !== undefined) for (const undo of log) parent.push(undo)
    return result
  }

  hasId(id: string, now: number): boolean {
    const key = this.keyById.get(id)
    const entry = key === undefined ? undefined : this.byKey.get(key)
    return entry !== undefined && entry.expiresAt > now
  }

  current(key: AnnounceKey, now: number): StoredAnnounce | undefined {
    const entry = this.byKey.get(announceKeyString(key))
    return entry !== undefined && entry.expiresAt > now ? entry : undefined
  }

  currentMany(keys: readonly AnnounceKey[], now: number): (StoredAnnounce | undefined)[] {
    return keys.map((key) => this.current(key, now))
  }

  put(entry: StoredAnnounce, now: number): PutResult {
    const key = announceKeyString({
      pubkey: entry.event.pubkey,
      infoHash: entry.infoHash,
      session: entry.session,
    })
    const old = this.byKey.get(key)
    if (old !== undefined && old.expiresAt > now && !isNewer(entry.event, old.event)) {
      return 'stale'
    }
    this.set(key, entry)
    return 'stored'
  }

  replace(entry: StoredAnnounce): void {
    const { pubkey } = entry.event
    this.set(announceKeyString({ pubkey, infoHash: entry.infoHash, session: entry.session }), entry)
  }

  query(filter: Filter, now: number, limit: number): NostrEvent[] {
    const out: NostrEvent[] = []
    for (const entry of this.byKey.values()) {
      if (entry.expiresAt > now && matchFilter(filter, entry.event)) out.push(entry.event)
    }
    return out.sort(compareNewestFirst).slice(0, limit)
  }

  pruneExpired(now: number): number {
    let n = 0
    for (const [key, entry] of this.byKey) {
      if (entry.expiresAt <= now) {
        this.set(key, undefined)
        n++
      }
    }
    return n
  }

  clear(): void {
    this.byKey.clear()
    this.keyById.clear()
  }

  /** The one mutation: the key's entry becomes `entry` (or goes), logged for undo. */
  private set(key: string, entry: StoredAnnounce | undefined): void {
    const old = this.byKey.get(key)
    if (old !== undefined) this.keyById.delete(old.event.id)
    if (entry === undefined) {
      this.byKey.delete(key)
    } else {
      this.byKey.set(key, entry)
      this.keyById.set(entry.event.id, key)
    }
    this.logs.at(-1)?.push(() => {
      this.set(key, old)
    })
  }
}

/** An AnnounceStore in a Map, for unit tests and throwaway relays. */
export class MemoryAnnounceStore implements AnnounceStore {
  readonly writes = new MemoryAnnounces()

  hasId(id: string, now: number): Promise<boolean> {
    return Promise.resolve(this.writes.hasId(id, now))
  }

  current(key: AnnounceKey, now: number): Promise<StoredAnnounce | undefined> {
    return Promise.resolve(this.writes.current(key, now))
  }

  put(entry: StoredAnnounce, now: number): Promise<PutResult> {
    return Promise.resolve(this.writes.put(entry, now))
  }

  query(filter: Filter, now: number, limit: number): Promise<NostrEvent[]> {
    return Promise.resolve(this.writes.query(filter, now, limit))
  }

  pruneExpired(now: number): Promise<number> {
    return Promise.resolve(this.writes.pruneExpired(now))
  }

  close(): Promise<void> {
    this.writes.clear()
    return Promise.resolve()
  }
}
