import { createRequire } from 'node:module'
import type LibpqClass from 'libpq'
import type { AnyFunction, SqlDatabase, SqlStatement, SqlTransaction } from '../database'
import { toPostgresSql } from './pg-sql'

// Through require: imported as an ES module, libpq believes it is the main
// program and prints its include folder on stdout.
const Libpq = createRequire(import.meta.url)('libpq') as typeof LibpqClass

/**
 * Advisory-lock class shared by every TSEED lock; the second key names the
 * lock within it (see {@link PgLock}).
 */
const LOCK_CLASS = 21000

/** The relay's advisory locks on PostgreSQL. */
export const PgLock = {
  /** Held by every write transaction: the ledger's single-writer order (docs/scaling.md). */
  writes: 1,
  /** Held while escrow settlement runs, so one process settles at a time. */
  settlement: 2,
  /** Held while the Lightning sweep runs. */
  sweep: 3,
} as const

/** PostgreSQL type OIDs whose text form the adapter converts. */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  numeric: 1700,
}

/** A PostgreSQL error, with its SQLSTATE (`23505` unique violation, `40P01` deadlock, …). */
export class PgError extends Error {
  override name = 'PgError'
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

export interface PgOpenOptions {
  /**
   * Schema the relay's tables live in (created if missing). Default `public`.
   * Tests give each database a schema of its own.
   */
  schema?: string
}

interface Result {
  rows: unknown[]
  changes: number
}

/**
 * A PostgreSQL connection with better-sqlite3's synchronous calls, over
 * libpq's blocking API. The ledger, the announce store, the API and the
 * tracker run on it unchanged: their correctness argument is SQLite's, one
 * writer at a time, and every write transaction here first takes one
 * transaction-scoped advisory lock, so writers on any number of relay
 * processes are serialised exactly as SQLite serialises them. Reads outside
 * a transaction (REQ queries, swarm counts) take no lock.
 *
 * Blocking calls stall the event loop for a round trip each (about 0.1 ms
 * on loopback); docs/scaling.md has the measured cost and what it limits.
 */
export class PgDatabase implements SqlDatabase {
  readonly dialect = 'postgres'
  private readonly pq = new Libpq()
  private readonly prepared = new Map<string, { name: string; params: number }>()
  private depth = 0
  private savepoints = 0
  /** Transaction control not yet sent; see inTransactionRun. */
  private readonly pending: string[] = []
  private closed = false
  readonly schema: string
  private readonly lockKey: number

  private constructor(url: string, options: PgOpenOptions) {
    this.schema = options.schema ?? 'public'
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) {
      throw new RangeError(`schema must be a lower-case SQL name, got ${this.schema}`)
    }
    // Each schema is a database of its own to the relay, with a write lock of its own.
    this.lockKey = this.schema === 'public' ? PgLock.writes : 1000 + hash31(this.schema)
    try {
      this.pq.connectSync(url)
    } catch (err) {
      throw new PgError(`cannot connect to PostgreSQL: ${messageOf(err, this.pq)}`, undefined)
    }
    this.exec(
      `SET client_min_messages = warning;
       CREATE SCHEMA IF NOT EXISTS ${this.schema};
       SET search_path TO ${this.schema}`,
    )
  }

  /**
   * Connects to `url` (`postgres://user@host:port/db`).
   * @throws PgError when the server cannot be reached or refuses the login
   */
  static open(url: string, options: PgOpenOptions = {}): PgDatabase {
    return new PgDatabase(url, options)
  }

  get open(): boolean {
    return !this.closed
  }

  get inTransaction(): boolean {
    return this.depth > 0
  }

  prepare(sql: string): SqlStatement {
    this.assertOpen()
    return new PgStatement(this, sql)
  }

  /** Runs one or more statements with no parameters. */
  exec(sql: string): this {
    this.assertOpen()
    this.pq.exec(this.flushed(sql))
    this.check()
    this.pq.clear()
    return this
  }

  transaction<F extends AnyFunction>(fn: F): SqlTransaction<F> {
    // Every top-level transaction writes or may write, so each takes the lock:
    // deferred and immediate are the same here.
    const run = (...args: unknown[]): unknown => this.inTransactionRun(() => fn(...args))
    return Object.assign(run, { deferred: run, immediate: run }) as unknown as SqlTransaction<F>
  }

