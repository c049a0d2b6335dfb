import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type SqliteDatabase = Database.Database

/** What a prepared statement offers, on either backend (better-sqlite3's shape). */
export interface SqlStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  iterate(...params: unknown[]): IterableIterator<unknown>
  /** Rows come back as their first column's value. */
  pluck(toggle?: boolean): this
  /** Integers come back as BigInt rather than number. */
  safeIntegers(toggle?: boolean): this
  /**
   * PostgreSQL only: queue a write whose result nobody reads, to be sent with
   * the next statement (pg-database.ts). Call it through {@link runLater}.
   */
  runLater?(...params: unknown[]): void
  /**
   * PostgreSQL only: send this read with the next round trip, so that making
   * it shortly after costs none (pg-database.ts). Call it through {@link readAhead}.
   */
  readAhead?(...params: unknown[]): void
}

/**
 * Runs a write whose result the caller does not need. SQLite runs it now; on
 * PostgreSQL, inside a transaction, it travels with the connection's next
 * statement or COMMIT instead of costing a round trip. Only for writes the
 * caller's reads showed will succeed: a queued write that fails fails the
 * whole transaction rather than the statement that made it.
 */
export function runLater(statement: SqlStatement, ...params: unknown[]): void {
  if (statement.runLater === undefined) statement.run(...params)
  else statement.runLater(...params)
}

/**
 * Says that the caller is about to run `statement.get(...params)` (or `all`)
 * in this transaction. SQLite does nothing; PostgreSQL sends the read with
 * the connection's next round trip and answers the real call from its rows,
 * unless a write that may change them came in between.
 */
export function readAhead(statement: SqlStatement, ...params: unknown[]): void {
  statement.readAhead?.(...params)
}

/** `db.transaction(fn)`: call it to run `fn` in a transaction, or a savepoint inside one. */
export interface SqlTransaction<F extends AnyFunction> {
  (...params: ArgsOf<F>): ReturnType<F>
  deferred(...params: ArgsOf<F>): ReturnType<F>
  immediate(...params: ArgsOf<F>): ReturnType<F>
}
// better-sqlite3's own constraint, which the interface must accept.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown
type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never

/**
 * A synchronous SQL database: better-sqlite3's SQLite handle, or the
 * PostgreSQL connection of store/pg/pg-database.ts, which offers the same
 * calls. The ledger, the announce store, the API and the tracker are written
 * against this; `dialect` tells the few places that differ.
 */
export interface SqlDatabase {
  prepare(sql: string): SqlStatement
  exec(sql: string): unknown
  transaction<F extends AnyFunction>(fn: F): SqlTransaction<F>
  readonly inTransaction: boolean
  readonly open: boolean
  close(): unknown
  /** 'postgres' on PostgreSQL; absent on SQLite. */
  readonly dialect?: 'postgres'
  /**
   * PostgreSQL only: run a unit whose rows are all keyed by `keys`, so that
   * independent units share round trips and statements (pg-database.ts).
   * Call it through {@link scoped}.
   */
  scoped?<T>(keys: readonly string[], fn: () => T): T
  /**
   * PostgreSQL only: changes at every transaction end (pg-database.ts).
   * Absent on SQLite, where every read sees every write.
   */
  readonly transactionSerial?: number
}

/**
 * The keys of {@link scoped}: a key names everything of one user (balances,
 * announce state, spending, stored announces) or of one swarm (its escrow,
 * lots, claims and the swarm's announce state).
 */
export const scopeKey = {
  user: (pubkey: string): string => `user:${pubkey}`,
  swarm: (infoHash: string): string => `swarm:${infoHash}`,
}

/**
 * Runs `fn` as a unit of the current transaction whose writes depend only on
 * rows keyed by `keys` ({@link scopeKey}), posting ids apart (the journal
 * handles those); rows it only appends to or adds to need no key. SQLite
 * just runs it. On PostgreSQL, units that share no key keep the rows they
 * read ahead across each other's writes, and their writes go as multi-row
 * statements (pg-database.ts). A wrong claim here reads stale rows, so only
 * code that knows every row `fn` touches may make it.
 */
export function scoped<T>(db: SqlDatabase, keys: readonly string[], fn: () => T): T {
  return db.scoped === undefined ? fn() : db.scoped(keys, fn)
}

export function isPostgres(db: SqlDatabase): boolean {
  return db.dialect === 'postgres'
}

/**
 * One schema step. Versions count up from 1 per component and never change
 * once shipped. The same numbers apply to both backends: `up` is written for
 * SQLite, and PostgreSQL runs `pg` when given, otherwise `up` through
 * {@link toPostgresDdl}.
 */
export interface Migration {
  version: number
  up: string | ((db: SqlDatabase) => void)
  pg?: string | ((db: SqlDatabase) => void)
}

/**
 * SQLite DDL as PostgreSQL runs it: 64-bit integers, identity keys for
 * `INTEGER PRIMARY KEY`, bytea for blobs, no STRICT or WITHOUT ROWID. Only
 * what the relay's own migrations use; anything else needs a `pg` step.
 */
export function toPostgresDdl(sql: string): string {
  return sql
    .replace(/\bINTEGER PRIMARY KEY\b/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\)\s*STRICT\s*,\s*WITHOUT ROWID\s*;/g, ');')
    .replace(/\)\s*STRICT\s*;/g, ');')
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

const runners = new WeakMap<SqlDatabase, TransactionRun>()

/**
 * better-sqlite3's `db.transaction(fn)` builds five wrapper functions on every
 * call, which cost about 7 µs, more than the savepoint itself. The write
 * path opens several nested transactions per announce, so it uses one wrapper
 * per database, built once, that runs whatever function it is given. The
 * semantics are better-sqlite3's: commit (release) when `fn` returns, roll
 * back when it throws.
 */
export function transactionRun(db: SqlDatabase): TransactionRun {
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
 * transaction. Components (announce store, ledger, …) share one database, so
 * the applied versions are recorded per component name rather than in the
 * single `user_version`. On PostgreSQL the whole run holds the write lock, so
 * relay processes starting together apply each step once.
 *
 * @returns the versions applied now
 */
export function migrate(
  db: SqlDatabase,
  component: string,
  migrations: readonly Migration[],
): number[] {
  const pg = isPostgres(db)
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`${component} migrations must be numbered 1..n; found version ${m.version}`)
    }
  })
  const run = (): number[] => {
    const table = `CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (component, version)
    ) STRICT;`
    db.exec(pg ? toPostgresDdl(table) : table)
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
      const step = pg ? (m.pg ?? postgresStep(m.up)) : m.up
      db.transaction(() => {
        if (typeof step === 'string') db.exec(step)
        else step(db)
        record.run(component, m.version, Math.floor(Date.now() / 1000))
      }).immediate()
      done.push(m.version)
    }
    return done
  }
  return pg ? db.transaction(run).immediate() : run()
}

function postgresStep(up: Migration['up']): string {
  if (typeof up !== 'string') throw new Error('a migration written in code needs its own pg step')
  return toPostgresDdl(up)
}
