/**
 * Spending limits a key sets on its own announces (docs/ledger.md, "Spending
 * limits"). A signer that approves everything (a NIP-07 extension set to
 * "always", a NIP-46 bunker) signs whatever announce a page makes up, so the
 * relay caps what a key's announces may be charged per hour and per day.
 *
 * What was charged inside a window comes from `ledger_spending`, written in
 * the same transaction as each download posting: one row per key and second
 * with that second's charges and the key's running total, so the charges
 * after any moment are two index lookups however many there were.
 */
import { MAX_AMOUNT } from '../../../src/balance/units'
import { runLater, type SqlDatabase } from '../store/database'
import { pubkeyOf, userAccount } from './accounts'
import { LedgerError } from './errors'

/** A key's limits in whole TSEED; null is no limit for that window. */
export interface SpendingLimits {
  perHour: bigint | null
  perDay: bigint | null
}

/** A key's limits and what its announces were charged inside each window. */
export interface SpendingStatus extends SpendingLimits {
  chargedLastHour: bigint
  chargedLastDay: bigint
}

export const HOUR_SECONDS = 3600
export const DAY_SECONDS = 86_400

/** Keys whose limits stay in memory: the announce path must not read the table for each one. */
const DEFAULT_CACHE_ENTRIES = 100_000

const NO_LIMITS: Readonly<SpendingLimits> = Object.freeze({ perHour: null, perDay: null })

interface LimitRow {
  per_hour: bigint | null
  per_day: bigint | null
}

interface SpendingRow {
  at: bigint
  amount: string
  total: string
}

/** A key's newest charge row, read by the caller ahead of time; see LATEST_SPENDING_COLUMNS. */
export interface LatestSpending {
  row: SpendingRow | undefined
}

/**
 * Columns `spent_at`, `spent_amount` and `spent_total`: a key's newest charge
 * row, for a caller that reads it in a query of its own (on PostgreSQL every
 * read is a round trip). Each column takes the pubkey as one `?`.
 */
export const LATEST_SPENDING_COLUMNS = (['at', 'amount', 'total'] as const)
  .map(
    (c) =>
      `(SELECT ${c} FROM ledger_spending WHERE pubkey = ? ORDER BY at DESC LIMIT 1) AS spent_${c}`,
  )
  .join(',\n')

/** The row LATEST_SPENDING_COLUMNS read. */
export function latestSpending(columns: {
  spent_at: bigint | null
  spent_amount: string | null
  spent_total: string | null
}): LatestSpending {
  const { spent_at: at, spent_amount: amount, spent_total: total } = columns
  return {
    row: at === null || amount === null || total === null ? undefined : { at, amount, total },
  }
}

/** Limits, their cache, and the charge record; methods must run inside the caller's transaction. */
export class SpendingLimiter {
  private readonly cache = new Map<string, Readonly<SpendingLimits>>()
  private readonly stmt

  constructor(
    db: SqlDatabase,
    private readonly cacheEntries = DEFAULT_CACHE_ENTRIES,
  ) {
    const p = (sql: string) => db.prepare(sql).safeIntegers(true)
    this.stmt = {
      limits: p('SELECT per_hour, per_day FROM ledger_limits WHERE pubkey = ?'),
      setLimits: p(
        `INSERT INTO ledger_limits (pubkey, per_hour, per_day, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (pubkey) DO UPDATE SET per_hour = excluded.per_hour,
           per_day = excluded.per_day, updated_at = excluded.updated_at`,
      ),
      clearLimits: p('DELETE FROM ledger_limits WHERE pubkey = ?'),
      latest: p(
        'SELECT at, amount, total FROM ledger_spending WHERE pubkey = ? ORDER BY at DESC LIMIT 1',
      ),
      firstAfter: p(
        'SELECT at, amount, total FROM ledger_spending WHERE pubkey = ? AND at > ? ORDER BY at LIMIT 1',
      ),
      record: p(
        `INSERT INTO ledger_spending (pubkey, at, amount, total) VALUES (?, ?, ?, ?)
         ON CONFLICT (pubkey, at) DO UPDATE SET amount = excluded.amount, total = excluded.total`,
      ),
      prune: p('DELETE FROM ledger_spending WHERE at <= ?'),
    }
  }

  /** The key's limits; both null when it set none. */
  limitsOf(pubkey: string): Readonly<SpendingLimits> {
    let limits = this.cache.get(pubkey)
    if (limits === undefined) {
      const row = this.stmt.limits.get(pubkey) as LimitRow | undefined
      limits = row === undefined ? NO_LIMITS : { perHour: row.per_hour, perDay: row.per_day }
      if (this.cache.size >= this.cacheEntries) {
        // Map keeps insertion order: the first key is the one cached longest ago.
        const oldest = this.cache.keys().next()
        if (oldest.done !== true) this.cache.delete(oldest.value)
      }
      this.cache.set(pubkey, limits)
    }
    return limits
  }

