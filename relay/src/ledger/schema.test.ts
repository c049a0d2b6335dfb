import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrateLedger } from './schema'

describe('ledger schema', () => {
  it('applies every migration once, with ledger_-prefixed tables', () => {
    const db = new Database(':memory:')
    expect(migrateLedger(db)).toEqual([1, 2, 3, 4])
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
      'ledger_lines',
      'ledger_postings',
      'ledger_settlements',
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
})
