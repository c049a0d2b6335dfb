import type { NostrEvent } from 'nostr-tools/core'
import type { Kind21000Announce } from '../nostr/kind21000'
import { parseGateState, type GateState } from './consent/hold'
import {
  QUEUE_DONE,
  QUEUE_HELD,
  QUEUE_PUBLISH,
  type OutboxDb,
  type OutboxRecord,
  type QueueState,
  type StoredAnnounce,
} from './outbox-db'
import { isOpen, isUnfinished, type RelayResult, type RelayResults } from './relay-result'

/** One queued or published announce. */
export interface OutboxEntry {
  id: number
  announce: Kind21000Announce
  site: string
  /** The top-level origin of the page that made the request: what the user allows or blocks. */
  origin: string
  trackerHost: string
  seenAt: number
  /** Held for the user's decision, or dropped; absent when free to publish. */
  gate?: GateState
  signed?: { event: NostrEvent; signedAt: number }
  /** Keyed by relay URL. */
  results: RelayResults
}

export type NewOutboxEntry = Omit<OutboxEntry, 'id' | 'results' | 'signed'>

/** Finished entries kept for the activity view; older ones are pruned. */
export const KEEP_FINISHED = 500

export interface Outbox {
  /**
   * Queues an announce for `relays` and supersedes what is still unfinished
   * of older announces of the same torrent session (see RelayResult).
   */
  add(entry: NewOutboxEntry, relays: readonly string[]): Promise<OutboxEntry>
  get(id: number): Promise<OutboxEntry | undefined>
  /** Entries with an unfinished relay (or no relay at all), oldest first; held ones are not. */
  listOpen(): Promise<OutboxEntry[]>
  /** Entries waiting for the user's decision, oldest first. */
  listHeld(): Promise<OutboxEntry[]>
  countOpen(): Promise<number>
  /**
   * The newest entries (newest first) and the open count, read in ONE transaction, so the
   * popup never shows an announce as delivered while still counting it as
   * waiting (two separate reads can straddle a publisher update).
   */
  snapshot(limit: number): Promise<{ recent: OutboxEntry[]; openCount: number }>
  /**
   * Read-modify-write of one entry in a single transaction. `change` must be
   * synchronous (an IndexedDB transaction ends at the first foreign await);
   * returning undefined leaves the entry as it is.
   */
  update(
    id: number,
    change: (e: OutboxEntry) => OutboxEntry | undefined,
  ): Promise<OutboxEntry | undefined>
  /** Deletes the oldest finished entries beyond `keep`; returns how many went. */
  prune(keep?: number): Promise<number>
  /** Final refusals whose message matches, e.g. {@link isInsufficientBalance}. */
  findRefused(match: (message: string) => boolean): Promise<{ entry: OutboxEntry; relay: string }[]>
  /**
   * Puts one relay of one entry back in the queue (after a top-up), if it
   * still holds a refusal `match` accepts. The stored signature goes in the
   * same write: the refused event is old, so the publisher signs the same
   * counters again with a fresh `created_at`.
   */
  requeue(id: number, relay: string, match?: (message: string) => boolean): Promise<boolean>
  /**
   * Counts this outbox's writes, so a reader can keep what it derived from
   * the entries until the next write (the worker is the only writer).
   */
  revision(): number
}

/** Thrown when a stored record cannot be read back; the record is skipped, not lost. */
export class OutboxRecordError extends Error {
  override name = 'OutboxRecordError'
}

/**
 * The IndexedDB outbox. Everything the publisher needs to resume after the
 * service worker is killed lives here, never in module state.
 */
