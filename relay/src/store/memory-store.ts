import type { NostrEvent } from 'nostr-tools/core'
import { matchFilter, type Filter } from '../core/filters'
import {
  announceKeyString,
  compareNewestFirst,
  isNewer,
  type AnnounceKey,
  type AnnounceStore,
  type PutResult,
  type StoredAnnounce,
} from './announce-store'

/** An AnnounceStore in a Map, for unit tests and throwaway relays. */
export class MemoryAnnounceStore implements AnnounceStore {
  private readonly byKey = new Map<string, StoredAnnounce>()
  private readonly keyById = new Map<string, string>()

  hasId(id: string, now: number): Promise<boolean> {
    const key = this.keyById.get(id)
    const entry = key === undefined ? undefined : this.byKey.get(key)
    return Promise.resolve(entry !== undefined && entry.expiresAt > now)
  }

  current(key: AnnounceKey, now: number): Promise<StoredAnnounce | undefined> {
    const entry = this.byKey.get(announceKeyString(key))
    return Promise.resolve(entry !== undefined && entry.expiresAt > now ? entry : undefined)
  }

  put(entry: StoredAnnounce, now: number): Promise<PutResult> {
    const key = announceKeyString({
      pubkey: entry.event.pubkey,
      infoHash: entry.infoHash,
      session: entry.session,
    })
    const old = this.byKey.get(key)
    if (old !== undefined && old.expiresAt > now && !isNewer(entry.event, old.event)) {
      return Promise.resolve('stale')
    }
    if (old !== undefined) this.keyById.delete(old.event.id)
    this.byKey.set(key, entry)
    this.keyById.set(entry.event.id, key)
    return Promise.resolve('stored')
  }

  query(filter: Filter, now: number, limit: number): Promise<NostrEvent[]> {
    const out: NostrEvent[] = []
    for (const entry of this.byKey.values()) {
      if (entry.expiresAt > now && matchFilter(filter, entry.event)) out.push(entry.event)
    }
    return Promise.resolve(out.sort(compareNewestFirst).slice(0, limit))
  }

  pruneExpired(now: number): Promise<number> {
    let n = 0
    for (const [key, entry] of this.byKey) {
      if (entry.expiresAt <= now) {
        this.byKey.delete(key)
        this.keyById.delete(entry.event.id)
        n++
      }
    }
    return Promise.resolve(n)
  }

  close(): Promise<void> {
    this.byKey.clear()
    this.keyById.clear()
    return Promise.resolve()
  }
}
