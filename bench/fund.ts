/**
 * Prepares the TSEED relay's database before it starts: the dev pool, then a
 * Lightning deposit and a swap into TSEED for every funded downloader, all
 * through the Ledger API, exactly as the HTTP API would post them.
 */
import { Ledger } from '../relay/src/ledger/ledger'
import { openRelayDatabase } from '../relay/src/store/open-relay-database'
import { DEV_POOL } from '../relay/src/tseed-relay'
import { FUNDING_SATS } from './plan'

/**
 * Funds `pubkeys` on a new database (a SQLite file, or a `postgres://` URL as
 * the relay's `--db` takes it); returns the TSEED each one got.
 */
export function fundDatabase(spec: string, pubkeys: readonly string[]): Map<string, bigint> {
  const db = openRelayDatabase(spec)
  try {
    const ledger = new Ledger(db)
    ledger.bootstrapPool(DEV_POOL)
    const got = new Map<string, bigint>()
    for (const pk of pubkeys) {
      ledger.deposit(pk, FUNDING_SATS, `bench-deposit-${pk}`)
      const swap = ledger.swap(pk, 'sat_to_tseed', FUNDING_SATS, 1n, `bench-swap-${pk}`)
      got.set(pk, swap.amountOut)
    }
    if (!ledger.audit().ok) throw new Error('the funded bench ledger does not audit')
    return got
  } finally {
    db.close()
  }
}
