/**
 * Builds a TSEED relay database that already holds N live kind 21000
 * announces (`npm run bench -- --stored N`), directly in SQLite rather than
 * over the WebSocket, which would take the relay's ingest rate (minutes per
 * million).
 *
 * The schema comes from the components themselves (`SqliteAnnounceStore` and
 * `Ledger` run their migrations). Each announce then gets the rows the relay
 * writes when it accepts one, with the same SQL (`stored-db.test.ts` compares
 * them with the relay's own write path):
 *
 * - `announces`: the event, its key (pubkey, info hash, session) and expiry;
 *   no `announce_tags` rows, because these events have no single-letter tag
 *   other than `i`, which is a column;
 * - `ledger_announce_state`: the session's counters (all zero: a `started`
 *   announce with nothing transferred yet, so no charge, claim, carry or
 *   posting), `left` 0 for seeders;
 * - `ledger_announce_seen`: the event id, so a replay is a duplicate, for
 *   announces inside the ledger's `created_at` window only: the ledger prunes
 *   older ids at each settlement (one runs at the end of the build), and
 *   refuses such old events anyway.
 *
 * Events are generated, and signed unless `sign` is false, on worker threads
 * (stored-worker.ts); the main thread only inserts, in a few big
 * transactions, with the journal off and a large page cache for the build.
 * The file is left in WAL mode, as the relay opens it.
 */
import { statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { siblingModule, spawnWorker } from '../relay/src/core/spawn-worker'
import { Ledger } from '../relay/src/ledger/ledger'
import { openDatabase, type SqliteDatabase } from '../relay/src/store/database'
import { SqliteAnnounceStore } from '../relay/src/store/sqlite-store'
import { TORRENT_ANNOUNCE } from '../src/nostr/kinds'
import { storedKeyCount, type StoredPlan } from './stored-plan'
import type { StoredJob, StoredMessage, StoredRow } from './stored-worker'

export interface BuildOptions {
  /** Sign every event (default). Without, signatures are zeros: faster, but no client accepts them. */
  sign?: boolean
  /** Generating worker threads; default one per core. */
  threads?: number
}

export interface BuildReport {
  announces: number
  ms: number
  signed: boolean
  fileBytes: number
  /** When the ledger's settlement ran at the end of the build, unix seconds. */
  settledAt: number
}

/** Rows per transaction: a handful of transactions for a million announces. */
const ROWS_PER_TRANSACTION = 250_000
const BUILD_CACHE_KIB = 1024 * 1024

/** Creates the schema on a new file at `path` and fills it per `plan`. */
export async function buildStoredDatabase(
  path: string,
  plan: StoredPlan,
  options: BuildOptions = {},
): Promise<BuildReport> {
  const t0 = performance.now()
  const sign = options.sign ?? true
  const db = openDatabase(path)
  let settledAt = plan.now
  try {
    // The components create their own tables, as the relay does on start.
    new SqliteAnnounceStore(db)
    const ledger = new Ledger(db)
    // Nothing else has the file open; a failed build is thrown away.
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma(`cache_size = -${BUILD_CACHE_KIB}`)
    await fill(db, plan, sign, options.threads ?? availableParallelism())
    // A large build takes minutes. The relay's settlement timer would have
    // pruned the seen ids that left the ledger's window meanwhile; one
    // settlement now does the same, so the relay does not prune them all at
    // once in the middle of a measurement.
    settledAt = Math.floor(Date.now() / 1000)
    ledger.settle(settledAt)
    db.pragma('journal_mode = WAL')
  } finally {
    db.close()
  }
  return {
    announces: plan.announces,
    ms: performance.now() - t0,
    signed: sign,
    fileBytes: statSync(path).size,
    settledAt,
  }
}

async function fill(
  db: SqliteDatabase,
  plan: StoredPlan,
  sign: boolean,
  threads: number,
): Promise<void> {
  const insert = insertStoredRows(db, plan.now - plan.seenWindowSeconds)
  const keys = storedKeyCount(plan)
  const workers = Math.max(1, Math.min(threads, keys))
  const per = Math.ceil(keys / workers)
  let inTransaction = 0
  db.exec('BEGIN')
  try {
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const job: StoredJob = {
          plan,
          fromKey: w * per,
          toKey: Math.min(keys, (w + 1) * per),
          sign,
          batch: 2_000,
        }
        const worker = spawnWorker(siblingModule(import.meta.url, 'stored-worker'), job)
        return new Promise<void>((done, fail) => {
          worker.on('message', (m: StoredMessage) => {
            if ('done' in m) {
              done()
              return
            }
            try {
              insert(m.rows)
            } catch (err) {
              fail(err instanceof Error ? err : new Error(String(err)))
              return
            }
            inTransaction += m.rows.length
            if (inTransaction >= ROWS_PER_TRANSACTION) {
              db.exec('COMMIT; BEGIN')
              inTransaction = 0
            }
            worker.postMessage('more')
          })
          worker.once('error', fail)
        }).finally(() => void worker.terminate())
      }),
    )
    db.exec('COMMIT')
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw err
  }
}

/**
 * Inserts announces as the relay stores and accounts for them: the store's
 * `INSERT INTO announces` and the ledger's session state and seen-id rows,
 * with the same SQL as `SqliteAnnounceStore` and `AnnounceAccounting`.
 * Seen ids older than `seenSince` are left out, as the ledger's pruning would.
 */
export function insertStoredRows(
  db: SqliteDatabase,
  seenSince: number,
): (rows: readonly StoredRow[]) => void {
  const announce = db.prepare(
    `INSERT INTO announces (id, pubkey, info_hash, session, kind, created_at, expires_at, event)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const state = db.prepare(
    `INSERT INTO ledger_announce_state
       (pubkey, info_hash, session, uploaded, downloaded, left_bytes, created_at, event_id, stopped)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const seen = db.prepare('INSERT INTO ledger_announce_seen (event_id, created_at) VALUES (?, ?)')
  return (rows) => {
    for (const [id, pubkey, infoHash, session, createdAt, expiresAt, event, left] of rows) {
      announce.run(id, pubkey, infoHash, session, TORRENT_ANNOUNCE, createdAt, expiresAt, event)
      state.run(pubkey, infoHash, session, '0', '0', left, createdAt, id, 0)
      if (createdAt >= seenSince) seen.run(id, createdAt)
    }
  }
}
