import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAX_AMOUNT } from '../../../src/balance/units'
import { openTestPostgres, postgresUrl } from '../../../tests/support/postgres'
import type { PgDatabase } from '../store/pg/pg-database'
import { EXTERNAL, POOL_ACCOUNT, swarmAccount, userAccount } from './accounts'
import { DuplicateReference, InsufficientFunds, LedgerError } from './errors'
import { Journal, type PostingInput } from './journal'

const ALICE = userAccount('a'.repeat(64))
const BOB = userAccount('b'.repeat(64))
const SWARM = swarmAccount('c'.repeat(40))

function deposit(ref: string, account: string, sats: bigint): PostingInput {
  return {
    kind: 'deposit',
    ref,
    at: 100,
    lines: [
      { account: EXTERNAL.lightning, currency: 'sat', amount: -sats },
      { account, currency: 'sat', amount: sats },
    ],
  }
}

function countRows(db: Database.Database): number {
  return db
    .prepare('SELECT (SELECT count(*) FROM ledger_postings) + (SELECT count(*) FROM ledger_lines)')
    .pluck()
    .get() as number
}

describe('Journal', () => {
  let db: Database.Database
  let journal: Journal

  beforeEach(() => {
    db = new Database(':memory:')
    journal = new Journal(db)
  })

  it('posts balanced lines and caches the balances', () => {
    const p = journal.post(deposit('d1', ALICE, 500n))
    expect(p).toMatchObject({ id: 1, kind: 'deposit', ref: 'd1', at: 100, memo: null })
    expect(journal.balance(ALICE, 'sat')).toBe(500n)
    expect(journal.balance(EXTERNAL.lightning, 'sat')).toBe(-500n)
    expect(journal.balances(ALICE)).toEqual({ TSEED: 0n, sat: 500n })
    expect(journal.findByRef('d1')?.lines).toEqual(p.lines)
    expect(journal.findByRef('nope')).toBeUndefined()
  })

  it('refuses a posting that does not sum to zero per currency', () => {
    expect(() =>
      journal.post({
        kind: 'deposit',
        ref: 'bad',
        at: 1,
        lines: [
          { account: EXTERNAL.lightning, currency: 'sat', amount: -5n },
          { account: ALICE, currency: 'TSEED', amount: 5n },
        ],
      }),
    ).toThrow('posting "bad" does not balance: TSEED lines sum to 5')
    expect(countRows(db)).toBe(0)
  })

  it('refuses to take an internal account below zero and writes nothing', () => {
    journal.post(deposit('d1', ALICE, 10n))
    let err: unknown
    try {
      journal.post({
        kind: 'swap',
        ref: 's1',
        at: 1,
        lines: [
          { account: ALICE, currency: 'sat', amount: -11n },
          { account: POOL_ACCOUNT, currency: 'sat', amount: 11n },
        ],
      })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InsufficientFunds)
    const f = err as InsufficientFunds
    expect([f.need, f.have, f.account, f.currency]).toEqual([11n, 10n, ALICE, 'sat'])
    expect(countRows(db)).toBe(3)
    expect(journal.balance(POOL_ACCOUNT, 'sat')).toBe(0n)
    expect(journal.audit().ok).toBe(true)
  })

  it('lets external accounts go negative', () => {
    journal.post(deposit('d1', ALICE, MAX_AMOUNT))
    expect(journal.balance(EXTERNAL.lightning, 'sat')).toBe(-MAX_AMOUNT)
  })

  it('keeps every amount and balance within ±2^62', () => {
    expect(() => journal.post(deposit('big', ALICE, MAX_AMOUNT + 1n))).toThrow(
      '|amount| must be at most 2^62',
    )
    journal.post(deposit('d1', ALICE, MAX_AMOUNT))
    let err: unknown
    try {
      journal.post(deposit('d2', BOB, 1n))
    } catch (e) {
      err = e
    }
    expect((err as LedgerError).code).toBe('amount_out_of_range')
    expect(journal.balance(BOB, 'sat')).toBe(0n)
  })

  it('treats the reference as an idempotency key', () => {
    journal.post(deposit('d1', ALICE, 10n))
    expect(() => journal.post(deposit('d1', ALICE, 10n))).toThrow(DuplicateReference)
    expect(journal.balance(ALICE, 'sat')).toBe(10n)
  })

  it('rejects malformed postings with specific errors', () => {
    const base = deposit('x', ALICE, 1n)
    const bad: [Partial<PostingInput>, string][] = [
      [{ kind: 'mint' as 'deposit' }, 'unknown posting kind "mint"'],
      [{ ref: '' }, 'ref must be a string'],
      [{ at: 1.5 }, 'at must be unix seconds'],
      [{ lines: [base.lines[0]!] }, 'a posting has 2 to 64 lines'],
      [
        { lines: [{ ...base.lines[0]!, account: 'did:nostr:zz' }, base.lines[1]!] },
        'unknown account "did:nostr:zz"',
      ],
      [
        {
          lines: [
            { ...base.lines[0]!, currency: 'USD' as 'sat' },
            { ...base.lines[1]!, currency: 'USD' as 'sat' },
          ],
        },
        'unknown currency "USD"',
      ],
      [
        {
          lines: [
            { account: EXTERNAL.lightning, currency: 'sat', amount: 0n },
            { account: ALICE, currency: 'sat', amount: 0n },
          ],
        },
        'line amounts must be non-zero bigints',
      ],
      [
        {
          lines: [
            { account: EXTERNAL.lightning, currency: 'sat', amount: -2n },
            { account: ALICE, currency: 'sat', amount: 1n },
            { account: ALICE, currency: 'sat', amount: 1n },
          ],
        },
        'appears twice in sat',
      ],
    ]
    for (const [patch, message] of bad) {
      expect(() => journal.post({ ...base, ...patch }), message).toThrow(message)
    }
    expect(countRows(db)).toBe(0)
  })

  it('lists history newest first, limited', () => {
    journal.post(deposit('d1', ALICE, 10n))
    journal.post(deposit('d2', BOB, 10n))
    journal.post(deposit('d3', ALICE, 5n))
    expect(journal.history(ALICE, 10).map((p) => p.ref)).toEqual(['d3', 'd1'])
    expect(journal.history(ALICE, 1).map((p) => p.ref)).toEqual(['d3'])
    expect(journal.history(SWARM, 5)).toEqual([])
    expect(() => journal.history(ALICE, 0)).toThrow('limit must be an integer from 1 to 1000')
  })

  it('audits: sums to zero, cache matches journal', () => {
    journal.post(deposit('d1', ALICE, 10n))
    journal.post(deposit('d2', BOB, 7n))
    const clean = journal.audit()
    expect(clean).toEqual({
      ok: true,
      sums: { TSEED: 0n, sat: 0n },
      mismatches: [],
      negatives: [],
      unbalanced: [],
    })
    expect(journal.cacheTotals()).toEqual({ sums: { TSEED: 0n, sat: 0n }, negatives: [] })
  })

  it('detects a tampered cache and a tampered journal', () => {
    journal.post(deposit('d1', ALICE, 10n))
    db.prepare('UPDATE ledger_balances SET amount = 11 WHERE account = ?').run(ALICE)
    const a = journal.audit()
    expect(a.ok).toBe(false)
    expect(a.mismatches).toEqual([{ account: ALICE, currency: 'sat', cached: 11n, journal: 10n }])
    expect(journal.cacheTotals().sums.sat).toBe(1n)

    db.prepare('DELETE FROM ledger_balances WHERE account = ?').run(ALICE)
    expect(journal.audit().mismatches).toEqual([
      { account: ALICE, currency: 'sat', cached: 0n, journal: 10n },
    ])

    // A forged line needs the append-only trigger dropped first, as an attacker would.
    db.exec('DROP TRIGGER ledger_lines_append_only_u')
    db.prepare('UPDATE ledger_lines SET amount = -9 WHERE account = ?').run(EXTERNAL.lightning)
    const b = journal.audit()
    expect(b.sums.sat).toBe(1n)
    expect(b.unbalanced).toEqual([{ postingId: 1, currency: 'sat', sum: 1n }])
  })

  it('flags internal accounts below zero', () => {
    journal.post(deposit('d1', ALICE, 10n))
    db.prepare('UPDATE ledger_balances SET amount = -1 WHERE account = ?').run(ALICE)
    expect(journal.audit().negatives).toEqual([{ account: ALICE, currency: 'sat', amount: -1n }])
    expect(journal.cacheTotals().negatives).toHaveLength(1)
  })

  it('rolls back with an enclosing transaction', () => {
    expect(() =>
      db.transaction(() => {
        journal.post(deposit('d1', ALICE, 10n))
        throw new Error('later step failed')
      })(),
    ).toThrow('later step failed')
    expect(journal.balance(ALICE, 'sat')).toBe(0n)
    expect(countRows(db)).toBe(0)
  })
})

