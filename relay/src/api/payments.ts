/**
 * Lightning in and out: deposit invoices and their status, withdrawals and
 * theirs. The money logic lives in `deposits.ts` and `withdrawals.ts`; this
 * file only reads requests and shapes answers.
 */
import { LightningError } from '../lightning/backend'
import type { ApiHandler, ApiReply } from './context'
import { depositJson } from './deposits'
import { ApiError, toApiError } from './errors'
import { onlyFields, optionalAmount, requiredAmount, requiredString } from './json'
import { errorText } from './payment-sync'
import { withdrawalJson } from './withdrawals'

/** Longer than any real invoice (BOLT 11 allows 7089 chars with route hints). */
const MAX_INVOICE_CHARS = 8000

/** `POST /api/v1/deposit {amount_sat, swap_min_out?}` → 201 with a BOLT 11 invoice bound to the caller. */
export const postDeposit: ApiHandler = async (s, req): Promise<ApiReply> => {
  onlyFields(req.body, ['amount_sat', 'swap_min_out'])
  const amount = requiredAmount(req.body, 'amount_sat', 1n)
  const swapMinOut = optionalAmount(req.body, 'swap_min_out') ?? null
  const d = await s.deposits.create(req.pubkey, amount, swapMinOut)
  return { status: 201, body: depositJson(d) }
}

/** `GET /api/v1/deposit/<payment hash>`: the deposit's state, credited once the invoice is paid. */
export const getDeposit: ApiHandler = async (s, req): Promise<ApiReply> => {
  const d = await s.deposits.status(req.pubkey, req.params[0] ?? '')
  return { body: depositJson(d) }
}

/**
 * `POST /api/v1/withdraw {invoice, max_fee_sat?}`. 200 when paid (or when
 * this invoice was withdrawn before: the existing record), 202 when the
 * outcome is unknown and will be reconciled, and an error carrying the
 * refunded withdrawal when the payment failed.
 */
export const postWithdraw: ApiHandler = async (s, req): Promise<ApiReply> => {
  onlyFields(req.body, ['invoice', 'max_fee_sat'])
  const invoice = requiredString(req.body, 'invoice', MAX_INVOICE_CHARS)
  const maxFee = optionalAmount(req.body, 'max_fee_sat')
  const outcome = await s.withdrawals.withdraw(req.pubkey, invoice, maxFee)
  const body = withdrawalJson(outcome.record)
  if (outcome.record.state === 'failed' && outcome.created) {
    throw paymentFailed(outcome.error, body)
  }
  return { status: outcome.record.state === 'pending' ? 202 : 200, body }
}

/** `GET /api/v1/withdraw/<payment hash>`: the withdrawal's state; a pending one is reconciled first. */
export const getWithdraw: ApiHandler = async (s, req): Promise<ApiReply> => {
  const w = await s.withdrawals.status(req.pubkey, req.params[0] ?? '')
  return { body: withdrawalJson(w) }
}

/** The error for a payment that did not go out; the reservation was refunded in full. */
function paymentFailed(err: unknown, withdrawal: Record<string, unknown>): ApiError {
  const message = `payment failed, the ${withdrawal.amount_sat as string} sat and the fee reserve were refunded: ${errorText(err)}`
  const extra = {
    refunded: true,
    withdrawal,
    ...(err instanceof LightningError ? { lightning: err.code } : {}),
  }
  const mapped = toApiError(err)
  if (mapped?.code === 'lightning_unavailable' || mapped?.code === 'invalid_invoice') {
    return new ApiError(mapped.status, mapped.code, message, extra)
  }
  return new ApiError(502, 'payment_failed', message, extra)
}
