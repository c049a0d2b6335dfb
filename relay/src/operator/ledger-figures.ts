/**
 * The figures that say two ledgers hold the same money: the audit's verdict
 * and sums, every cached balance (account and currency), the pool, and the
 * journal's size and turnover. Computed the same way on SQLite and
 * PostgreSQL, so a copy can be checked against its source.
 */
import { CURRENCIES, formatAmount, type Currency } from '../../../src/balance/currency'
import type { Pool } from '../../../src/balance/amm'
import type { Ledger } from '../ledger/ledger'
import { isPostgres, type SqlDatabase } from '../store/database'

export interface LedgerFigures {
  auditOk: boolean
  sums: Record<Currency, bigint>
  postings: number
  lines: number
  /** Sum of the positive line amounts per currency: what moved. */
  turnover: Record<Currency, bigint>
  /** `account currency` → cached balance, external accounts and the pool included. */
  balances: Map<string, bigint>
  pool: Pool | null
}

/** The figures of `ledger`, whose database is `db`. */
export function ledgerFigures(db: SqlDatabase, ledger: Ledger): LedgerFigures {
  const audit = ledger.audit()
  const count = (table: string): number =>
    Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().safeIntegers().get())
  const balances = new Map<string, bigint>()
  const rows = db
    .prepare('SELECT account, currency, amount FROM ledger_balances')
    .safeIntegers()
    .iterate() as Iterable<{ account: string; currency: string; amount: bigint }>
  for (const r of rows) balances.set(`${r.account} ${r.currency}`, r.amount)
  return {
    auditOk: audit.ok,
    sums: audit.sums,
    postings: count('ledger_postings'),
    lines: count('ledger_lines'),
    turnover: turnover(db),
    balances,
    pool: ledger.pool(),
  }
}

/**
 * PostgreSQL sums bigints as numeric, exactly. SQLite's sum() stops at
 * int64 overflow, so there the amounts are added as BigInt here.
 */
function turnover(db: SqlDatabase): Record<Currency, bigint> {
  const out: Record<Currency, bigint> = { TSEED: 0n, sat: 0n }
  if (isPostgres(db)) {
    const rows = db
      .prepare(
        'SELECT currency, sum(amount) AS total FROM ledger_lines WHERE amount > 0 GROUP BY currency',
      )
      .safeIntegers()
      .all() as { currency: Currency; total: bigint }[]
    for (const r of rows) out[r.currency] = r.total
    return out
  }
  const rows = db
    .prepare('SELECT currency, amount FROM ledger_lines WHERE amount > 0')
    .safeIntegers()
    .iterate() as Iterable<{ currency: Currency; amount: bigint }>
  for (const r of rows) out[r.currency] += r.amount
  return out
}

/** What differs between two ledgers' figures; empty when they hold the same money. */
export function figureDifferences(a: LedgerFigures, b: LedgerFigures): string[] {
  const diffs: string[] = []
  if (a.auditOk !== b.auditOk) diffs.push(`audit ${verdict(a)} vs ${verdict(b)}`)
  for (const c of CURRENCIES) {
    if (a.sums[c] !== b.sums[c]) diffs.push(`sum ${c} ${a.sums[c]} vs ${b.sums[c]}`)
    if (a.turnover[c] !== b.turnover[c]) {
      diffs.push(`turnover ${c} ${a.turnover[c]} vs ${b.turnover[c]}`)
    }
  }
  if (a.postings !== b.postings) diffs.push(`postings ${a.postings} vs ${b.postings}`)
  if (a.lines !== b.lines) diffs.push(`lines ${a.lines} vs ${b.lines}`)
  if (a.pool?.tseed !== b.pool?.tseed || a.pool?.sat !== b.pool?.sat) {
    diffs.push(`pool ${poolText(a.pool)} vs ${poolText(b.pool)}`)
  }
  for (const [key, amount] of a.balances) {
    const other = b.balances.get(key)
    if (other !== amount) diffs.push(`balance ${key} ${amount} vs ${other ?? 'none'}`)
  }
  for (const [key, amount] of b.balances) {
    if (!a.balances.has(key)) diffs.push(`balance ${key} none vs ${amount}`)
  }
  return diffs
}

/** One line for the operator. */
export function formatFigures(f: LedgerFigures): string {
  return (
    `audit ${verdict(f)}, sum TSEED ${f.sums.TSEED}, sum sat ${f.sums.sat}; ` +
    `${f.postings.toLocaleString('en-US')} postings, ${f.lines.toLocaleString('en-US')} lines, ` +
    `turnover ${formatAmount(f.turnover.TSEED, 'TSEED')} / ${formatAmount(f.turnover.sat, 'sat')}; ` +
    `${f.balances.size.toLocaleString('en-US')} balances; pool ${poolText(f.pool)}`
  )
}

function verdict(f: LedgerFigures): string {
  return f.auditOk ? 'OK' : 'FAILED'
}

function poolText(p: Pool | null): string {
  return p === null ? 'none' : `${formatAmount(p.tseed, 'TSEED')} / ${formatAmount(p.sat, 'sat')}`
}
