import { randomBytes } from 'node:crypto'
import type { AnyFunction, SqlDatabase, SqlStatement, SqlTransaction } from '../database'
import { keepUntilClosed, Libpq } from './libpq-binding'
import { coalesce } from './coalesce'
import { listenForNotifications } from './pg-listen'
import { toPostgresSql } from './pg-sql'
import { ReadsAhead } from './reads-ahead'

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

/** A statement waiting to be sent: transaction control, a NOTIFY, or a deferred write. */
interface Queued {
  /** SQLite text of a write ({@link PgDatabase.runLater}); PostgreSQL text otherwise. */
  sql: string
  /** A write's parameters; undefined for text sent as it is. */
  params?: readonly unknown[]
  /** BEGIN, the write lock, SAVEPOINT, RELEASE, ROLLBACK TO: nothing to commit on their own. */
  control?: boolean
  /** Set on a SAVEPOINT, which a read may leave queued (see pipeline). */
  savepoint?: boolean
  /** Set once the item has gone to the server. */
  sent?: boolean
  /** A write's scoped unit ({@link PgDatabase.scoped}), if it was made in one. */
  unit?: Unit
}

/** A scoped unit: its number and its keys. */
interface Unit {
  id: number
  keys: ReadonlySet<string>
}

/** A statement's PostgreSQL text, and its server-side name once prepared there. */
interface Prepared {
  /** This connection's number for it: reads sent ahead are keyed by it, not by its text. */
  id: number
  text: string
  params: number
  name?: string
}

/** How a read's rows come back. */
interface ReadShape {
  pluck: boolean
  safeIntegers: boolean
}

/** What the pipeline expects back for one item it sent. */
interface Sent {
  item: Queued
  /** Set for the PREPARE sent ahead of a statement's first run. */
  preparing?: Prepared
  /** Set for the statement whose rows the caller reads. */
  read?: ReadShape
  /** Set for a read sent ahead ({@link PgDatabase.readAhead}): where its rows are kept. */
  ahead?: string
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
 * on loopback), so only reads cost one: transaction control and the writes
 * the ledger and the store queue with runLater travel in a pipeline with
 * the next read or the COMMIT. Units that name the rows they touch (scoped)
 * share round trips and statements further. docs/scaling.md has the
 * measured cost and what it limits.
 */
export class PgDatabase implements SqlDatabase {
  readonly dialect = 'postgres'
  private pq = new Libpq()
  private readonly prepared = new Map<string, Prepared>()
  private statementNames = 0
  private depth = 0
  private savepoints = 0
  /** Statements not yet sent; see inTransactionRun and runLater. */
  private readonly queue: Queued[] = []
  /** Reads to send with the next round trip, and the rows of those sent; see readAhead. */
  private readonly ahead = new ReadsAhead<Queued, ReadShape, Result>()
  private closed = false
  private trips = 0
  /** The scoped unit running now; see scoped. */
  private unit: Unit | undefined
  private units = 0
  private serial = 0
  /** What the server owes for statements sent in pipeline mode; see send and settle. */
  private owed: { expected: Sent[]; unconfirmed: Set<Prepared> } | undefined
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

  /**
   * Runs one or more statements with no parameters, after whatever is
   * queued: in the same round trip when `sql` is one statement (the COMMIT
   * of a group goes out with its queued writes).
   */
  exec(sql: string): this {
    this.assertOpen()
    this.ahead.clear()
    if (this.queue.length > 0 && !sql.includes(';')) {
      this.queue.push({ sql })
      this.pipeline()
      return this
    }
    if (this.queue.length > 0) this.pipeline()
    this.settle()
    this.trips++
    this.pq.exec(sql)
    this.check()
    const rolledBack = sql === 'COMMIT' && this.pq.cmdStatus() !== 'COMMIT'
    this.pq.clear()
    if (rolledBack) throw rolledBackError()
    return this
  }

  /**
   * Runs a write whose result nobody reads, inside a transaction, without a
   * round trip of its own: it is queued, and sent in one pipeline with the
   * connection's next statement or the COMMIT, in order. Outside a
   * transaction it runs at once.
   *
   * A queued write that fails makes the statement it travels with throw, and
   * leaves the transaction aborted, so the group it belonged to does not
   * commit. Use it only for writes the caller's own reads showed will
   * succeed (docs/scaling.md). The writes of independent scoped units are
   * sent as multi-row statements (coalesce.ts).
   */
  runLater(sql: string, params: readonly unknown[]): void {
    if (!this.inTransaction) {
      this.query(sql, params, true, false)
      return
    }
    checkCount(this.statement(sql).params, params)
    this.ahead.wrote(this.unit?.keys)
    this.queue.push({ sql, params, unit: this.unit })
  }

