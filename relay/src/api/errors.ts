/**
 * The API's one error shape, `{error: code, message, …}` with an HTTP
 * status, and the mapping from the domain errors (ledger, AMM, Lightning,
 * NIP-98) onto it. Handlers throw; the router turns whatever was thrown into
 * a JSON answer, so a bad request can never crash the relay or leave a
 * half-written operation (every ledger write is its own transaction).
 */
import { AmmError } from '../../../src/balance/amm'
import { AmountError } from '../../../src/balance/currency'
import { Nip98Error } from '../../../src/nostr/nip98'
import { DuplicateReference, InsufficientFunds, LedgerError } from '../ledger/errors'
import { LightningError } from '../lightning/backend'

/** A refused request: `status`, a stable machine `code`, a message for people, optional extra fields. */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message)
  }
}

/** Says what to do when the pool is empty; shared by every endpoint that needs it. */
export const POOL_EMPTY_MESSAGE =
  'the pool has no reserves yet; the operator must bootstrap it first ' +
  '(npm run relay -- bootstrap-pool --tseed N --sat N --db FILE)'

/**
 * Maps anything a handler threw onto an ApiError. Returns undefined for an
 * unexpected error, which the router logs and answers with 500.
 */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err
  if (err instanceof Nip98Error) {
    if (err.reason === 'replay-capacity') {
      return new ApiError(429, 'rate_limited', err.message, { reason: err.reason })
    }
    return new ApiError(401, 'unauthorized', err.message, { reason: err.reason })
  }
  if (err instanceof InsufficientFunds) {
    return new ApiError(402, 'insufficient_funds', err.message, {
      currency: err.currency,
      need: err.need.toString(),
      have: err.have.toString(),
    })
  }
  if (err instanceof DuplicateReference) return new ApiError(409, err.code, err.message)
  if (err instanceof LedgerError) return ledgerError(err)
  if (err instanceof AmmError) return ammError(err)
  if (err instanceof AmountError) return new ApiError(400, 'invalid_amount', err.message)
  if (err instanceof LightningError) return lightningError(err)
  return undefined
}

function ledgerError(err: LedgerError): ApiError {
  switch (err.code) {
    case 'pool_not_bootstrapped':
      return new ApiError(503, err.code, POOL_EMPTY_MESSAGE)
    case 'withdrawal_state':
    case 'pool_already_bootstrapped':
      return new ApiError(409, err.code, err.message)
    case 'withdrawal_not_found':
      return new ApiError(404, 'not_found', err.message)
    default:
      return new ApiError(400, err.code, err.message)
  }
}

function ammError(err: AmmError): ApiError {
  switch (err.code) {
    case 'SLIPPAGE':
      // The pool moved since the quote: the request was fine, the state was not.
      return new ApiError(409, 'slippage', err.message)
    case 'ZERO_OUTPUT':
      return new ApiError(422, 'zero_output', err.message)
    case 'INSUFFICIENT_LIQUIDITY':
      return new ApiError(422, 'insufficient_liquidity', err.message)
    case 'BAD_POOL':
      return new ApiError(503, 'pool_unavailable', err.message)
    default:
      return new ApiError(400, 'invalid_amount', err.message)
  }
}

function lightningError(err: LightningError): ApiError {
  switch (err.code) {
    case 'INVOICE_INVALID':
      return new ApiError(422, 'invalid_invoice', err.message)
    case 'NOT_FOUND':
      return new ApiError(404, 'not_found', err.message)
    case 'UNAVAILABLE':
    case 'INSUFFICIENT_BALANCE':
      return new ApiError(503, 'lightning_unavailable', err.message, { lightning: err.code })
    default:
      return new ApiError(502, 'lightning_error', err.message, { lightning: err.code })
  }
}
