import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type SqliteDatabase = Database.Database

/** One schema step. Versions count up from 1 per component and never change once shipped. */
export interface Migration {
  version: number
  up: string | ((db: SqliteDatabase) => void)
}

/**
 * When SQLite waits for the disk. `normal` (the default) syncs the WAL only at
 * checkpoints: a committed transaction survives a killed process, but a power
 * cut or kernel crash may lose the last commits (never corrupt the file).
 * `full` syncs the WAL at every commit, so commits also survive a power cut;
 * with group commit that is one fsync per event-loop turn, not per event.
 */
export type SyncMode = 'normal' | 'full'

export const SYNC_MODES: readonly SyncMode[] = ['normal', 'full']

/** Runs `fn` in a transaction, or in a savepoint when one is already open. */
export interface TransactionRun {
  /** `BEGIN` (deferred) at the top level. */
  deferred<T>(fn: () => T): T
  /** `BEGIN IMMEDIATE` at the top level: the write lock is taken up front. */
  immediate<T>(fn: () => T): T
}

const runners = new WeakMap<SqliteDatabase, TransactionRun>()

/**
 * better-sqlite3's `db.transaction(fn)` builds five wrapper functions on every
 * call, which cost about 7 µs, more than the savepoint itself. The write
 * path opens several nested transactions per announce, so it uses one wrapper
 * per database, built once, that runs whatever function it is given. The
 * semantics are better-sqlite3's: commit (release) when `fn` returns, roll
 * back when it throws.
 */
export function transactionRun(db: SqliteDatabase): TransactionRun {
  let run = runners.get(db)
  if (run === undefined) {
    const tx = db.transaction((fn: () => unknown) => fn())
    run = {
      deferred: <T>(fn: () => T): T => tx(fn) as T,
      immediate: <T>(fn: () => T): T => tx.immediate(fn) as T,
    }
    runners.set(db, run)
  }
  return run
}

/** See openDatabase. */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000
const CACHE_KIB = 64 * 1024

export interface OpenDatabaseOptions {
  /** Default `normal`; see {@link SyncMode}. */
  synchronous?: SyncMode
}

/**
 * Opens (and creates, with its folder) a SQLite file tuned for the relay: WAL
 * so readers never block the writer, `synchronous=NORMAL` unless told
 * otherwise because WAL keeps the file consistent across a crash and only the
 * last commits can be lost, and foreign keys on. `:memory:` works for tests.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const synchronous = options.synchronous ?? 'normal'
  if (!SYNC_MODES.includes(synchronous)) {
    throw new RangeError(`synchronous must be one of ${SYNC_MODES.join(', ')}, got ${synchronous}`)
  }
  if (path !== ':memory:' && !path.startsWith('file:')) {
    mkdirSync(dirname(path), { recursive: true })
  }
  const db = new Database(path)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
    // Checkpoints copy the WAL back into the file on the committing thread
    // (the TSEED relay moves them to a worker of their own: checkpointer.ts).
    // Every 10,000 pages (about 40 MB of WAL) rather than SQLite's 1,000: a
    // page that many announces touch is then copied once, not over and over,
    // which took commit time per announce from about 160 µs to 100 µs at 40k
    // announces (docs/performance.md).
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
    // 64 MiB of page cache instead of 2 MiB: the announce and ledger indexes
    // are keyed by random ids and pubkeys, so their pages are all hot.
    db.pragma(`cache_size = -${CACHE_KIB}`)
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

/**
 * Applies a component's pending migrations in order, each in its own
 * transaction. Components (announce store, ledger, …) share one file, so the
 * applied versions are recorded per component name rather than in the single
 * `user_version`.
 *
 * @returns the versions applied now
 */
export function migrate(
  db: SqliteDatabase,
  component: string,
  migrations: readonly Migration[],
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  ) STRICT`)
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`${component} migrations must be numbered 1..n; found version ${m.version}`)
    }
  })
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations WHERE component = ?')
      .pluck()
      .all(component) as number[],
  )
  const newest = Math.max(0, ...applied)
  if (newest > sorted.length) {
    throw new Error(
      `database has ${component} schema version ${newest}, newer than this build knows (${sorted.length})`,
    )
  }
  const record = db.prepare(
    'INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)',
  )
  const done: number[] = []
  for (const m of sorted) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      record.run(component, m.version, Math.floor(Date.now() / 1000))
    })()
    done.push(m.version)
  }
  return done
}
