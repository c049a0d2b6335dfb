import { execFileSync } from 'node:child_process'
import { RELAY_CLI } from '../../../scripts/relay-process'

/** Runs the operator's `audit` command on a stopped relay's database; throws unless the journal sums to zero. */
export function assertAuditZero(dbPath: string): void {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', RELAY_CLI, 'audit', '--db', dbPath],
    {
      encoding: 'utf8',
    },
  )
  if (!/audit: OK/.test(out)) throw new Error(`ledger audit failed:\n${out}`)
}
