import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { NostrEvent } from 'nostr-tools/core'
import type { AnnounceEventName } from '../nostr/tracker-announce'
import type { GateState } from './consent/hold'
import type { RelayResults } from './relay-result'

/**
 * The announce as IndexedDB holds it. Structured clone could keep BigInt, but
 * strings survive every export path (JSON, messages, devtools) unchanged.
 */
export interface StoredAnnounce {
  infoHash: string
  uploaded: string
  downloaded: string
  left: string
  port?: number
  relay?: string
  event?: AnnounceEventName
  session?: string
  expiration?: number
}

export interface OutboxRecord {
  id?: number
  announce: StoredAnnounce
  site: string
  /** The top-level page origin consent is keyed by; absent in records written before consent existed. */
  origin?: string
  trackerHost: string
  seenAt: number
  /** Absent: free to publish. */
  gate?: GateState
  /** The event as signed for the first attempt; kept so retries resend the same id. */
  signed?: { event: NostrEvent; signedAt: number }
  results: RelayResults
  /**
   * The queue an entry is in, as a number because IndexedDB cannot index
   * booleans: {@link QUEUE_PUBLISH} while any relay is unfinished,
   * {@link QUEUE_HELD} while it waits for the user, else {@link QUEUE_DONE}.
   */
  open: QueueState
}

export const QUEUE_DONE = 0
export const QUEUE_PUBLISH = 1
export const QUEUE_HELD = 2
export type QueueState = typeof QUEUE_DONE | typeof QUEUE_PUBLISH | typeof QUEUE_HELD

export interface OutboxSchema extends DBSchema {
  outbox: {
    key: number
    value: OutboxRecord
    indexes: { open: number }
  }
}

export type OutboxDb = IDBPDatabase<OutboxSchema>

export const OUTBOX_DB_NAME = 'tseed'
export const OUTBOX_DB_VERSION = 1

/**
 * Schema steps, one per version. Each runs once, in order, for a database
 * older than its version; a new version appends a step and never edits one.
 */
const MIGRATIONS: ((db: OutboxDb) => void)[] = [
  (db) => {
    const store = db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true })
    store.createIndex('open', 'open')
  },
]

/** Opens (and creates or upgrades) the outbox database. */
export function openOutboxDb(name = OUTBOX_DB_NAME): Promise<OutboxDb> {
  return openDB<OutboxSchema>(name, OUTBOX_DB_VERSION, {
    upgrade(db, oldVersion) {
      for (let v = oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v]?.(db)
    },
  })
}
