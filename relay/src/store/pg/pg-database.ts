import { randomBytes } from 'node:crypto'
import type { AnyFunction, SqlDatabase, SqlStatement, SqlTransaction } from '../database'
import { keepUntilClosed, Libpq } from './libpq-binding'
import { listenForNotifications } from './pg-listen'
import { toPostgresSql } from './pg-sql'

/** The relay's advisory locks on PostgreSQL, each scoped to the relay's schema. */
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
  /**
   * A connection to a read replica (a hot standby): the schema is not
   * created, and every transaction is read-only.
   */
  readOnly?: boolean
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
  private pq = new Libpq()
  private readonly prepared = new Map<string, { name: string; params: number }>()
  private depth = 0
  private savepoints = 0
  /** Transaction control not yet sent; see inTransactionRun. */
  private readonly pending: string[] = []
  private closed = false
  readonly schema: string
  /**
   * First key of every advisory lock of this relay: each schema is a database
   * of its own to the relay, with locks of its own.
   */
  private readonly lockSpace: number
  /** Tells this connection's notifications from other processes' (see listen). */
  readonly origin = randomBytes(8).toString('hex')
  private readonly url: string
  private readonly readOnly: boolean

  private constructor(url: string, options: PgOpenOptions) {
    this.readOnly = options.readOnly === true
    this.schema = options.schema ?? 'public'
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) {
      throw new RangeError(`schema must be a lower-case SQL name, got ${this.schema}`)
    }
    this.url = url
    this.lockSpace = this.schema === 'public' ? 21000 : 1_000_000 + hash31(this.schema)
    this.connect()
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
    if (!this.tryLock(key)) return undefined
    try {
      return fn()
    } finally {
      this.unlock(key)
    }
  }

  /** {@link withTryLock} for work that awaits (the Lightning sweep), lock held throughout. */
  async withTryLockAsync<T>(key: number, fn: () => Promise<T>): Promise<T | undefined> {
    if (!this.tryLock(key)) return undefined
    try {
      return await fn()
    } finally {
      this.unlock(key)
    }
  }

  /**
   * Queues a NOTIFY on the relay's event channel, sent with the next
   * statement or COMMIT rather than on a round trip of its own. Inside a
   * transaction PostgreSQL delivers it only if that commits (a rolled-back
   * savepoint drops it), in commit order.
   */
  notify(payload: string): void {
    const tagged = `${this.origin} ${payload}`
    const sql = `SELECT pg_notify(${this.pq.escapeLiteral(this.channel)}, ${this.pq.escapeLiteral(tagged)})`
    if (this.inTransaction) this.pending.push(sql)
    else this.exec(sql)
  }

  /**
   * Listens on the relay's event channel on a connection of its own and
   * calls `onPayload` for every notification another connection sent
   * (this one's own are skipped); see pg-listen.ts.
   * @returns a function that stops listening
   */
  listen(
    onPayload: (payload: string) => void,
    onError: (err: Error) => void,
    retryMs = 1000,
  ): () => void {
    return listenForNotifications({
      url: this.url,
      channel: this.channel,
      skipOrigin: this.origin,
      retryMs,
      onPayload,
      onError: (message) => {
        onError(new PgError(message, undefined))
      },
    })
  }

  /** The channel of this relay's schema, so relays in other schemas never hear it. */
  private get channel(): string {
    return `tseed_events_${this.schema}`
  }

  private tryLock(key: number): boolean {
    const got = this.query('SELECT pg_try_advisory_lock(?, ?)', [this.lockSpace, key], true, false)
    return got.rows[0] === 1
  }

  private unlock(key: number): void {
    if (this.open) this.query('SELECT pg_advisory_unlock(?, ?)', [this.lockSpace, key], true, false)
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
      this.assertOpen()
      this.pending.push(
        'BEGIN',
        `SELECT pg_advisory_xact_lock(${this.lockSpace}, ${PgLock.writes})`,
      )
      this.depth = 1
      try {
        const value = fn()
        // Nothing but transaction control waiting, not even a NOTIFY: nothing to commit.
        if (this.pending[0] === 'BEGIN' && this.pending.every(isControl)) this.pending.length = 0
        else this.exec('COMMIT')
        return value
      } catch (err) {
        const begun = this.pending[0] !== 'BEGIN'
        this.pending.length = 0
        if (begun && this.open) this.rollback()
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

  /**
   * Ends a failed transaction. On a connection that is gone the server has
   * already rolled it back, and the error that got us here is the one to report.
   */
  private rollback(): void {
    try {
      this.exec('ROLLBACK')
    } catch {
      // See above: nothing is left to roll back.
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
    // libpq's binding returns nothing at all for an empty string.
    if (text === '') return "''"
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

  private connect(): void {
    try {
      this.pq.connectSync(this.url)
    } catch (err) {
      throw new PgError(`cannot connect to PostgreSQL: ${messageOf(err)}`, undefined)
    }
    this.exec(
      this.readOnly
        ? `SET default_transaction_read_only = on; SET search_path TO ${this.schema}`
        : `SET client_min_messages = warning;
           CREATE SCHEMA IF NOT EXISTS ${this.schema};
           SET search_path TO ${this.schema}`,
    )
  }

  /**
   * Throws once the connection is closed. A connection the server dropped
   * (a restart, a killed backend) is opened again before the next
   * transaction or statement outside one; the work that was under way when
   * it dropped has already failed, and nothing is retried.
   */
  private assertOpen(): void {
    if (this.closed) throw new TypeError('The database connection is not open')
    if (this.depth > 0 || this.pq.transactionStatus() !== TRANSACTION_STATUS_UNKNOWN) return
    this.pq.finish()
    keepUntilClosed(this.pq)
    this.pq = new Libpq()
    this.prepared.clear()
    this.pending.length = 0
    this.connect()
  }
}

/** libpq's PQTRANS_UNKNOWN: the connection is bad. */
const TRANSACTION_STATUS_UNKNOWN = 4

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

/** BEGIN, the write lock, SAVEPOINT, RELEASE, ROLLBACK TO: what inTransactionRun queues. */
function isControl(sql: string): boolean {
  return /^(BEGIN|SAVEPOINT |RELEASE SAVEPOINT |ROLLBACK TO SAVEPOINT |SELECT pg_advisory_xact_lock\()/.test(
    sql,
  )
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

/** Why a connection failed: libpq's message, which the binding puts in the error it throws. */
function messageOf(err: unknown): string {
  const m = (err instanceof Error ? err.message : String(err)).trim()
  return m.replace(/\s*\n\s*/g, '; ') || 'no reason given'
}
