import { describe, expect, it } from 'vitest'
import { testBackends } from '../../../tests/support/backends'
import { isPostgres } from '../store/database'
import { migrateRelaySchema } from './relay-schema'

describe.each(testBackends())('the relay schema on $name', ({ open }) => {
  it('creates every component table once', () => {
    const db = open()
    migrateRelaySchema(db)
    migrateRelaySchema(db)
    const tables = (
      db
        .prepare(
          isPostgres(db)
            ? `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
            : `SELECT name FROM sqlite_schema WHERE type = 'table'`,
        )
        .pluck()
        .all() as string[]
    ).sort()
    for (const t of [
      'announces',
      'announce_tags',
      'ledger_postings',
      'ledger_lines',
      'ledger_balances',
      'ledger_escrow_lots',
      'ledger_claims',
      'ledger_settlements',
      'ledger_withdrawals',
      'ledger_spending',
      'api_deposits',
      'api_withdrawals',
      'tracker_credentials',
      'torrents',
      'torrent_tags',
      'schema_migrations',
    ]) {
      expect(tables).toContain(t)
    }
  })
})