describe('Journal on a WAL file', () => {
  let dir: string
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('persists postings across connections', () => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-'))
    const file = join(dir, 'relay.db')
    const a = new Database(file)
    a.pragma('journal_mode = WAL')
    new Journal(a).post(deposit('d1', ALICE, 42n))
    a.close()
    const b = new Database(file)
    const j = new Journal(b)
    expect(j.balance(ALICE, 'sat')).toBe(42n)
    expect(j.audit().ok).toBe(true)
    b.close()
  })
})

const pgUrl = postgresUrl()

describe.skipIf(pgUrl === undefined)('Journal on PostgreSQL, with reads sent ahead', () => {
  const open: PgDatabase[] = []
  afterEach(() => {
    for (const d of open.splice(0)) d.close()
  })
  const setup = () => {
    const db = openTestPostgres(pgUrl as string)
    open.push(db)
    const journal = new Journal(db)
    journal.post(deposit('d-alice', ALICE, 500n))
    journal.post(deposit('d-bob', BOB, 500n))
    return { db, journal }
  }
  const pay = (ref: string, from: string, amount: bigint): PostingInput => ({
    kind: 'download',
    ref,
    at: 100,
    lines: [
      { account: from, currency: 'sat', amount: -amount },
      { account: SWARM, currency: 'sat', amount },
    ],
  })
  const accounts = (from: string) => [
    { account: from, currency: 'sat' as const },
    { account: SWARM, currency: 'sat' as const },
  ]

  it('numbers postings whose reads went ahead of each other one after another', () => {
    const { db, journal } = setup()
    const ids = db.transaction(() => {
      // Both reads go out before either posting: each sees the newest id as 2
      // and the escrow as empty.
      db.scoped([`user:${ALICE}`], () => {
        journal.readAheadPost('pay-a', accounts(ALICE))
      })
      db.scoped([`user:${BOB}`], () => {
        journal.readAheadPost('pay-b', accounts(BOB))
      })
      const a = db.scoped([`user:${ALICE}`], () => journal.post(pay('pay-a', ALICE, 100n)))
      const b = db.scoped([`user:${BOB}`], () => journal.post(pay('pay-b', BOB, 30n)))
      return [a.id, b.id]
    })()
    expect(ids).toEqual([3, 4])
    // The escrow was added to by both, not set from a read made before either.
    expect(journal.balance(SWARM, 'sat')).toBe(130n)
    expect(journal.balances(ALICE).sat).toBe(400n)
    expect(journal.balances(BOB).sat).toBe(470n)
    expect(journal.audit().ok).toBe(true)
  })

  it('leaves the id of a posting whose unit rolled back unused, never given twice', () => {
    const { db, journal } = setup()
    const ids = db.transaction(() => {
      db.scoped([`user:${BOB}`], () => {
        journal.readAheadPost('pay-b', accounts(BOB))
      })
      expect(() =>
        db.scoped([`user:${ALICE}`], () =>
          db.transaction(() => {
            journal.post(pay('pay-a', ALICE, 100n))
            throw new Error('refused after posting')
          })(),
        ),
      ).toThrow('refused after posting')
      const b = db.scoped([`user:${BOB}`], () => journal.post(pay('pay-b', BOB, 30n)))
      return [b.id]
    })()
    expect(ids).toEqual([4])
    expect(journal.findByRef('pay-a')).toBeUndefined()
    expect(journal.balance(SWARM, 'sat')).toBe(30n)
    expect(journal.audit().ok).toBe(true)
  })
})