export function createOutbox(db: OutboxDb, warn: (m: string) => void = console.warn): Outbox {
  const decodeAll = (records: OutboxRecord[]): OutboxEntry[] => {
    const out: OutboxEntry[] = []
    for (const r of records) {
      try {
        out.push(fromRecord(r))
      } catch (e) {
        warn(`tseed: skipping outbox record ${r.id ?? '?'}: ${(e as Error).message}`)
      }
    }
    return out
  }

  let revision = 0

  const update: Outbox['update'] = async (id, change) => {
    const tx = db.transaction('outbox', 'readwrite')
    const r = await tx.store.get(id)
    if (r === undefined) {
      await tx.done
      return undefined
    }
    const next = change(fromRecord(r))
    if (next !== undefined) await tx.store.put(toRecord({ ...next, id }))
    await tx.done
    if (next !== undefined) revision++
    return next
  }

  const snapshot: Outbox['snapshot'] = async (limit) => {
    const tx = db.transaction('outbox')
    const openCount = await tx.store.index('open').count(QUEUE_PUBLISH)
    const records: OutboxRecord[] = []
    let cursor = await tx.store.openCursor(null, 'prev')
    while (cursor && records.length < limit) {
      records.push(cursor.value)
      cursor = await cursor.continue()
    }
    return { recent: decodeAll(records), openCount }
  }

  return {
    async add(entry, relays) {
      const results: RelayResults = {}
      for (const url of relays) results[url] = { state: 'pending' }
      const tx = db.transaction('outbox', 'readwrite')
      const session = entry.announce.session
      if (session !== undefined) {
        for (const queue of [QUEUE_PUBLISH, QUEUE_HELD] as const) {
          let cursor = await tx.store.index('open').openCursor(queue)
          while (cursor) {
            const r = cursor.value
            if (r.announce.infoHash === entry.announce.infoHash && r.announce.session === session) {
              const next: OutboxRecord = { ...r, results: supersede(r.results, entry.seenAt) }
              // A held announce that a newer one replaces is never asked about again.
              if (queue === QUEUE_HELD)
                next.gate = { state: 'dropped', reason: 'superseded', at: entry.seenAt }
              next.open = queueOf(next.gate, next.results)
              await cursor.update(next)
            }
            cursor = await cursor.continue()
          }
        }
      }
      const record = toRecord({ ...entry, id: 0, results })
      delete record.id
      const id = await tx.store.add(record)
      await tx.done
      revision++
      return { ...entry, id, results }
    },

    async get(id) {
      const r = await db.get('outbox', id)
      return r === undefined ? undefined : decodeAll([r])[0]
    },

    async listOpen() {
      const records = await db.getAllFromIndex('outbox', 'open', QUEUE_PUBLISH)
      return decodeAll(records).sort((a, b) => a.id - b.id)
    },

    async listHeld() {
      const records = await db.getAllFromIndex('outbox', 'open', QUEUE_HELD)
      return decodeAll(records).sort((a, b) => a.id - b.id)
    },

    snapshot,

    countOpen: () => db.countFromIndex('outbox', 'open', QUEUE_PUBLISH),

    update,

    async prune(keep = KEEP_FINISHED) {
      const tx = db.transaction('outbox', 'readwrite')
      const finished = await tx.store.index('open').count(QUEUE_DONE)
      let excess = finished - keep
      let deleted = 0
      // Index order within one key is primary-key order, so this walks oldest first.
      let cursor = excess > 0 ? await tx.store.index('open').openCursor(QUEUE_DONE) : null
      while (cursor && excess > 0) {
        await cursor.delete()
        deleted++
        excess--
        cursor = await cursor.continue()
      }
      await tx.done
      if (deleted > 0) revision++
      return deleted
    },

    async findRefused(match) {
      const records = await db.getAllFromIndex('outbox', 'open', QUEUE_DONE)
      const found: { entry: OutboxEntry; relay: string }[] = []
      for (const entry of decodeAll(records)) {
        for (const [relay, r] of Object.entries(entry.results)) {
          if (r.state === 'refused' && match(r.message)) found.push({ entry, relay })
        }
      }
      return found
    },

    async requeue(id, relay, match = () => true) {
      let done = false
      await update(id, (e) => {
        const r = e.results[relay]
        // Someone else (another top-up, the user) may have got here first.
        if (r?.state !== 'refused' || !match(r.message)) return undefined
        done = true
        const next: OutboxEntry = { ...e, results: { ...e.results, [relay]: { state: 'pending' } } }
        delete next.signed
        return next
      })
      return done
    },

    revision: () => revision,
  }
}

