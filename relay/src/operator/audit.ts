/**
 * `npm run relay -- audit --db FILE`: recomputes every balance from the
 * journal and prints what disagrees. Exit code 1 if anything is off, so it
 * fits a cron job or a deploy check.
 */
import { CURRENCIES, formatAmount } from '../../../src/balance/currency'
import { RELAY_CLI_DEFAULTS, type CliFlag } from '../cli-options'
import { Ledger, type LedgerAudit } from '../ledger/ledger'
import {
  commandHelp,
  dbFlag,
  openOperatorDatabase,
  parseCommand,
  type Command,
  type CommandIo,
} from './io'

interface AuditOptions {
  db: string
}

const FLAGS: readonly CliFlag<AuditOptions>[] = [dbFlag(RELAY_CLI_DEFAULTS.db)]

const HELP = commandHelp(
  'audit',
  'Checks the ledger: the sum of every currency over the journal (must be 0), the balance cache\n' +
    'against the journal, negative internal balances, unbalanced postings, and every swarm escrow\n' +
    'against its payment lots. Exits 1 if anything is off. Safe while the relay runs.',
  FLAGS,
)

export const auditCommand: Command = {
  name: 'audit',
  summary: 'check the ledger; exit 1 if anything is off',
  help: () => HELP,
  run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommand(argv, FLAGS, { db: RELAY_CLI_DEFAULTS.db }, 0, HELP, io)
    if (typeof parsed === 'number') return Promise.resolve(parsed)
    const db = openOperatorDatabase(parsed.options.db, true)
    try {
      const report = new Ledger(db).audit()
      io.out(formatAudit(report))
      return Promise.resolve(report.ok ? 0 : 1)
    } finally {
      db.close()
    }
  },
}

/** The audit as the operator reads it, one finding per line. */
export function formatAudit(r: LedgerAudit): string {
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