  /**
   * Runs `fn` holding the session-level advisory lock `key` when no other
   * connection holds it; returns undefined without running it otherwise. The
   * lock goes with the connection, so a process that dies mid-run frees it.
   */
  withTryLock<T>(key: number, fn: () => T): T | undefined {
    const got = this.query('SELECT pg_try_advisory_lock(?, ?)', [LOCK_CLASS, key], true, false)
    if (got.rows[0] !== 1) return undefined
    try {
      return fn()
    } finally {
      if (this.open) this.query('SELECT pg_advisory_unlock(?, ?)', [LOCK_CLASS, key], true, false)
    }
  }

  close(): this {
    if (!this.closed) {
      this.closed = true
      this.pq.finish()
      keepUntilClosed(this.pq)
    }
    return this
  }

  /**
   * Runs one statement; used by {@link PgStatement}. When transaction control
   * is waiting to be sent, it goes in the same round trip, with the values
   * written into the text (libpq's escaping) instead of a prepared statement.
   */
  query(sql: string, params: readonly unknown[], pluck: boolean, safeIntegers: boolean): Result {
    this.assertOpen()
    if (this.pending.length > 0) {
      const { text, params: count } = toPostgresSql(sql, (i) => this.literal(params[i]))
      checkCount(count, params)
      this.pq.exec(this.flushed(text))
    } else {
      let p = this.prepared.get(sql)
      if (p === undefined) {
        const { text, params: count } = toPostgresSql(sql)
        const name = `s${this.prepared.size + 1}`
        this.pq.prepare(name, text, count)
        this.check()
        this.pq.clear()
        p = { name, params: count }
        this.prepared.set(sql, p)
      }
      checkCount(p.params, params)
      this.pq.execPrepared(p.name, params.map(toText))
    }
    this.check()
    const result = this.read(pluck, safeIntegers)
    this.pq.clear()
    return result
  }

  /**
   * Transactions and savepoints cost no round trip of their own: BEGIN (with
   * the write lock), SAVEPOINT, RELEASE and ROLLBACK TO wait in `pending` and
   * go out with the next statement or the COMMIT. A savepoint no statement
   * ran in is never sent at all. At about 0.1 ms per round trip this took a
   * ledger operation from N+4 round trips to N+1 (docs/scaling.md).
   */
  private inTransactionRun<T>(fn: () => T): T {
    if (this.depth === 0) {
      this.pending.push('BEGIN', `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${this.lockKey})`)
      this.depth = 1
      try {
        const value = fn()
        if (this.pending[0] === 'BEGIN') this.pending.length = 0
        else this.exec('COMMIT')
        return value
      } catch (err) {
        const begun = this.pending[0] !== 'BEGIN'
        this.pending.length = 0
        if (begun && this.open) this.exec('ROLLBACK')
        throw err
      } finally {
        this.depth = 0
      }
    }
    const name = `sp${++this.savepoints}`
    const open = `SAVEPOINT ${name}`
    this.pending.push(open)
    this.depth++
    try {
      const value = fn()
      if (this.pending.at(-1) === open) this.pending.pop()
      else this.pending.push(`RELEASE SAVEPOINT ${name}`)
      return value
    } catch (err) {
      if (this.pending.at(-1) === open) this.pending.pop()
      else this.pending.push(`ROLLBACK TO SAVEPOINT ${name}`, `RELEASE SAVEPOINT ${name}`)
      throw err
    } finally {
      this.depth--
    }
  }

  /** `sql` preceded by the transaction control waiting to be sent, which is then sent. */
  private flushed(sql: string): string {
    if (this.pending.length === 0) return sql
    const text = `${this.pending.join('; ')}; ${sql}`
    this.pending.length = 0
    return text
  }

  private literal(v: unknown): string {
    const text = toText(v)
    if (text === null) return 'NULL'
    return this.pq.escapeLiteral(text)
  }

