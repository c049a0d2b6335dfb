/**
 * `npm run relay -- export --db FILE [--out FILE]`: writes every balance and
 * the pool as a WebLedger JSON document. The journal stays the source of
 * truth; the export is for migration and for people to read.
 */
import { writeFileSync } from 'node:fs'
import { exportWebLedger, POOL_URL, type WebLedger } from '../../../src/balance/webledger'
import { CliUsageError } from '../cli-options'
import { PENDING_WITHDRAWALS } from '../ledger/accounts'
import type { Ledger } from '../ledger/ledger'
import { dbFlag, defineCommand, withLedger } from './io'

interface ExportOptions {
  db: string
  out?: string
}

/** The ledger's balances and pool as a WebLedger document at `now` (unix seconds). */
function exportLedger(ledger: Ledger, now: number): WebLedger {
  const { balances, pool } = ledger.exportBalances()
  return exportWebLedger(balances, pool === null ? null : { url: POOL_URL, reserves: pool }, {
    name: 'TSEED ledger',
    description: 'Balances of a TSEED relay; the relay’s journal is the source of truth.',
    updated: now,
  })
}

export const exportCommand = defineCommand<ExportOptions>({
  name: 'export',
  summary: 'write balances and the pool as WebLedger JSON',
  description:
    'Writes every internal balance (users, swarm escrows, fees, pending withdrawals) and the pool\n' +
    'as WebLedger JSON (https://w3id.org/webledgers). Amounts are decimal strings.',
  flags: [
    dbFlag(),
    {
      name: 'out',
      valueName: '<file>',
      description: 'write the document here instead of to standard output',
      apply: (o, v) => {
        if (v === '') throw new CliUsageError('--out needs a file path')
        o.out = v
      },
    },
  ],
  defaults: {},
  run: ({ db, out }, _args, io) => {
    const doc = withLedger(db, true, (ledger) =>
      exportLedger(ledger, Math.floor(Date.now() / 1000)),
    )
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
    return 0
  },
})
