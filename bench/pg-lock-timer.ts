/**
 * Times the PostgreSQL relay's global write lock from the client side.
 *
 * PgDatabase sends `BEGIN; SELECT pg_advisory_xact_lock(…)` together with the
 * first statement of every top-level transaction, and the lock goes with the
 * COMMIT (or ROLLBACK). So, per transaction:
 * - `waitMs`: the first round trip, which waits for the lock while another
 *   process holds it, and carries the transaction's first reads: in the
 *   relay's group commit, every announce's reads of the group's first round,
 *   sent ahead together;
 * - `holdMs`: from the end of that round trip to the end of the COMMIT, the
 *   time this process held the lock.
 *
 * The wrapping is the benchmark's own: it replaces `query` and `exec` on one
 * connection object and calls the originals, so the relay runs unchanged.
 */
import type { PgDatabase } from '../relay/src/store/pg/pg-database'

export interface LockTimes {
  transactions: number
  /**
   * Round trips to the server, inside transactions or not (PgDatabase counts
   * them). Queued writes and reads sent ahead travel with them.
   */
  roundTrips: number
  waitMs: number
  holdMs: number
}

export function timeWriteLock(db: PgDatabase): { readonly times: LockTimes } {
  const times: LockTimes = {
    transactions: 0,
    get roundTrips() {
      return db.roundTrips
    },
    waitMs: 0,
    holdMs: 0,
  }
  /** When this process got the lock; undefined outside a transaction that sent a statement. */
  let heldSince: number | undefined
  const query = db.query.bind(db)
  const exec = db.exec.bind(db)
  const first = <T>(run: () => T): T => {
    if (!db.inTransaction || heldSince !== undefined) return run()
    const t0 = performance.now()
    const result = run()
    heldSince = performance.now()
    times.waitMs += heldSince - t0
    return result
  }
  db.query = (...args: Parameters<PgDatabase['query']>) => first(() => query(...args))
  db.exec = (sql: string) => {
    const end = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i.test(sql)
    if (!end) return first(() => exec(sql))
    try {
      return exec(sql)
    } finally {
      if (heldSince !== undefined) {
        times.holdMs += performance.now() - heldSince
        times.transactions++
        heldSince = undefined
      }
    }
  }
  return { times }
}
