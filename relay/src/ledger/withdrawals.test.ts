import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { EXTERNAL, PENDING_WITHDRAWALS, userAccount } from './accounts'
import { DuplicateReference, InsufficientFunds, LedgerError } from './errors'
import { Journal } from './journal'
import { Withdrawals } from './withdrawals'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

function setup(sats: bigint) {
  const journal = new Journal(new Database(':memory:'))
  journal.post({
    kind: 'deposit',
    ref: 'deposit:seed',
    at: 0,
    lines: [
      { account: EXTERNAL.lightning, currency: 'sat', amount: -sats },
      { account: userAccount(A), currency: 'sat', amount: sats },
    ],
  })
  const w = new Withdrawals(journal)
  const sat = (account: string) => journal.balance(account, 'sat')
  return { journal, w, sat }
}

describe('Withdrawals', () => {
  it('debits amount and fee reserve first, then refunds the unused fee on success', () => {
    const { w, sat, journal } = setup(1000n)
    const r = w.reserve(A, 600n, 10n, 'pay1', 5)
    expect(r).toEqual({
      ref: 'pay1',
      pubkey: A,
      amount: 600n,
      feeReserve: 10n,
      state: 'pending',
      feePaid: null,
      createdAt: 5,
      settledAt: null,
    })
    expect([sat(userAccount(A)), sat(PENDING_WITHDRAWALS)]).toEqual([390n, 610n])
    const done = w.complete('pay1', 3n, 9)
    expect(done).toMatchObject({ state: 'completed', feePaid: 3n, settledAt: 9 })
    expect([sat(userAccount(A)), sat(PENDING_WITHDRAWALS), sat(EXTERNAL.lightning)]).toEqual([
      397n,
      0n,
      -1000n + 603n,
    ])
    expect(w.complete('pay1', 3n, 10)).toEqual(done)
    expect(journal.audit().ok).toBe(true)
  })

  it('refunds everything when the payment fails', () => {
    const { w, sat } = setup(1000n)
    w.reserve(A, 600n, 10n, 'pay1', 5)
    expect(w.fail('pay1', 6)).toMatchObject({ state: 'failed', settledAt: 6 })
    expect([sat(userAccount(A)), sat(PENDING_WITHDRAWALS)]).toEqual([1000n, 0n])
    expect(w.fail('pay1', 7).state).toBe('failed')
  })

  it('refuses to overdraw and writes nothing', () => {
    const { w, sat } = setup(100n)
    expect(() => w.reserve(A, 95n, 6n, 'pay1', 5)).toThrow(InsufficientFunds)
    expect(w.get('pay1')).toBeUndefined()
    expect(sat(userAccount(A))).toBe(100n)
  })

  it('is idempotent by ref and refuses a ref reused for something else', () => {
    const { w, sat } = setup(1000n)
    const first = w.reserve(A, 100n, 1n, 'pay1', 5)
    expect(w.reserve(A, 100n, 1n, 'pay1', 6)).toEqual(first)
    expect(sat(userAccount(A))).toBe(899n)
    expect(() => w.reserve(A, 101n, 1n, 'pay1', 6)).toThrow(DuplicateReference)
    expect(() => w.reserve(B, 100n, 1n, 'pay1', 6)).toThrow('was used for a different withdrawal')
  })

  it('enforces the state machine and the fee bound', () => {
    const { w } = setup(1000n)
    w.reserve(A, 100n, 5n, 'pay1', 5)
    expect(() => w.complete('pay1', 6n, 6)).toThrow('fee paid must be from 0 to the reserve of 5')
    w.complete('pay1', 5n, 6)
    expect(() => w.fail('pay1', 7)).toThrow('withdrawal "pay1" is completed')
    expect(() => w.complete('pay1', 4n, 7)).toThrow(LedgerError)
    w.reserve(A, 100n, 5n, 'pay2', 5)
    w.fail('pay2', 6)
    expect(() => w.complete('pay2', 0n, 7)).toThrow('withdrawal "pay2" is failed')
    expect(() => w.complete('nope', 0n, 7)).toThrow('no withdrawal "nope"')
  })

  it('validates amounts', () => {
    const { w } = setup(1000n)
    expect(() => w.reserve(A, 0n, 0n, 'x', 1)).toThrow(
      'withdrawal amount must be a positive bigint',
    )
    expect(() => w.reserve(A, 1n, -1n, 'x', 1)).toThrow('fee reserve must be a bigint ≥ 0')
    expect(() => w.reserve(A, 1n << 62n, 1n, 'x', 1)).toThrow('withdrawal total is out of range')
    expect(() => w.reserve(A, 1n, 0n, '', 1)).toThrow('ref must be a string')
  })
})
