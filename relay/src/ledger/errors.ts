import type { Currency } from '../../../src/balance/currency'

/** Stable machine-readable reasons a ledger operation was refused. */
export type LedgerErrorCode =
  | 'insufficient_funds'
  | 'unbalanced_posting'
  | 'duplicate_reference'
  | 'invalid_account'
  | 'invalid_input'
  | 'amount_out_of_range'
  | 'pool_not_bootstrapped'
  | 'pool_already_bootstrapped'
  | 'withdrawal_not_found'
  | 'withdrawal_state'

/**
 * A refused ledger operation. Whenever one is thrown, the transaction it ran in
 * is rolled back, so nothing of the operation is written.
 */
export class LedgerError extends Error {
  override name = 'LedgerError'
  readonly code: LedgerErrorCode

  constructor(code: LedgerErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** A posting would take an internal account below zero. */
export class InsufficientFunds extends LedgerError {
  override name = 'InsufficientFunds'
  readonly account: string
  readonly currency: Currency
  /** What the posting takes out of the account. */
  readonly need: bigint
  /** What the account holds. */
  readonly have: bigint

  constructor(account: string, currency: Currency, need: bigint, have: bigint) {
    super('insufficient_funds', `insufficient balance: need ${need} ${currency}, have ${have}`)
    this.account = account
    this.currency = currency
    this.need = need
    this.have = have
  }
}

/** A posting's idempotency reference is already in the journal. */
export class DuplicateReference extends LedgerError {
  override name = 'DuplicateReference'
  readonly ref: string

  constructor(ref: string, detail = 'already used by another posting') {
    super('duplicate_reference', `reference ${JSON.stringify(ref)} ${detail}`)
    this.ref = ref
  }
}