  /** Sets the key's limits; null clears one. `at` stamps the change. */
  set(pubkey: string, limits: SpendingLimits, at: number): void {
    userAccount(pubkey)
    checkLimit(limits.perHour, 'perHour')
    checkLimit(limits.perDay, 'perDay')
    if (limits.perHour === null && limits.perDay === null) this.stmt.clearLimits.run(pubkey)
    else this.stmt.setLimits.run(pubkey, limits.perHour, limits.perDay, at)
    // Dropped rather than overwritten: if the caller's transaction rolls
    // back, the next read finds what was committed.
    this.cache.delete(pubkey)
  }

  /** The key's limits and what it was charged in the hour and the day up to `now`. */
  status(pubkey: string, now: number): SpendingStatus {
    const latest = this.latest(pubkey).row
    return {
      ...this.limitsOf(pubkey),
      chargedLastHour: this.chargedAfter(pubkey, latest, now - HOUR_SECONDS),
      chargedLastDay: this.chargedAfter(pubkey, latest, now - DAY_SECONDS),
    }
  }

  /**
   * The refusal for charging `charge` TSEED to the key at `now`, or undefined
   * when every window it set a limit for has room. Names each window that is
   * over, hour first.
   */
  refusal(pubkey: string, charge: bigint, now: number, read?: LatestSpending): string | undefined {
    const { perHour, perDay } = this.limitsOf(pubkey)
    if (perHour === null && perDay === null) return undefined
    const latest = (read ?? this.latest(pubkey)).row
    const over: string[] = []
    for (const [limit, seconds, per] of [
      [perHour, HOUR_SECONDS, 'hour'],
      [perDay, DAY_SECONDS, 'day'],
    ] as const) {
      if (limit === null) continue
      const charged = this.chargedAfter(pubkey, latest, now - seconds)
      if (charged + charge > limit) over.push(`${charged} of your ${limit} TSEED per ${per}`)
    }
    if (over.length === 0) return undefined
    return (
      `blocked: spending limit: this announce would charge ${charge} TSEED; ` +
      `${over.join(' and ')} are already charged`
    )
  }

  /** Counts a charge of `amount` TSEED made to the key at `at`. */
  record(pubkey: string, amount: bigint, at: number, read?: LatestSpending): void {
    const last = (read ?? this.latest(pubkey)).row
    const lastAt = last === undefined ? undefined : Number(last.at)
    // Running totals must grow with time. After the clock stepped back, the
    // charge is filed with the key's newest one: it then stays in the windows
    // a little longer, never shorter.
    const second = lastAt !== undefined && lastAt > at ? lastAt : at
    const total = (last === undefined ? 0n : BigInt(last.total)) + amount
    const inSecond = (last !== undefined && lastAt === second ? BigInt(last.amount) : 0n) + amount
    runLater(this.stmt.record, pubkey, second, inSecond.toString(), total.toString())
  }

  /** Forgets charges older than the longest window. @returns rows deleted */
  prune(now: number): number {
    return this.stmt.prune.run(now - DAY_SECONDS).changes
  }

  private latest(pubkey: string): LatestSpending {
    return { row: this.stmt.latest.get(pubkey) as SpendingRow | undefined }
  }

  /** What the key was charged strictly after `since`, from its newest row `latest`. */
  private chargedAfter(pubkey: string, latest: SpendingRow | undefined, since: number): bigint {
    if (latest === undefined || Number(latest.at) <= since) return 0n
    const first = this.stmt.firstAfter.get(pubkey, since) as SpendingRow
    return BigInt(latest.total) - BigInt(first.total) + BigInt(first.amount)
  }
}

/**
 * Fills `ledger_spending` from the journal's download postings after
 * `since`: a ledger that charged announces before spending limits existed
 * then counts those charges too.
 */
export function backfillSpending(db: SqlDatabase, since: number): void {
  const rows = db
    .prepare(
      `SELECT l.account, p.at, l.amount FROM ledger_postings p
       JOIN ledger_lines l ON l.posting_id = p.id
       WHERE p.kind = 'download' AND p.at > ? AND l.currency = 'TSEED' AND l.amount < 0
       ORDER BY p.id`,
    )
    .safeIntegers(true)
    .all(since) as { account: string; at: bigint; amount: bigint }[]
  const limiter = new SpendingLimiter(db)
  for (const r of rows) {
    const pubkey = pubkeyOf(r.account)
    if (pubkey !== undefined) limiter.record(pubkey, -r.amount, Number(r.at))
  }
}

function checkLimit(limit: bigint | null, name: string): void {
  if (limit === null) return
  if (typeof limit !== 'bigint' || limit < 0n || limit > MAX_AMOUNT) {
    throw new LedgerError('amount_out_of_range', `${name} must be null or a bigint from 0 to 2^62`)
  }
}