  /** Statements and pipelines sent and waited for so far; a first PREPARE is not counted. */
  get roundTrips(): number {
    return this.trips
  }

  /**
   * Asks, inside a transaction, for a read the caller is about to make: it
   * travels with the connection's next round trip, and the same statement
   * with the same parameters then returns its rows without a round trip of
   * its own. A write that may change them (any write outside a scoped unit;
   * inside one, a write of a unit sharing a key), a rollback or the
   * transaction's end throws those rows away, so a read served this way sees
   * exactly what running it then would (no other connection writes while
   * this one holds the write lock). Outside a transaction it does nothing.
   */
  readAhead(sql: string, params: readonly unknown[], pluck: boolean, safeIntegers: boolean): void {
    if (!this.inTransaction) return
    const p = this.statement(sql)
    checkCount(p.params, params)
    const read = { pluck, safeIntegers }
    const key = aheadKey(p, params, read)
    this.ahead.ask({ key, item: { sql, params }, read, keys: this.unit?.keys })
  }

  /**
   * Runs `fn`, a unit of a transaction, declaring that every row it reads or
   * writes is keyed by one of `keys` (`user:<pubkey>`, `swarm:<info hash>`;
   * see scopeKey in store/database.ts), apart from posting ids (see
   * transactionSerial). Units that share no key are independent, and PostgreSQL
   * gets fewer statements and round trips from them:
   * - their rows read ahead stay valid across each other's writes;
   * - a read of one goes to the server ahead of the others' queued writes,
   *   which stay queued (see pipeline);
   * - their queued writes go as multi-row statements (coalesce.ts).
   */
  scoped<T>(keys: readonly string[], fn: () => T): T {
    const outer = this.unit
    const all = outer === undefined ? keys : [...outer.keys, ...keys]
    this.unit = { id: ++this.units, keys: new Set(all) }
    try {
      return fn()
    } finally {
      this.unit = outer
    }
  }

