import type { NostrEvent } from 'nostr-tools/core'
import type { Filter } from '../core/filters'
import type { TransactionRunner } from '../core/group-commit'

/** An accepted announce with what the store needs to index and expire it. */
export interface StoredAnnounce {
  event: NostrEvent
  infoHash: string
  /** The announce's `session` tag, or '' when it has none. */
  session: string
  /** Unix seconds after which the announce leaves the swarm. */
  expiresAt: number
}

/** What identifies "the same client session in the same swarm". */
export interface AnnounceKey {
  pubkey: string
  infoHash: string
  session: string
}

export type PutResult = 'stored' | 'stale'

/**
 * Keeps the latest announce per (pubkey, info hash, session) until it expires.
 * Expired rows are invisible to every read even before `pruneExpired` removes
 * them, so pruning is housekeeping, never a correctness step.
 */
export interface AnnounceStore {
  /** True when this exact event is the stored, unexpired announce of its key. */
  hasId(id: string, now: number): Promise<boolean>
  /** The unexpired announce stored for a key. */
  current(key: AnnounceKey, now: number): Promise<StoredAnnounce | undefined>
  /**
   * Stores the announce unless an unexpired one for the same key is newer
   * (`isNewer`), in which case nothing changes and 'stale' comes back.
   */
  put(entry: StoredAnnounce, now: number): Promise<PutResult>
  /** Unexpired announces matching the filter, newest first, at most `limit`. */
  query(filter: Filter, now: number, limit: number): Promise<NostrEvent[]>
  /** Deletes expired announces and returns how many went. */
  pruneExpired(now: number): Promise<number>
  close(): Promise<void>
  /**
   * Synchronous access for group commit. The relay admits every announce
   * through it: the announces of one event-loop turn are written, together
   * with whatever the synchronous policy (the ledger) writes on the same
   * database handle, in one transaction, one savepoint each.
   */
  readonly writes: AnnounceWrites
}

/**
 * The synchronous side of a store. Reads see the writes of the open
 * transaction; `transaction` nests as savepoints.
 */
export interface AnnounceWrites extends TransactionRunner {
  hasId(id: string, now: number): boolean
  current(key: AnnounceKey, now: number): StoredAnnounce | undefined
  /**
   * {@link current} for many keys, answered in their order: on PostgreSQL
   * one round trip for them all.
   */
  currentMany(keys: readonly AnnounceKey[], now: number): (StoredAnnounce | undefined)[]
  put(entry: StoredAnnounce, now: number): PutResult
  /**
   * Stores `entry` in place of whatever its key holds, without reading it
   * first: one round trip less per announce on PostgreSQL. Only for a caller
   * that read {@link current} for the key in the same transaction, under the
   * key's lock, and found nothing as new as `entry`.
   */
  replace(entry: StoredAnnounce): void
  /**
   * Sends the read {@link current} makes for `key` ahead, with the next
   * round trip (readAhead in store/database.ts). Optional.
   */
  readAheadCurrent?(key: AnnounceKey): void
}

/**
 * NIP-01 replaceable-event order: the later `created_at` wins, and on a tie
 * the lower id, so every relay keeps the same one.
 */
export function isNewer(a: NostrEvent, b: NostrEvent): boolean {
  if (a.created_at !== b.created_at) return a.created_at > b.created_at
  return a.id < b.id
}

/** Newest first, ties by id: the order REQ results go out in. */
export function compareNewestFirst(a: NostrEvent, b: NostrEvent): number {
  if (a.created_at !== b.created_at) return b.created_at - a.created_at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** A map key for an AnnounceKey; the NUL separator cannot occur in hex. */
export function announceKeyString(k: AnnounceKey): string {
  return `${k.pubkey}\u0000${k.infoHash}\u0000${k.session}`
}
