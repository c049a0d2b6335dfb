/**
 * `npm run relay -- audit --db FILE`: recomputes every balance from the
 * journal and prints what disagrees. Exit code 1 if anything is off, so it
 * fits a cron job or a deploy check.
 */
import { CURRENCIES, formatAmount } from '../../../src/balance/currency'
import type { LedgerAudit } from '../ledger/ledger'
import { dbFlag, defineCommand, withLedger } from './io'

export const auditCommand = defineCommand<{ db: string }>({
  name: 'audit',
  summary: 'check the ledger; exit 1 if anything is off',
  description:
    'Checks the ledger: the sum of every currency over the journal (must be 0), the balance cache\n' +
    'against the journal, negative internal balances, unbalanced postings, and every swarm escrow\n' +
    'against its payment lots. Exits 1 if anything is off. Safe while the relay runs.',
  flags: [dbFlag()],
  defaults: {},
  run: ({ db }, _args, io) =>
    withLedger(db, true, (ledger) => {
      const report = ledger.audit()
      io.out(formatAudit(report))
      return report.ok ? 0 : 1
    }),
})

/** The audit as the operator reads it, one finding per line. */
function formatAudit(r: LedgerAudit): string {
  const lines: string[] = []
  for (const c of CURRENCIES) {
    const sum = r.sums[c]
    lines.push(`sum ${c}: ${sum.toString()}${sum === 0n ? '' : '   <-- must be 0'}`)
  }
  lines.push(
    section(
      'cache mismatches',
      r.mismatches.map(
        (m) =>
          `${m.account} ${m.currency}: cached ${m.cached.toString()}, journal ${m.journal.toString()}`,
      ),
    ),
  )
  lines.push(
    section(
      'escrow mismatches',
      r.escrow.map(
        (e) =>
          `urn:swarm:${e.infoHash}: balance ${formatAmount(e.balance, 'TSEED')}, open lots ${formatAmount(e.lots, 'TSEED')}`,
      ),
    ),
  )
  lines.push(
    section(
      'negative balances',
      r.negatives.map((n) => `${n.account}: ${formatAmount(n.amount, n.currency)}`),
    ),
  )
  lines.push(
    section(
      'unbalanced postings',
      r.unbalanced.map(
        (u) => `posting ${u.postingId} ${u.currency}: lines sum to ${u.sum.toString()}`,
      ),
    ),
  )
  lines.push(r.ok ? 'audit: OK' : 'audit: FAILED')
  return lines.join('\n') + '\n'
}

function section(title: string, items: string[]): string {
  if (items.length === 0) return `${title}: none`
  return [`${title}: ${items.length}`, ...items.map((i) => `  ${i}`)].join('\n')
}