  /**
   * Changes at every transaction end. Inside one, a read sent ahead (or
   * ahead of queued writes) may miss postings queued since; the journal
   * makes up for that by remembering the last id it queued while this
   * number stays the same.
   */
  get transactionSerial(): number {
    return this.serial
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
    // Queued like any write, and prepared: a text with the payload spliced
    // in would be parsed and planned anew for every announce.
    this.runLater(NOTIFY, [this.channel, `${this.origin} ${payload}`])
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
   * Runs one statement; used by {@link PgStatement}. Whatever is queued goes
   * first, in the same round trip (see pipeline).
   */
  query(
    sql: string,
    params: readonly unknown[],
    pluck: boolean,
    safeIntegers: boolean,
    readOnly = false,
  ): Result {
    this.assertOpen()
    const p = this.statement(sql)
    checkCount(p.params, params)
    const item = { sql, params }
    const read = { pluck, safeIntegers }
    if (readOnly && this.ahead.hasRows) {
      const rows = this.ahead.take(aheadKey(p, params, read))
      if (rows !== undefined) return rows
    }
    if (!readOnly) this.ahead.wrote(this.unit?.keys)
    const pipelined = this.queue.length > (readOnly ? this.heldBack() : 0)
    if (pipelined || this.ahead.pendingCount > 0) {
      return this.pipeline({ item, read }, readOnly) as Result
    }
    this.settle()
    if (p.name === undefined) {
      const name = `s${++this.statementNames}`
      this.pq.prepare(name, p.text, p.params)
      this.check()
      this.pq.clear()
      p.name = name
    }
    this.trips++
    this.pq.execPrepared(p.name, params.map(toText))
    this.check()
    const result = this.read(pluck, safeIntegers)
    this.pq.clear()
    return result
  }

  /** The PostgreSQL text of a statement written for SQLite, converted once. */
  private statement(sql: string): Prepared {
    let p = this.prepared.get(sql)
    if (p === undefined) {
      p = { id: this.prepared.size, ...toPostgresSql(sql) }
      this.prepared.set(sql, p)
    }
    return p
  }

  /**
   * Sends everything queued, then `last` if given, in one round trip (libpq's
   * pipeline mode), and reads every result. About 16 µs a statement against
   * about 96 µs for a round trip each, measured on loopback here. After the
   * first error the server skips the rest; that error is thrown once all
   * results are read. A COMMIT that the server turned into a rollback (the
   * transaction had already failed) is an error too.
   *
   * A read (`readOnly`) leaves the SAVEPOINTs at the end of the queue queued:
   * nothing it could undo has been written yet, and a unit that writes
   * without reading afterwards, as an announce does, then never sends its
   * savepoint at all (see inTransactionRun).
   *
   * A read of a scoped unit leaves the whole queue queued when it holds only
   * writes of other scoped units, none sharing a key with the reads going
   * out: they cannot change what the reads see, and the longer the queue,
   * the more writes coalesce into one statement. At most
   * {@link MAX_QUEUED_WRITES} writes wait that way.
   */
  private pipeline(last?: Sent, readOnly = false): Result | undefined {
    const keep = readOnly ? this.heldBack() : 0
    const waiting = this.queue.length - keep
    const ahead = readOnly && last !== undefined && this.mayGoAhead(waiting)
    const sent: Sent[] = []
    if (!ahead) {
      const queued = this.queue.splice(0, waiting)
      for (const item of queued) item.sent = true
      for (const item of coalesced(queued)) sent.push({ item })
    }
    for (const a of this.ahead.send()) sent.push({ item: a.item, read: a.read, ahead: a.key })
    if (last !== undefined) sent.push(last)
    this.send(sent)
    return this.settle()
  }

  /**
   * Sends everything queued, without waiting for the results: the server
   * runs the writes while the relay works out the next units, and the
   * results are read before anything else is (settle). Called when a unit
   * of the group transaction ends with {@link SEND_AHEAD_WRITES} writes of
   * scoped units queued, and nothing else (see inTransactionRun). A write
   * that failed throws from the next statement, as a queued one would.
   */
  private sendAhead(): void {
    const queued = this.queue.splice(0)
    for (const item of queued) item.sent = true
    this.send(coalesced(queued).map((item) => ({ item })))
  }

  /**
   * Sends `items` (each statement after its PREPARE on its first run) and a
   * Sync, in pipeline mode, and notes what the server owes for them.
   */
  private send(items: readonly Sent[]): void {
    const pq = this.pq
    if (this.owed === undefined) {
      if (!pq.enterPipelineMode()) throw this.connectionError('cannot start a pipeline')
      this.owed = { expected: [], unconfirmed: new Set() }
    }
    const { expected, unconfirmed } = this.owed
    try {
      for (const s of items) {
        const { sql, params } = s.item
        if (params === undefined) {
          this.sent(pq.sendQueryParams(sql, []))
        } else {
          const p = this.statement(sql)
          if (p.name === undefined) {
            // Named now, so the same statement later in this pipeline reuses it.
            p.name = `s${++this.statementNames}`
            unconfirmed.add(p)
            this.sent(pq.sendPrepare(p.name, p.text, p.params))
            expected.push({ item: s.item, preparing: p })
          }
          this.sent(pq.sendQueryPrepared(p.name, params.map(toText)))
        }
        expected.push(s)
      }
      this.trips++
      this.sent(pq.pipelineSync())
      expected.push(SYNC)
    } catch (err) {
      this.owed = undefined
      this.leavePipeline(unconfirmed)
      throw err
    }
  }

  /**
   * Reads every result the server owes, in order, and leaves pipeline mode.
   * After the first error the server skips the rest of that pipeline; the
   * error is thrown once all results are read. A COMMIT that the server
   * turned into a rollback (the transaction had already failed) is an error
   * too. Returns the rows of the read the caller is waiting for, if any.
   */
  private settle(): Result | undefined {
    const owed = this.owed
    if (owed === undefined) return undefined
    this.owed = undefined
    const pq = this.pq
    let result: Result | undefined
    let failure: PgError | undefined
    try {
      for (const e of owed.expected) {
        if (!pq.getResult()) throw this.connectionError('a result is missing')
        const status = pq.resultStatus()
        if (e === SYNC) {
          if (status !== 'PGRES_PIPELINE_SYNC')
            throw this.connectionError('the pipeline did not end')
          continue
        }
        if (status === 'PGRES_FATAL_ERROR') failure ??= this.resultError(status)
        else if (status !== 'PGRES_PIPELINE_ABORTED') {
          if (e.preparing !== undefined) owed.unconfirmed.delete(e.preparing)
          else if (e.read !== undefined) {
            const rows = this.read(e.read.pluck, e.read.safeIntegers)
            if (e.ahead === undefined) result = rows
            else this.ahead.arrived(e.ahead, rows)
          } else if (e.item.sql === 'COMMIT' && pq.cmdStatus() !== 'COMMIT') {
            failure ??= rolledBackError()
          }
        }
        // Each statement's results end with a null one.
        pq.getResult()
      }
    } finally {
      this.leavePipeline(owed.unconfirmed)
    }
    if (failure !== undefined) {
      // The transaction is aborted: no read may be answered as if it were not.
      this.ahead.clear()
      throw failure
    }
    return result
  }

  private leavePipeline(unconfirmed: Set<Prepared>): void {
    // A statement whose PREPARE failed or was skipped is prepared again next time.
    for (const p of unconfirmed) p.name = undefined
    this.pq.clear()
    this.pq.exitPipelineMode()
  }

  /** Whether a read of the running unit may leave the first `n` queued items queued; see pipeline. */
  private mayGoAhead(n: number): boolean {
    const unit = this.unit
    if (unit === undefined || n === 0 || n > MAX_QUEUED_WRITES) return false
    const reading = new Set(unit.keys)
    for (const a of this.ahead.waiting()) {
      if (a.keys === undefined) return false
      for (const k of a.keys) reading.add(k)
    }
    let checked: Unit | undefined
    for (let i = 0; i < n; i++) {
      const w = (this.queue[i] as Queued).unit
      if (w === undefined) return false
      if (w === checked) continue
      for (const k of w.keys) if (reading.has(k)) return false
      checked = w
    }
    return true
  }

  /** How many SAVEPOINTs end the queue: a read need not send them. */
  private heldBack(): number {
    let n = 0
    while (this.queue.at(-1 - n)?.savepoint === true) n++
    return n
  }

  private sent(ok: boolean): void {
    if (!ok) throw this.connectionError('cannot send to PostgreSQL')
  }

  private connectionError(what: string): PgError {
    const why = this.pq.errorMessage().trim()
    return new PgError(why === '' ? what : `${what}: ${why}`, undefined)
  }

  /**
   * Transactions and savepoints cost no round trip of their own: BEGIN (with
   * the write lock), SAVEPOINT, RELEASE and ROLLBACK TO are queued and go out
   * with the next statement or the COMMIT. A savepoint is sent only once a
   * read follows one of its unit's writes (see pipeline), so an announce,
   * which reads and then only writes, never sends one. With the writes
   * queued too (runLater), the reads of a round of scoped units sent ahead
   * together (readAhead, scoped) and their writes sent ahead (sendAhead), a
   * group of announces costs a few round trips (docs/scaling.md).
   */
  private inTransactionRun<T>(fn: () => T): T {
    if (this.depth === 0) {
      this.assertOpen()
      this.ahead.clear()
      const begin: Queued = { sql: 'BEGIN', control: true }
      this.queue.push(begin, {
        sql: `SELECT pg_advisory_xact_lock(${this.lockSpace}, ${PgLock.writes})`,
        control: true,
      })
      this.depth = 1
      try {
        const value = fn()
        // Nothing but transaction control waiting, not even a NOTIFY: nothing to commit.
        if (this.queue[0] === begin && this.queue.every((q) => q.control === true)) {
          this.queue.length = 0
        } else {
          this.exec('COMMIT')
        }
        return value
      } catch (err) {
        const begun = this.queue[0] !== begin
        this.queue.length = 0
        if (begun && this.open) this.rollback()
        throw err
      } finally {
        this.depth = 0
        this.serial++
        this.ahead.clear()
      }
    }
    const name = `sp${++this.savepoints}`
    const open: Queued = { sql: `SAVEPOINT ${name}`, control: true, savepoint: true }
    this.queue.push(open)
    this.depth++
    try {
      const value = fn()
      // Unsent, the savepoint is dropped and the unit's queued writes simply
      // become the enclosing transaction's: nothing of them reached the server.
      if (open.sent === true) this.queue.push({ sql: `RELEASE SAVEPOINT ${name}`, control: true })
      else {
        const at = this.queue.indexOf(open)
        if (at >= 0) this.queue.splice(at, 1)
      }
      // A unit of the group transaction is done: a long queue of nothing but
      // scoped writes goes to the server now, which runs it meanwhile.
      if (this.depth === 2 && this.queue.length >= SEND_AHEAD_WRITES) {
        if (this.queue.every((q) => q.unit !== undefined && q.params !== undefined))
          this.sendAhead()
      }
      return value
    } catch (err) {
      this.ahead.wrote(this.unit?.keys)
      // Unsent, nothing after it was sent either (a flush sends a prefix of
      // the queue), so undoing the unit is forgetting its part of the queue.
      if (open.sent !== true) {
        const at = this.queue.indexOf(open)
        if (at >= 0) this.queue.length = at
      } else {
        this.queue.push(
          { sql: `ROLLBACK TO SAVEPOINT ${name}`, control: true },
          { sql: `RELEASE SAVEPOINT ${name}`, control: true },
        )
      }
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
    // A write sent ahead may have failed (that may be why we are here): its
    // error is not the one to report, and the ROLLBACK goes out regardless.
    try {
      this.settle()
    } catch {
      // See above.
    }
    try {
      this.exec('ROLLBACK')
    } catch {
      // See above: nothing is left to roll back.
    }
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
    const error = this.resultError(status)
    this.pq.clear()
    throw error
  }

  /** The error the current result carries. */
  private resultError(status: string): PgError {
    const fields = this.pq.resultErrorFields()
    const message = this.pq.resultErrorMessage().trim() || this.pq.errorMessage().trim()
    return new PgError(message || `PostgreSQL answered ${status}`, fields?.sqlState)
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
    this.queue.length = 0
    this.owed = undefined
    this.ahead.clear()
    this.connect()
  }
}

const NOTIFY = 'SELECT pg_notify(?, ?)'

/** How many queued writes a read may leave waiting (see pipeline). */
const MAX_QUEUED_WRITES = 4096

/**
 * How many scoped writes a finished unit leaves queued before they are sent
 * ahead: about 64 announces, so each statement still carries the most rows
 * coalesce.ts puts in one (sendAhead).
 */
const SEND_AHEAD_WRITES = 768

/** Stands for the Sync that ends a pipeline, among the results owed. */
const SYNC: Sent = { item: { sql: 'Sync' } }

/**
 * The queue as it goes out: each run of scoped units' writes coalesced into
 * fewer statements where it can be (coalesce.ts), the rest as it is.
 */
function coalesced(queued: readonly Queued[]): Queued[] {
  const out: Queued[] = []
  let run: Queued[] = []
  const flush = () => {
    const writes = run.map((q) => {
      const unit = q.unit as Unit
      return { sql: q.sql, params: q.params ?? [], unit: unit.id, keys: unit.keys }
    })
    const merged = run.length > 1 ? coalesce(writes) : undefined
    if (merged === undefined) out.push(...run)
    else for (const m of merged) out.push({ sql: m.sql, params: m.params })
    run = []
  }
  for (const item of queued) {
    if (item.unit !== undefined && item.params !== undefined) run.push(item)
    else {
      flush()
      out.push(item)
    }
  }
  flush()
  return out
}

/** libpq's PQTRANS_UNKNOWN: the connection is bad. */
const TRANSACTION_STATUS_UNKNOWN = 4

class PgStatement implements SqlStatement {
  private plucking = false
  private bigints = false
  /**
   * A plain SELECT, which writes and locks nothing: it may run before the
   * caller's savepoint is sent. Anything else (RETURNING, FOR UPDATE) may not.
   */
  private readonly readOnly: boolean

  constructor(
    private readonly db: PgDatabase,
    private readonly sql: string,
  ) {
    this.readOnly = /^\s*SELECT\b/i.test(sql) && !/\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b/i.test(sql)
  }

  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint } {
    const { rows, changes } = this.db.query(this.sql, params, true, this.bigints)
    // Only for INSERT … RETURNING id; PostgreSQL has no implicit row id.
    const first = rows[0]
    return {
      changes,
      lastInsertRowid: typeof first === 'bigint' || typeof first === 'number' ? first : 0,
    }
  }

  /** See {@link PgDatabase.runLater}. */
  runLater(...params: unknown[]): void {
    this.db.runLater(this.sql, params)
  }

  /** See {@link PgDatabase.readAhead}; only a plain SELECT can be read ahead. */
  readAhead(...params: unknown[]): void {
    if (this.readOnly) this.db.readAhead(this.sql, params, this.plucking, this.bigints)
  }

  get(...params: unknown[]): unknown {
    return this.all(...params)[0]
  }

  all(...params: unknown[]): unknown[] {
    return this.db.query(this.sql, params, this.plucking, this.bigints, this.readOnly).rows
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

/** COMMIT of a transaction that had already failed: PostgreSQL answers ROLLBACK, not an error. */
function rolledBackError(): PgError {
  return new PgError(
    'PostgreSQL rolled the transaction back: a statement in it had failed',
    undefined,
  )
}

/** Tells one read from another: the statement, how its rows come back, and its parameters. */
function aheadKey(p: Prepared, params: readonly unknown[], read: ReadShape): string {
  const values = JSON.stringify(params.map(toText))
  return `${p.id}${read.pluck ? 'p' : 'r'}${read.safeIntegers ? 'b' : 'n'}${values}`
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
