import type { RelayLogger } from './client'

/**
 * A synchronous transactional database, as better-sqlite3 is: `transaction`
 * opens a write transaction, or a savepoint when one is already open, and
 * commits (releases) when `fn` returns or rolls back when it throws.
 */
export interface TransactionRunner {
  transaction<T>(fn: () => T): T
  /** False once SQLite ended the transaction on its own (it does after some I/O errors). */
  readonly inTransaction: boolean
  /** Runs `fn` as a unit keyed by `keys` (scoped in store/database.ts). Optional. */
  scoped?<T>(keys: readonly string[], fn: () => T): T
}

/** What one unit of grouped work returns: its result, and whether its writes are kept. */
export interface GroupWork<T> {
  value: T
  /** Undo this unit's writes (only its savepoint); the rest of the group still commits. */
  rollback?: boolean
}

/** The group transaction failed to commit; none of its work is durable. */
export class GroupCommitError extends Error {
  override name = 'GroupCommitError'
}

/** What a unit says about itself, so the database can do more of the group at once. */
export interface UnitOptions {
  /** Every row the unit touches, by scope key (scoped in store/database.ts). */
  keys?: readonly string[]
  /**
   * With `keys`: asks for the reads the unit will make (readAhead in
   * store/database.ts). The group asks for every unit's of a round before
   * running the round's first, so on PostgreSQL they go in one round trip.
   */
  prefetch?: () => void
}

interface Job extends UnitOptions {
  work: () => GroupWork<unknown>
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

/** A job and its place in the group. */
interface Placed {
  job: Job
  at: number
}

/**
 * The units to run next, and those to run after them. When every unit has
 * keys, a unit sharing a key with an earlier one waits for the next round,
 * and so does any later unit sharing a key with it: units that share a key
 * still run in submission order, and each round's units are independent.
 * On PostgreSQL a round's reads then all go ahead in one round trip, and
 * none is made stale by a write of its own round (see prefetch). A unit
 * without keys could touch anything: the group then runs in order.
 */
function nextRound(pending: readonly Placed[]): { now: Placed[]; later: Placed[] } {
  if (pending.some((p) => p.job.keys === undefined)) return { now: [...pending], later: [] }
  const taken = new Set<string>()
  const now: Placed[] = []
  const later: Placed[] = []
  for (const p of pending) {
    const keys = p.job.keys ?? []
    ;(keys.some((k) => taken.has(k)) ? later : now).push(p)
    for (const k of keys) taken.add(k)
  }
  return { now, later }
}

/** Thrown inside a savepoint to undo it while still handing back a value. */
class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('unit rolled back')
  }
}

/**
 * Groups the synchronous write work submitted during one event-loop turn into
 * a single transaction, one savepoint per unit. One commit (and, with
 * `synchronous=FULL`, one fsync) then serves every event of the turn, and one
 * unit's failure or refusal undoes only its own savepoint.
 *
 * Promises settle only after the commit, so whoever answers a client from
 * them acknowledges durable work only. If the commit fails, every unit of the
 * group rejects with {@link GroupCommitError}.
 *
 * Units run synchronously: nothing else on the event loop can interleave
 * with an open group transaction. They run in submission order, except that
 * on a database that scopes units, when every unit of a group names its
 * keys (UnitOptions), a unit may run after a later one it shares no key
 * with (see nextRound).
 */
export class GroupCommit {
  private queue: Job[] = []
  private scheduled = false
  private groups = 0
  private units = 0
  private transactionMs = 0

  constructor(
    private readonly db: TransactionRunner,
    private readonly logger: RelayLogger = console,
  ) {}

  /**
   * Runs `work` inside this turn's group transaction and resolves with its
   * value once the group has committed. A throw from `work` undoes its
   * savepoint and rejects this promise only.
   */
  submit<T>(work: () => GroupWork<T>, options: UnitOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const { keys, prefetch } = options
      this.queue.push({ work, keys, prefetch, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        // setImmediate runs after the I/O callbacks of this turn, so every
        // event that became ready in the turn joins the same group.
        setImmediate(() => {
          this.flush()
        })
      }
    })
  }

  /**
   * Groups committed and units run so far, for monitoring and benchmarks.
   * `transactionMs` is the wall time spent inside those group transactions,
   * from the first statement to the end of COMMIT: how long the database's
   * single write lock was held (on PostgreSQL, waiting for it too).
   */
  get stats(): { groups: number; units: number; transactionMs: number } {
    return { groups: this.groups, units: this.units, transactionMs: this.transactionMs }
  }

  private flush(): void {
    this.scheduled = false
    const jobs = this.queue
    this.queue = []
    if (jobs.length === 0) return
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
    const started = performance.now()
    try {
      this.db.transaction(() => {
        let pending = jobs.map((job, at) => ({ job, at }))
        while (pending.length > 0) {
          // Rounds pay only where units are scoped: elsewhere, submission order.
          const { now, later } =
            this.db.scoped === undefined ? { now: pending, later: [] } : nextRound(pending)
          this.prefetch(now.map((p) => p.job))
          for (const { job, at } of now) outcomes[at] = this.runUnit(job)
          pending = later
        }
      })
    } catch (err) {
      this.logger.error('relay: a group commit failed; none of its events were acknowledged', err)
      const error = new GroupCommitError('the group transaction did not commit', { cause: err })
      for (const job of jobs) job.reject(error)
      return
    }
    this.transactionMs += performance.now() - started
    this.groups++
    this.units += jobs.length
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok === true) job.resolve(outcome.value)
      else job.reject(outcome?.error)
    })
  }

  /**
   * Asks for every scoped unit's reads. Only a hint: a unit whose prefetch
   * throws makes its reads itself, and its own run reports what is wrong.
   */
  private prefetch(jobs: readonly Job[]): void {
    const db = this.db
    if (db.scoped === undefined) return
    for (const { keys, prefetch } of jobs) {
      if (keys === undefined || prefetch === undefined) continue
      try {
        db.scoped(keys, prefetch)
      } catch {
        // See above.
      }
    }
  }

  private runUnit(job: Job): { ok: true; value: unknown } | { ok: false; error: unknown } {
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown }
    const unit = () =>
      this.db.transaction(() => {
        const result = job.work()
        if (result.rollback === true) throw new Rollback(result.value)
        return result.value
      })
    const { keys } = job
    try {
      const value =
        keys === undefined || this.db.scoped === undefined ? unit() : this.db.scoped(keys, unit)
      outcome = { ok: true, value }
    } catch (err) {
      outcome = err instanceof Rollback ? { ok: true, value: err.value } : { ok: false, error: err }
    }
    // After some I/O errors SQLite rolls the whole transaction back by itself;
    // later units would then autocommit outside the group, so stop here.
    if (!this.db.inTransaction) {
      throw new GroupCommitError('SQLite ended the group transaction early', {
        cause: outcome.ok ? undefined : outcome.error,
      })
    }
    return outcome
  }
}
