/**
 * `npm run relay -- import FILE --db FILE [--force]`: credits the balances
 * and pool of a WebLedger document into the ledger, each against the
 * `urn:external:import` contra account. Importing the same file twice
 * changes nothing the second time.
 */
import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { formatAmount } from '../../../src/balance/currency'
import { importWebLedger, WebLedgerError } from '../../../src/balance/webledger'
import { CliUsageError } from '../cli-options'
import { dbFlag, defineCommand, OperatorError, withLedger } from './io'

interface ImportOptions {
  db: string
  force: boolean
}

export const importCommand = defineCommand<ImportOptions>({
  name: 'import',
  summary: 'credit balances from a WebLedger JSON file',
  description:
    'Credits the balances and the pool of a WebLedger JSON file into the ledger. Refuses a ledger that\n' +
    'already holds balances unless --force; swarm escrows and pending withdrawals are refused.',
  flags: [
    dbFlag(),
    {
      name: 'force',
      valueName: '',
      boolean: true,
      description:
        'import into a ledger that already holds balances (they are added, not replaced)',
      apply: (o) => {
        o.force = true
      },
    },
  ],
  defaults: { force: false },
  positionals: { synopsis: 'FILE', max: 1 },
  run: ({ db: path, force }, [file], io) => {
    if (file === undefined) throw new CliUsageError('the WebLedger file to import is required')
    let bytes: Buffer
    try {
      bytes = readFileSync(file)
    } catch (err) {
      throw new OperatorError(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      )
    }
    let snapshot: ReturnType<typeof importWebLedger>
    try {
      snapshot = importWebLedger(JSON.parse(bytes.toString('utf8')) as unknown)
    } catch (err) {
      if (err instanceof SyntaxError) throw new OperatorError(`${file} is not JSON: ${err.message}`)
      if (err instanceof WebLedgerError) throw new OperatorError(`${file}: ${err.message}`)
      throw err
    }

    return withLedger(path, false, (ledger) => {
      const current = ledger.exportBalances()
      if (!force && (current.balances.size > 0 || current.pool !== null)) {
        io.err(
          `${path} already holds ${current.balances.size} account balances` +
            `${current.pool !== null ? ' and a pool' : ''}. Importing adds to balances; it does not ` +
            'replace them, so importing an export of this same ledger would count everything twice. ' +
            'Import into a new --db file, or pass --force if adding is really what you want.\n',
        )
        return 1
      }
      // The file's hash is the idempotency reference: the same file never counts twice.
      const ref = `webledger:${bytesToHex(sha256(bytes)).slice(0, 32)}`
      if (ledger.importBalances(snapshot, ref).postings === 0) {
        io.out(`${file} was already imported into ${path}; nothing changed\n`)
        return 0
      }
      let tseed = 0n
      let sat = 0n
      for (const m of snapshot.balances.values()) {
        tseed += m.get('TSEED') ?? 0n
        sat += m.get('sat') ?? 0n
      }
      io.out(
        `imported ${snapshot.balances.size} accounts (${formatAmount(tseed, 'TSEED')}, ` +
          `${formatAmount(sat, 'sat')})${snapshot.pool !== null ? ' and the pool' : ''} into ${path}\n`,
      )
      const audit = ledger.audit()
      io.out(audit.ok ? 'audit: OK\n' : 'audit: FAILED; run the audit command for details\n')
      return audit.ok ? 0 : 1
    })
  },
})
