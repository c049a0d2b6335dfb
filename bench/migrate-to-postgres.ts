/**
 * `npx tsx bench/migrate-to-postgres.ts [N] [--deposits]`: times
 * `migrate-to-postgres` into a throwaway PostgreSQL cluster, from a relay
 * file of N stored announces (stored-db.ts, unsigned: the copy does not
 * look at signatures) or, with --deposits, of a ledger of N deposits (one
 * posting, two journal lines and one balance each). Default N 100,000.
 * Figures: docs/relay.md, "Moving a relay to PostgreSQL".
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ledger } from '../relay/src/ledger/ledger'
import { formatMigrateReport, migrateToPostgres } from '../relay/src/operator/migrate-to-postgres'
import { openDatabase, transactionRun } from '../relay/src/store/database'
import { startThrowawayCluster } from '../relay/src/store/pg/throwaway-cluster'
import { buildStoredDatabase } from './stored-db'
import { defaultStoredPlan } from './stored-plan'

async function buildSource(path: string, n: number, deposits: boolean): Promise<void> {
  const t0 = performance.now()
  if (deposits) {
    const db = openDatabase(path)
    const ledger = new Ledger(db)
    ledger.bootstrapPool({ tseed: 10_000_000n, sat: 5_000_000n })
    transactionRun(db).immediate(() => {
      for (let i = 0; i < n; i++) {
        ledger.deposit(i.toString(16).padStart(64, '0'), 1_000n, `bench:${i}`)
      }
    })
    db.close()
  } else {
    const plan = defaultStoredPlan(n, Math.floor(Date.now() / 1000))
    await buildStoredDatabase(path, plan, { sign: false })
  }
  const what = deposits ? 'deposits' : 'announces'
  console.info(`source: ${n} ${what} built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const deposits = args.includes('--deposits')
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000)
  const dir = mkdtempSync(join(tmpdir(), 'tseed-migrate-bench-'))
  const path = join(dir, 'relay.sqlite')
  const cluster = await startThrowawayCluster()
  try {
    await buildSource(path, n, deposits)
    const to = `${cluster.url}?schema=bench`
    const report = migrateToPostgres({ from: path, to }, { err: (t) => process.stderr.write(t) })
    process.stdout.write(formatMigrateReport(report, path, to))
  } finally {
    cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