  private read(pluck: boolean, safeIntegers: boolean): Result {
    const pq = this.pq
    const rowCount = pq.ntuples()
    const fields = pq.nfields()
    const names: string[] = []
    const types: number[] = []
    for (let c = 0; c < fields; c++) {
      names.push(pq.fname(c))
      types.push(pq.ftype(c))
    }
    const rows: unknown[] = []
    for (let r = 0; r < rowCount; r++) {
      if (pluck) {
        rows.push(fields === 0 ? undefined : this.value(r, 0, types[0] as number, safeIntegers))
        continue
      }
      const row: Record<string, unknown> = {}
      for (let c = 0; c < fields; c++) {
        row[names[c] as string] = this.value(r, c, types[c] as number, safeIntegers)
      }
      rows.push(row)
    }
    const tuples = pq.cmdTuples()
    return { rows, changes: tuples === '' ? 0 : Number(tuples) }
  }

  private value(row: number, column: number, type: number, safeIntegers: boolean): unknown {
    if (this.pq.getisnull(row, column)) return null
    const text = this.pq.getvalue(row, column)
    switch (type) {
      case OID.int8:
      case OID.int2:
      case OID.int4:
      case OID.oid:
        return safeIntegers ? BigInt(text) : Number(text)
      case OID.numeric:
        // sum() of bigints is numeric; integral values read like integers.
        return safeIntegers && /^-?\d+$/.test(text) ? BigInt(text) : Number(text)
      case OID.float4:
      case OID.float8:
        return Number(text)
      case OID.bool:
        // SQLite has no booleans: a comparison reads as 1 or 0 there, and here too.
        return text === 't' ? (safeIntegers ? 1n : 1) : safeIntegers ? 0n : 0
      case OID.bytea:
        return Buffer.from(text.slice(2), 'hex')
      default:
        return text
    }
  }

  private check(): void {
    const status = this.pq.resultStatus()
    if (status === 'PGRES_COMMAND_OK' || status === 'PGRES_TUPLES_OK') return
    const fields = this.pq.resultErrorFields()
    const message = this.pq.resultErrorMessage().trim() || this.pq.errorMessage().trim()
    this.pq.clear()
    throw new PgError(message || `PostgreSQL answered ${status}`, fields?.sqlState)
  }

  private assertOpen(): void {
    if (this.closed) throw new TypeError('The database connection is not open')
  }
}

class PgStatement implements SqlStatement {
  private plucking = false
  private bigints = false

  constructor(
    private readonly db: PgDatabase,
    private readonly sql: string,
  ) {}

  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    const { rows, changes } = this.db.query(this.sql, params, true, this.bigints)
    // Only for INSERT … RETURNING id; PostgreSQL has no implicit row id.
    const first = rows[0]
    return {
      changes,
      lastInsertRowid: typeof first === 'bigint' || typeof first === 'number' ? first : 0,
    }
  }

  get(...params: unknown[]): unknown {
    return this.db.query(this.sql, params, this.plucking, this.bigints).rows[0]
  }

  all(...params: unknown[]): unknown[] {
    return this.db.query(this.sql, params, this.plucking, this.bigints).rows
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    return this.all(...params)[Symbol.iterator]()
  }

  pluck(toggle = true): this {
    this.plucking = toggle
    return this
  }

  safeIntegers(toggle = true): this {
    this.bigints = toggle
    return this
  }
}

const closing = new Set<LibpqClass>()

/**
 * libpq's finish() hands its socket watcher to libuv to close on the next
 * loop turn, but the watcher lives inside the connection object: if the
 * garbage collector frees that object first, libuv touches freed memory and
 * aborts the process. Holding the object until two turns later (past the
 * loop's close phase) keeps it alive long enough.
 */
function keepUntilClosed(pq: LibpqClass): void {
  closing.add(pq)
  setImmediate(() => setImmediate(() => closing.delete(pq)))
}

function checkCount(expected: number, params: readonly unknown[]): void {
  if (params.length !== expected) {
    throw new RangeError(`statement takes ${expected} parameters, got ${params.length}`)
  }
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (Buffer.isBuffer(v)) return `\\x${v.toString('hex')}`
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`
  throw new TypeError(`cannot bind a ${typeof v} to a PostgreSQL parameter`)
}

function hash31(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return (h >>> 1) % 1_000_000_000
}

function messageOf(err: unknown, pq: LibpqClass): string {
  const m = pq.errorMessage().trim()
  return m || (err instanceof Error ? err.message : String(err))
}
