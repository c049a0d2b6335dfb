import {
  AmmError,
  quoteSwap,
  quoteSwapExactOut,
  type Pool,
  type SwapQuote,
  type SwapSide,
} from '../../balance/amm'
import type { Quote, TseedApiClient } from '../../balance/api-client'
import { DEFAULT_SLIPPAGE_BPS, minOutFor as slippageMinOut, SlippageError } from './slippage'
import { explainApiError, WalletError } from './wallet-error'

/**
 * Live quotes for top-up (`sat_to_tseed`) and cash-out (`tseed_to_sat`),
 * computed here with the relay's own pool math (src/balance/amm.ts) from the
 * reserves `GET /pool` reports, so the popup can requote on every keystroke
 * without a round trip per digit.
 */

/** What the user typed: an amount of sats or of TSEED. */
export interface AmountEntry {
  unit: 'sat' | 'tseed'
  amount: bigint
}

export interface LiveQuote extends SwapQuote {
  side: SwapSide
  /** `in` when the user typed the amount they pay, `out` when they typed what they want. */
  exact: 'in' | 'out'
  /**
   * What the user typed. For an exact output the quote's `amountOut` can
   * exceed it by rounding; the relay is asked for this, not for that.
   */
  entry: AmountEntry
  slippageBps: bigint
  /** The least output to accept: `amountOut` less the slippage, floored. */
  minOut: bigint
  pool: Pool
  testMode: boolean
}

/** `amountOut` less `slippageBps`, floored: never asks for more than the quote gives. */
export function minOutFor(amountOut: bigint, slippageBps: bigint): bigint {
  try {
    return slippageMinOut(amountOut, slippageBps)
  } catch (e) {
    if (e instanceof SlippageError) throw new WalletError('bad_input', e.message, { cause: e })
    throw e
  }
}

/**
 * A quote from known reserves. The entry's unit decides the direction: the
 * input currency of `side` is an exact input, the other an exact output.
 */
export function quoteFromPool(
  pool: Pool,
  side: SwapSide,
  entry: AmountEntry,
  slippageBps: bigint = DEFAULT_SLIPPAGE_BPS,
  testMode = false,
): LiveQuote {
  const exact = exactOf(side, entry)
  let q: SwapQuote
  try {
    q =
      exact === 'in'
        ? quoteSwap(pool, side, entry.amount)
        : quoteSwapExactOut(pool, side, entry.amount)
  } catch (e) {
    throw explainAmm(e)
  }
  return {
    ...q,
    side,
    exact,
    entry,
    slippageBps,
    minOut: minOutFor(q.amountOut, slippageBps),
    pool,
    testMode,
  }
}

/** {@link quoteFromPool} on the reserves the relay reports now. */
export async function liveQuote(
  api: Pick<TseedApiClient, 'pool'>,
  side: SwapSide,
  entry: AmountEntry,
  slippageBps: bigint = DEFAULT_SLIPPAGE_BPS,
): Promise<LiveQuote> {
  let info
  try {
    info = await api.pool()
  } catch (e) {
    throw explainApiError(e, 'read the pool')
  }
  if (!info.bootstrapped || info.reserves === null) {
    throw new WalletError('pool_empty', "The relay's TSEED pool has no reserves yet.")
  }
  return quoteFromPool(info.reserves, side, entry, slippageBps, info.testMode)
}

export interface RelayCheck {
  /** True when the relay quotes exactly the same numbers from the same reserves. */
  agree: boolean
  /** The reserves changed between the two reads: requote rather than distrust. */
  poolMoved: boolean
  relay: Quote
  /** Field names that differ. */
  differences: string[]
}

/** Asks the relay's `GET /quote` for the same trade and compares every number. */
export async function checkAgainstRelay(
  api: Pick<TseedApiClient, 'quote'>,
  quote: LiveQuote,
): Promise<RelayCheck> {
  let relay: Quote
  try {
    relay = await api.quote(
      quote.exact === 'in'
        ? { side: quote.side, amountIn: quote.amountIn }
        : { side: quote.side, amountOut: quote.entry.amount },
    )
  } catch (e) {
    throw explainApiError(e, 'quote this swap')
  }
  const poolMoved = relay.pool.tseed !== quote.pool.tseed || relay.pool.sat !== quote.pool.sat
  const pairs: [string, bigint, bigint][] = [
    ['amountIn', quote.amountIn, relay.amountIn],
    ['amountOut', quote.amountOut, relay.amountOut],
    ['fee', quote.fee, relay.fee],
    ['priceImpactBps', quote.priceImpactBps, relay.priceImpactBps],
    ['poolAfter.tseed', quote.poolAfter.tseed, relay.poolAfter.tseed],
    ['poolAfter.sat', quote.poolAfter.sat, relay.poolAfter.sat],
  ]
  const differences = pairs.filter(([, a, b]) => a !== b).map(([name]) => name)
  if (relay.side !== quote.side) differences.push('side')
  if (relay.exact !== quote.exact) differences.push('exact')
  return { agree: differences.length === 0 && !poolMoved, poolMoved, relay, differences }
}

function exactOf(side: SwapSide, entry: AmountEntry): 'in' | 'out' {
  const input = side === 'sat_to_tseed' ? 'sat' : 'tseed'
  return entry.unit === input ? 'in' : 'out'
}

function explainAmm(e: unknown): WalletError {
  if (!(e instanceof AmmError)) throw e
  switch (e.code) {
    case 'ZERO_INPUT':
    case 'ZERO_OUTPUT':
      return new WalletError('bad_input', 'That amount is too small to buy even one unit.', {
        cause: e,
      })
    case 'INSUFFICIENT_LIQUIDITY':
      return new WalletError('bad_input', 'The pool does not hold that much.', { cause: e })
    default:
      return new WalletError('bad_input', e.message, { cause: e })
  }
}
