/**
 * `npm run relay -- export --db FILE [--out FILE]`: writes every balance and
 * the pool as a WebLedger JSON document. The journal stays the source of
 * truth; the export is for migration and for people to read.
 */
import { writeFileSync } from 'node:fs'
import { exportWebLedger, POOL_URL, type WebLedger } from '../../../src/balance/webledger'
import { CliUsageError, RELAY_CLI_DEFAULTS, type CliFlag } from '../cli-options'
import { PENDING_WITHDRAWALS } from '../ledger/accounts'
import { Ledger } from '../ledger/ledger'
import {
  commandHelp,
  dbFlag,
  openOperatorDatabase,
  parseCommand,
  type Command,
  type CommandIo,
} from './io'

interface ExportOptions {
  db: string
  out?: string
}

const FLAGS: readonly CliFlag<ExportOptions>[] = [
  dbFlag(RELAY_CLI_DEFAULTS.db),
  {
    name: 'out',
    valueName: '<file>',
    description: 'write the document here instead of to standard output',
    apply: (o, v) => {
      if (v === '') throw new CliUsageError('--out needs a file path')
      o.out = v
    },
  },
]

const HELP = commandHelp(
  'export',
  'Writes every internal balance (users, swarm escrows, fees, pending withdrawals) and the pool\n' +
    'as WebLedger JSON (https://w3id.org/webledgers). Amounts are decimal strings.',
  FLAGS,
)

/** The ledger's balances and pool as a WebLedger document at `now` (unix seconds). */
export function exportLedger(ledger: Ledger, now: number): WebLedger {
  const { balances, pool } = ledger.exportBalances()
  return exportWebLedger(balances, pool === null ? null : { url: POOL_URL, reserves: pool }, {
    name: 'TSEED ledger',
    description: 'Balances of a TSEED relay; the relay’s journal is the source of truth.',
    updated: now,
  })
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write balances and the pool as WebLedger JSON',
  help: () => HELP,
  run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommand(argv, FLAGS, { db: RELAY_CLI_DEFAULTS.db }, 0, HELP, io)
    if (typeof parsed === 'number') return Promise.resolve(parsed)
    const { db: path, out } = parsed.options
    const db = openOperatorDatabase(path, true)
    let doc: WebLedger
    try {
      doc = exportLedger(new Ledger(db), Math.floor(Date.now() / 1000))
    } finally {
      db.close()
    }
    const text = JSON.stringify(doc, null, 2) + '\n'
    if (out === undefined) io.out(text)
    else writeFileSync(out, text, { mode: 0o600 })

    const unportable = doc.entries.filter(
      (e) => e.url.startsWith('urn:swarm:') || e.url === PENDING_WITHDRAWALS,
    )
    if (unportable.length > 0) {
      io.err(
        `note: ${unportable.length} entries are swarm escrows or pending withdrawals; ` +
          '`import` refuses them, because who paid them cannot travel in a WebLedger. ' +
          'Let the relay settle them before migrating.\n',
      )
    }
    if (out !== undefined) io.err(`exported ${doc.entries.length} entries to ${out}\n`)
    return Promise.resolve(0)
  },
}
