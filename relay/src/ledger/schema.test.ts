import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate } from '../store/database'
import { LEDGER_COMPONENT, LEDGER_MIGRATIONS, migrateLedger } from './schema'
import { SpendingLimiter } from './spending-limits'

describe('ledger schema', () => {
  it('applies every migration once, with ledger_-prefixed tables', () => {
    const db = new Database(':memory:')
    expect(migrateLedger(db)).toEqual([1, 2, 3, 4, 5])
    expect(migrateLedger(db)).toEqual([])
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'ledger%'")
      .pluck()
      .all() as string[]
    expect(tables.sort()).toEqual([
      'ledger_announce_seen',
      'ledger_announce_state',
      'ledger_balances',
      'ledger_carry',
      'ledger_claims',
      'ledger_escrow_lots',
      'ledger_limits',
      'ledger_lines',
      'ledger_postings',
      'ledger_settlements',
      'ledger_spending',
      'ledger_withdrawals',
    ])
  })

  it('makes the journal append-only and range-checks amounts in the database itself', () => {
    const db = new Database(':memory:')
    migrateLedger(db)
    db.prepare(
      "INSERT INTO ledger_postings (id, kind, ref, at) VALUES (1, 'deposit', 'r', 0)",
    ).run()
    db.prepare(
      "INSERT INTO ledger_lines VALUES (1, 'urn:external:lightning', 'sat', -5), (1, 'x', 'sat', 5)",
    ).run()
    expect(() => db.prepare('UPDATE ledger_lines SET amount = 6').run()).toThrow('append-only')
    expect(() => db.prepare('DELETE FROM ledger_lines').run()).toThrow('append-only')
    expect(() => db.prepare("UPDATE ledger_postings SET ref = 'q'").run()).toThrow('append-only')
    expect(() => db.prepare('DELETE FROM ledger_postings').run()).toThrow('append-only')
    expect(() =>
      db.prepare("INSERT INTO ledger_lines VALUES (1, 'y', 'sat', 4611686018427387905)").run(),
    ).toThrow('CHECK constraint failed')
    expect(() => db.prepare("INSERT INTO ledger_lines VALUES (1, 'y', 'sat', 0)").run()).toThrow(
      'CHECK constraint failed',
    )
  })

  it('counts the downloads of the last day a ledger charged before it had spending limits', () => {
    const db = new Database(':memory:')
    migrate(db, LEDGER_COMPONENT, LEDGER_MIGRATIONS.slice(0, 4))
    const now = Math.floor(Date.now() / 1000)
    const pk = 'a'.repeat(64)
    const download = (id: number, at: number, amount: number) => {
      db.prepare(
        "INSERT INTO ledger_postings (id, kind, ref, at) VALUES (?, 'download', ?, ?)",
      ).run(id, `announce:${id}`, at)
      db.prepare(
        "INSERT INTO ledger_lines VALUES (?, ?, 'TSEED', ?), (?, 'urn:swarm:' || ?, 'TSEED', ?)",
      ).run(id, `did:nostr:${pk}`, -amount, id, 'c'.repeat(40), amount)
    }
    download(1, now - 90_000, 100)
    download(2, now - 7200, 20)
    download(3, now - 60, 3)
    expect(migrateLedger(db)).toEqual([5])
    expect(new SpendingLimiter(db).status(pk, now)).toMatchObject({
      chargedLastHour: 3n,
      chargedLastDay: 23n,
    })
  })
})
