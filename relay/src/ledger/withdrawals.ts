/**
 * Sats leaving over Lightning (docs/ledger.md, "Withdrawals"). The amount and
 * a fee reserve are debited before the payment is attempted, so two parallel
 * withdrawals can never spend the same sats; a failed payment is refunded in
 * full, a successful one returns the unused fee reserve.
 */
import { assertAmount } from '../../../src/balance/units'
import { EXTERNAL, PENDING_WITHDRAWALS, userAccount } from './accounts'
import { DuplicateReference, LedgerError } from './errors'
import type { Journal, PostingLine } from './journal'

export type WithdrawalState = 'pending' | 'completed' | 'failed'

export interface Withdrawal {
  ref: string
  pubkey: string
  /** Sats the user asked to receive. */
  amount: bigint
  /** Sats held back for routing fees. */
  feeReserve: bigint
  state: WithdrawalState
  /** Routing fee actually paid; null until completed. */
  feePaid: bigint | null
  createdAt: number
  settledAt: number | null
}

interface Row {
  ref: string
  pubkey: string
  amount: bigint
  fee_reserve: bigint
  state: WithdrawalState
  fee_paid: bigint | null
  created_at: bigint
  settled_at: bigint | null
}

/** Withdrawal bookkeeping; methods must run inside the caller's transaction. */
export class Withdrawals {
  private readonly journal: Journal
  private readonly stmt

  constructor(journal: Journal) {
    this.journal = journal
    const p = (sql: string) => journal.db.prepare(sql).safeIntegers(true)
    this.stmt = {
      get: p('SELECT * FROM ledger_withdrawals WHERE ref = ?'),
      insert: p(
        `INSERT INTO ledger_withdrawals (ref, pubkey, amount, fee_reserve, state, created_at)
         VALUES (?, ?, ?, ?, 'pending', ?)`,
      ),
      settle: p(
        'UPDATE ledger_withdrawals SET state = ?, fee_paid = ?, settled_at = ? WHERE ref = ?',
      ),
    }
  }

  /**
   * Debits `amount + feeReserve` sats from the user into the pending account.
   * Idempotent: the same ref with the same parameters returns the existing
   * withdrawal. Throws InsufficientFunds when the user is short.
   */
  reserve(pubkey: string, amount: bigint, feeReserve: bigint, ref: string, at: number): Withdrawal {
    checkRef(ref)
    const user = userAccount(pubkey)
    if (typeof amount !== 'bigint' || amount <= 0n) {
      throw new LedgerError('invalid_input', 'withdrawal amount must be a positive bigint')
    }
    if (typeof feeReserve !== 'bigint' || feeReserve < 0n) {
      throw new LedgerError('invalid_input', 'fee reserve must be a bigint ≥ 0')
    }
    assertAmount(amount + feeReserve, 'withdrawal total')
    const existing = this.get(ref)
    if (existing !== undefined) {
      if (
        existing.pubkey === pubkey &&
        existing.amount === amount &&
        existing.feeReserve === feeReserve
      ) {
        return existing
      }
      throw new DuplicateReference(ref, 'was used for a different withdrawal')
    }
    this.journal.post({
      kind: 'withdrawal_reserve',
      ref: `withdraw:${ref}:reserve`,
      at,
      lines: [
        { account: user, currency: 'sat', amount: -(amount + feeReserve) },
        { account: PENDING_WITHDRAWALS, currency: 'sat', amount: amount + feeReserve },
      ],
    })
    this.stmt.insert.run(ref, pubkey, amount, feeReserve, at)
    return this.mustGet(ref)
  }

  /**
   * Records that the Lightning payment succeeded with `feePaid` in routing
   * fees (at most the reserve): the sats leave the ledger and the unused
   * reserve goes back to the user. Repeating it with the same fee is a no-op.
   */
  complete(ref: string, feePaid: bigint, at: number): Withdrawal {
    const w = this.mustGet(ref)
    if (w.state === 'completed' && w.feePaid === feePaid) return w
    if (w.state !== 'pending') {
      throw new LedgerError('withdrawal_state', `withdrawal ${JSON.stringify(ref)} is ${w.state}`)
    }
    if (typeof feePaid !== 'bigint' || feePaid < 0n || feePaid > w.feeReserve) {
      throw new LedgerError(
        'invalid_input',
        `fee paid must be from 0 to the reserve of ${w.feeReserve} sats`,
      )
    }
    const lines: PostingLine[] = [
      { account: PENDING_WITHDRAWALS, currency: 'sat', amount: -(w.amount + w.feeReserve) },
      { account: EXTERNAL.lightning, currency: 'sat', amount: w.amount + feePaid },
    ]
    const unused = w.feeReserve - feePaid
    if (unused > 0n) lines.push({ account: userAccount(w.pubkey), currency: 'sat', amount: unused })
    this.journal.post({ kind: 'withdrawal_complete', ref: `withdraw:${ref}:complete`, at, lines })
    this.stmt.settle.run('completed', feePaid, at, ref)
    return this.mustGet(ref)
  }

  /** Records that the payment failed: everything reserved goes back to the user. Repeatable. */
  fail(ref: string, at: number): Withdrawal {
    const w = this.mustGet(ref)
    if (w.state === 'failed') return w
    if (w.state !== 'pending') {
      throw new LedgerError('withdrawal_state', `withdrawal ${JSON.stringify(ref)} is ${w.state}`)
    }
    const total = w.amount + w.feeReserve
    this.journal.post({
      kind: 'withdrawal_fail',
      ref: `withdraw:${ref}:fail`,
      at,
      lines: [
        { account: PENDING_WITHDRAWALS, currency: 'sat', amount: -total },
        { account: userAccount(w.pubkey), currency: 'sat', amount: total },
      ],
    })
    this.stmt.settle.run('failed', null, at, ref)
    return this.mustGet(ref)
  }

  /** The withdrawal with this ref, or undefined. */
  get(ref: string): Withdrawal | undefined {
    const r = this.stmt.get.get(ref) as Row | undefined
    if (r === undefined) return undefined
    return {
      ref: r.ref,
      pubkey: r.pubkey,
      amount: r.amount,
      feeReserve: r.fee_reserve,
      state: r.state,
      feePaid: r.fee_paid,
      createdAt: Number(r.created_at),
      settledAt: r.settled_at === null ? null : Number(r.settled_at),
    }
  }

  private mustGet(ref: string): Withdrawal {
    const w = this.get(ref)
    if (w === undefined) {
      throw new LedgerError('withdrawal_not_found', `no withdrawal ${JSON.stringify(ref)}`)
    }
    return w
  }
}

function checkRef(ref: string): void {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 200) {
    throw new LedgerError('invalid_input', 'ref must be a string of 1 to 200 chars')
  }
}
