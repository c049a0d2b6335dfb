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

interface Job {
  work: () => GroupWork<unknown>
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
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
 * Units run in submission order, synchronously: nothing else on the event
 * loop can interleave with an open group transaction.
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
  submit<T>(work: () => GroupWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject })
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
        for (const job of jobs) outcomes.push(this.runUnit(job))
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

  private runUnit(job: Job): { ok: true; value: unknown } | { ok: false; error: unknown } {
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown }
    try {
      const value = this.db.transaction(() => {
        const result = job.work()
        if (result.rollback === true) throw new Rollback(result.value)
        return result.value
      })
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
