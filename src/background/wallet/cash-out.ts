import {
  TseedApiError,
  type SwapResult,
  type TseedApiClient,
  type Withdrawal,
} from '../../balance/api-client'
import { Bolt11Error, decodeInvoice } from '../../balance/bolt11'
import { liveQuote } from './quote'
import { DEFAULT_SLIPPAGE_BPS } from './slippage'
import { explainApiError, WalletError } from './wallet-error'

/**
 * Cash-out: TSEED → sats in the pool (`POST /swap`), then those sats out
 * over Lightning (`POST /withdraw`). The relay debits amount + fee reserve
 * before paying and refunds the unused reserve (docs/relay-api.md), so the
 * invoice is for the swap's output less the reserve, and the reserve is
 * sent explicitly so both sides agree on it.
 */

/** The relay's default reserve (relay/src/api/withdrawals.ts): 1% of the amount, rounded up, at least 10 sat. */
export function feeReserveFor(amountSat: bigint): bigint {
  const byRate = (amountSat * 100n + 9_999n) / 10_000n
  return byRate > 10n ? byRate : 10n
}

/**
 * The largest invoice `total` sats can withdraw with its reserve on top,
 * and that reserve; null when the reserve alone eats everything.
 */
export function splitForWithdrawal(
  total: bigint,
): { invoiceSat: bigint; feeReserveSat: bigint } | null {
  let amount = total - feeReserveFor(total)
  if (amount < 1n) return null
  // The reserve of a smaller amount can be smaller, leaving room for a few more sats.
  while (amount + 1n + feeReserveFor(amount + 1n) <= total) amount++
  return { invoiceSat: amount, feeReserveSat: feeReserveFor(amount) }
}

export interface CashOutPlan {
  tseedIn: bigint
  /** TSEED kept by the pool (0.3%). */
  poolFeeTseed: bigint
  priceImpactBps: bigint
  /** Sats the swap gives at today's price, and the least it may give. */
  satOut: bigint
  minSatOut: bigint
  slippageBps: bigint
  /** Held back for routing fees; what is not spent returns to the relay balance as sats. */
  feeReserveSat: bigint
  /** What reaches the user's wallet, at today's price. */
  arrivesSat: bigint
  testMode: boolean
}

export async function planCashOut(p: {
  api: Pick<TseedApiClient, 'pool'>
  tseed: bigint
  slippageBps?: bigint
}): Promise<CashOutPlan> {
  const slippageBps = p.slippageBps ?? DEFAULT_SLIPPAGE_BPS
  const q = await liveQuote(p.api, 'tseed_to_sat', { unit: 'tseed', amount: p.tseed }, slippageBps)
  const split = splitForWithdrawal(q.amountOut)
  if (split === null) {
    throw new WalletError(
      'bad_input',
      `${p.tseed} TSEED fetch ${q.amountOut} sats, which the ${feeReserveFor(q.amountOut)} sat fee reserve would use up. Cash out more at once.`,
    )
  }
  return {
    tseedIn: p.tseed,
    poolFeeTseed: q.fee,
    priceImpactBps: q.priceImpactBps,
    satOut: q.amountOut,
    minSatOut: q.minOut,
    slippageBps,
    feeReserveSat: split.feeReserveSat,
    arrivesSat: split.invoiceSat,
    testMode: q.testMode,
  }
}

export interface CashOutResult {
  swap: SwapResult
  invoiceSat: bigint
  feeReserveSat: bigint
  /** `completed`, or `pending` while the relay finds out whether its wallet paid. */
  withdrawal: Withdrawal
}

/**
 * Swaps, asks `invoiceFor` for an invoice of exactly the swap's output less
 * the reserve (the user's wallet over NWC `make_invoice`, or
 * {@link invoiceForAddress} from lnurl-pay.ts), and withdraws to it. `ref`
 * makes a retried swap return the first one instead of swapping twice.
 * Once the swap is made, any later failure leaves the sats on the relay, and
 * the error says so.
 */
export async function executeCashOut(p: {
  api: Pick<TseedApiClient, 'swap' | 'withdraw' | 'withdrawal'>
  plan: CashOutPlan
  invoiceFor: (amountSat: bigint) => Promise<string>
  ref?: string
}): Promise<CashOutResult> {
  let swap: SwapResult
  try {
    swap = await p.api.swap({
      side: 'tseed_to_sat',
      amountIn: p.plan.tseedIn,
      minOut: p.plan.minSatOut,
      ...(p.ref !== undefined ? { ref: p.ref } : {}),
    })
  } catch (e) {
    throw explainApiError(e, 'swap your TSEED')
  }
  const kept = (why: string): WalletError =>
    new WalletError(
      'failed',
      `Your ${p.plan.tseedIn} TSEED became ${swap.amountOut} sats, which stay on the relay: ${why}`,
    )
  const split = splitForWithdrawal(swap.amountOut)
  if (split === null) throw kept('too few to pay the withdrawal fee reserve.')

  let invoice: string
  try {
    invoice = await p.invoiceFor(split.invoiceSat)
  } catch (e) {
    throw kept(`no invoice to pay (${e instanceof Error ? e.message : String(e)}).`)
  }
  try {
    const amountMsat = decodeInvoice(invoice).amountMsat
    if (amountMsat !== split.invoiceSat * 1000n) {
      throw kept(
        `the invoice asks for ${amountMsat ?? 'any'} msat, not ${split.invoiceSat * 1000n} msat.`,
      )
    }
  } catch (e) {
    if (e instanceof Bolt11Error) throw kept(`the invoice is not valid (${e.message}).`)
    throw e
  }

  let withdrawal: Withdrawal
  try {
    withdrawal = await p.api.withdraw({ invoice, maxFeeSat: split.feeReserveSat })
  } catch (e) {
    if (e instanceof TseedApiError && e.details.refunded === true) {
      throw kept(`the payment failed and was refunded (${e.message}).`)
    }
    throw kept(explainApiError(e, 'pay your invoice').message)
  }
  if (withdrawal.state === 'pending') {
    // The relay reconciles on read: one look may already know the outcome.
    try {
      withdrawal = await p.api.withdrawal(withdrawal.paymentHash)
    } catch {
      // Still pending as far as we know; the caller can look again later.
    }
  }
  return { swap, invoiceSat: split.invoiceSat, feeReserveSat: split.feeReserveSat, withdrawal }
}