/** The one place an entry's queue is derived: the gate first, then the relays' answers. */
function queueOf(gate: GateState | undefined, results: RelayResults): QueueState {
  if (gate?.state === 'held') return QUEUE_HELD
  if (gate?.state === 'dropped') return QUEUE_DONE
  return isOpen(results) ? QUEUE_PUBLISH : QUEUE_DONE
}

function supersede(results: RelayResults, at: number): RelayResults {
  const next: RelayResults = {}
  for (const [url, r] of Object.entries(results)) {
    next[url] = isUnfinished(r) ? { state: 'superseded', at } : r
  }
  return next
}

/** The announce fields stored as they are (everything but the BigInt counters). */
type OptionalFields = Pick<StoredAnnounce, 'port' | 'relay' | 'event' | 'session' | 'expiration'>

/** Copies the optional fields that are set, so absent ones stay absent rather than undefined. */
function copyOptional(from: OptionalFields, to: OptionalFields): void {
  if (from.port !== undefined) to.port = from.port
  if (from.relay !== undefined) to.relay = from.relay
  if (from.event !== undefined) to.event = from.event
  if (from.session !== undefined) to.session = from.session
  if (from.expiration !== undefined) to.expiration = from.expiration
}

/** @internal exported for tests */
export function toRecord(e: OutboxEntry): OutboxRecord {
  const a = e.announce
  const announce: StoredAnnounce = {
    infoHash: a.infoHash,
    uploaded: a.uploaded.toString(),
    downloaded: a.downloaded.toString(),
    left: a.left.toString(),
  }
  copyOptional(a, announce)
  const record: OutboxRecord = {
    id: e.id,
    announce,
    site: e.site,
    origin: e.origin,
    trackerHost: e.trackerHost,
    seenAt: e.seenAt,
    results: e.results,
    open: queueOf(e.gate, e.results),
  }
  if (e.gate !== undefined) record.gate = e.gate
  if (e.signed !== undefined) record.signed = e.signed
  return record
}

const DIGITS = /^[0-9]{1,20}$/

/** @internal exported for tests */
export function fromRecord(r: OutboxRecord): OutboxEntry {
  if (r.id === undefined) throw new OutboxRecordError('record has no id')
  const s = r.announce
  const counter = (name: 'uploaded' | 'downloaded' | 'left'): bigint => {
    const v = s[name]
    if (typeof v !== 'string' || !DIGITS.test(v)) {
      throw new OutboxRecordError(`${name} is not a decimal string`)
    }
    return BigInt(v)
  }
  const announce: Kind21000Announce = {
    infoHash: s.infoHash,
    uploaded: counter('uploaded'),
    downloaded: counter('downloaded'),
    left: counter('left'),
  }
  copyOptional(s, announce)
  const entry: OutboxEntry = {
    id: r.id,
    announce,
    site: r.site,
    // Records from before consent existed were published already; their site stands in.
    origin: r.origin ?? `http://${r.site}`,
    trackerHost: r.trackerHost,
    seenAt: r.seenAt,
    results: r.results,
  }
  if (r.gate !== undefined) {
    const gate = parseGateState(r.gate)
    if (gate === undefined) throw new OutboxRecordError('gate state is unreadable')
    entry.gate = gate
  }
  if (r.signed !== undefined) entry.signed = r.signed
  return entry
}

/** Sets one relay's result, unless a newer announce superseded it meanwhile and this is not a delivery. */
export function withResult(e: OutboxEntry, relay: string, result: RelayResult): OutboxEntry {
  const current = e.results[relay]
  // A relay removed while the attempt was in flight stays removed.
  if (current === undefined) return e
  // A delivery is a fact worth recording even after supersession; a failure is not.
  if (current.state === 'superseded' && result.state !== 'ok') return e
  return { ...e, results: { ...e.results, [relay]: result } }
}
