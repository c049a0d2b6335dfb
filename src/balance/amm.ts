/**
 * Constant-product pool TSEED ↔ sat with a 0.3% fee, in the integer math of
 * Uniswap v2 (docs/amm.md). The extension's popup and the relay both quote
 * with these functions, so a price is computed one way only.
 *
 * Every division rounds in the pool's favour: outputs are floored, inputs are
 * floored and then raised by one. The whole input, fee included, enters the
 * reserves, so `k = tseed × sat` never decreases.
 */
import { describeValue, groupDigits } from './currency'

/** Fee numerator: the pool keeps 3/1000 of every input. */
export const FEE_NUMERATOR = 3n
/** Fee denominator. */
export const FEE_DENOMINATOR = 1000n
/** The part of an input that trades against the curve (997/1000). */
const INPUT_KEPT = FEE_DENOMINATOR - FEE_NUMERATOR

/**
 * Smallest reserve a new pool may start with, in base units of each side.
 * Like Uniswap's MINIMUM_LIQUIDITY it keeps the first price from being set
 * on dust, where a one-unit rounding is a large part of the reserve.
 */
export const MINIMUM_LIQUIDITY = 1000n

/** Pool reserves, in whole TSEED tokens and whole satoshis. */
export interface Pool {
  tseed: bigint
  sat: bigint
}

/** Direction of a swap, named input first. */
export type SwapSide = 'sat_to_tseed' | 'tseed_to_sat'

/** Both swap sides. */
export const SWAP_SIDES: readonly SwapSide[] = ['sat_to_tseed', 'tseed_to_sat']

/** The result of a swap quote. */
export interface SwapQuote {
  /** What the trader pays, fee included. */
  amountIn: bigint
  /** What the trader receives. Never 0. */
  amountOut: bigint
  /** The part of `amountIn` kept as fee: ⌈amountIn × 3 / 1000⌉. It stays in the reserves. */
  fee: bigint
  /**
   * How much worse than the spot price the trade executes, in basis points,
   * rounded up: 1 − (amountOut / amountIn) / (reserveOut / reserveIn). It
   * includes the fee, so even a tiny trade shows more than 30.
   */
  priceImpactBps: bigint
  /** Reserves after the swap. */
  poolAfter: Pool
}

/** Why a swap or quote was refused. */
export type AmmErrorCode =
  'ZERO_INPUT' | 'ZERO_OUTPUT' | 'SLIPPAGE' | 'INSUFFICIENT_LIQUIDITY' | 'BAD_POOL' | 'BAD_INPUT'

/** A refused swap or quote; `code` is stable, `message` is for people. */
export class AmmError extends Error {
  override name = 'AmmError'
  readonly code: AmmErrorCode

  constructor(code: AmmErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/**
 * Output for an exact input (Uniswap v2 `getAmountOut`), floored.
 * Returns 0 when the input is too small to buy one unit; swaps refuse that.
 *
 * @throws AmmError `ZERO_INPUT` if `amountIn <= 0`, `BAD_POOL` if a reserve is not positive.
 * @example
 * getAmountOut(10_000n, 1_000_000n, 100_000n) // 987n
 */
export function getAmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  assertBigint(amountIn, 'amountIn')
  assertReserves(reserveIn, reserveOut)
  if (amountIn <= 0n) {
    throw new AmmError('ZERO_INPUT', `amount in must be positive, got ${amountIn}`)
  }
  const inWithFee = amountIn * INPUT_KEPT
  return (inWithFee * reserveOut) / (reserveIn * FEE_DENOMINATOR + inWithFee)
}

/**
 * Input needed for an exact output (Uniswap v2 `getAmountIn`): floored, then
 * plus one even when the division is exact, so the trader never pays less
 * than the curve asks.
 *
 * @throws AmmError `ZERO_OUTPUT` if `amountOut <= 0`, `INSUFFICIENT_LIQUIDITY`
 *   if `amountOut >= reserveOut`, `BAD_POOL` if a reserve is not positive.
 * @example
 * getAmountIn(987n, 1_000_000n, 100_000n) // 9999n
 */
export function getAmountIn(amountOut: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  assertBigint(amountOut, 'amountOut')
  assertReserves(reserveIn, reserveOut)
  if (amountOut <= 0n) {
    throw new AmmError('ZERO_OUTPUT', `amount out must be positive, got ${amountOut}`)
  }
  if (amountOut >= reserveOut) {
    throw new AmmError(
      'INSUFFICIENT_LIQUIDITY',
      `pool holds ${reserveOut}, cannot pay out ${amountOut}`,
    )
  }
  return (reserveIn * amountOut * FEE_DENOMINATOR) / ((reserveOut - amountOut) * INPUT_KEPT) + 1n
}

/**
 * Quotes a swap of an exact input.
 *
 * @throws AmmError `ZERO_INPUT`, `ZERO_OUTPUT` (input too small to buy one
 *   unit), `BAD_POOL` or `BAD_INPUT`.
 * @example
 * quoteSwap({ tseed: 1_000_000n, sat: 100_000n }, 'tseed_to_sat', 10_000n)
 * // { amountIn: 10000n, amountOut: 987n, fee: 30n, priceImpactBps: 130n,
 * //   poolAfter: { tseed: 1010000n, sat: 99013n } }
 */
export function quoteSwap(pool: Pool, side: SwapSide, amountIn: bigint): SwapQuote {
  const [reserveIn, reserveOut] = reservesFor(pool, side)
  const amountOut = getAmountOut(amountIn, reserveIn, reserveOut)
  if (amountOut === 0n) {
    throw new AmmError(
      'ZERO_OUTPUT',
      `${amountIn} ${inputUnit(side)} is too small to buy one ${outputUnit(side)}`,
    )
  }
  return {
    amountIn,
    amountOut,
    fee: ceilDiv(amountIn * FEE_NUMERATOR, FEE_DENOMINATOR),
    priceImpactBps: impactBps(amountIn, amountOut, reserveIn, reserveOut),
    poolAfter: withReserves(side, reserveIn + amountIn, reserveOut - amountOut),
  }
}

/**
 * Quotes a swap that must yield at least `amountOut`. The input is
 * {@link getAmountIn}, and the quote is then exactly `quoteSwap` of that
 * input, so executing it with {@link applySwap} gives the same numbers. Its
 * `amountOut` can exceed the one asked for by the rounding of the input; the
 * trader gets that surplus rather than the pool.
 *
 * @throws AmmError `ZERO_OUTPUT`, `INSUFFICIENT_LIQUIDITY`, `BAD_POOL` or `BAD_INPUT`.
 * @example
 * quoteSwapExactOut({ tseed: 1_000_000n, sat: 100_000n }, 'tseed_to_sat', 987n).amountIn // 9999n
 */
export function quoteSwapExactOut(pool: Pool, side: SwapSide, amountOut: bigint): SwapQuote {
  const [reserveIn, reserveOut] = reservesFor(pool, side)
  return quoteSwap(pool, side, getAmountIn(amountOut, reserveIn, reserveOut))
}

/**
 * Executes an exact-input swap with slippage protection: the same numbers as
 * {@link quoteSwap}, refused if the output falls below `minOut`. Pure: the
 * caller stores `poolAfter` and moves both balances in one transaction.
 *
 * @throws AmmError `SLIPPAGE` ("would receive N, min_out M") and every error of `quoteSwap`.
 * @example
 * applySwap({ tseed: 1_000_000n, sat: 100_000n }, 'tseed_to_sat', 10_000n, 980n).amountOut // 987n
 */
export function applySwap(pool: Pool, side: SwapSide, amountIn: bigint, minOut: bigint): SwapQuote {
  assertBigint(minOut, 'minOut')
  if (minOut < 0n) throw new AmmError('BAD_INPUT', `min_out must not be negative, got ${minOut}`)
  const quote = quoteSwap(pool, side, amountIn)
  if (quote.amountOut < minOut) {
    throw new AmmError('SLIPPAGE', `would receive ${quote.amountOut}, min_out ${minOut}`)
  }
  // Guards the ledger against a future change to the formulas: a swap that
  // shrank k would leak value out of the pool.
  if (invariantK(quote.poolAfter) < invariantK(pool)) {
    throw new Error(`swap would decrease k: ${invariantK(pool)} → ${invariantK(quote.poolAfter)}`)
  }
  return quote
}

/**
 * The constant product `k = tseed × sat`.
 *
 * @throws AmmError `BAD_POOL` if a reserve is not a positive bigint.
 * @example
 * invariantK({ tseed: 1_000_000n, sat: 100_000n }) // 100000000000n
 */
export function invariantK(pool: Pool): bigint {
  assertPool(pool)
  return pool.tseed * pool.sat
}

/**
 * Validates the first deposit of a pool and returns a fresh pool. Both
 * reserves must be at least {@link MINIMUM_LIQUIDITY}.
 *
 * @throws AmmError `BAD_POOL`.
 * @example
 * bootstrapPool({ tseed: 10_000_000n, sat: 5_000_000n }) // { tseed: 10000000n, sat: 5000000n }
 */
export function bootstrapPool(deposit: { tseed: bigint; sat: bigint }): Pool {
  assertPool(deposit)
  for (const side of ['tseed', 'sat'] as const) {
    if (deposit[side] < MINIMUM_LIQUIDITY) {
      throw new AmmError(
        'BAD_POOL',
        `initial ${side} reserve must be at least ${MINIMUM_LIQUIDITY}, got ${deposit[side]}`,
      )
    }
  }
  return { tseed: deposit.tseed, sat: deposit.sat }
}

/**
 * Marginal price before fee: units of output per unit of input, as an exact
 * fraction. `tseed_to_sat` gives sats per TSEED, `sat_to_tseed` TSEED per sat.
 *
 * @example
 * spotPrice({ tseed: 1_000_000n, sat: 100_000n }, 'tseed_to_sat') // { num: 100000n, den: 1000000n }
 */
export function spotPrice(pool: Pool, side: SwapSide): { num: bigint; den: bigint } {
  const [reserveIn, reserveOut] = reservesFor(pool, side)
  return { num: reserveOut, den: reserveIn }
}

/** Most fraction digits {@link formatRatio} writes. */
export const MAX_RATIO_DECIMALS = 36

/**
 * Writes `num / den` as a decimal with exactly `decimals` fraction digits,
 * rounded half away from zero, with `,` between thousands of the integer
 * part. BigInt only, so no float ever rounds the displayed price.
 *
 * @throws AmmError `BAD_INPUT` if `den` is 0 or `decimals` is not an integer in 0…36.
 * @example
 * formatRatio({ num: 100_000n, den: 1_000_000n }, 4) // "0.1000"
 * formatRatio({ num: 2n, den: 3n }, 2)               // "0.67"
 * formatRatio({ num: 12_345_678n, den: 1n }, 0)      // "12,345,678"
 */
export function formatRatio(ratio: { num: bigint; den: bigint }, decimals: number): string {
  assertBigint(ratio.num, 'num')
  assertBigint(ratio.den, 'den')
  if (ratio.den === 0n) throw new AmmError('BAD_INPUT', 'ratio denominator must not be 0')
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_RATIO_DECIMALS) {
    throw new AmmError(
      'BAD_INPUT',
      `decimals must be an integer from 0 to ${MAX_RATIO_DECIMALS}, got ${describeValue(decimals)}`,
    )
  }
  const negative = ratio.num < 0n !== ratio.den < 0n
  const num = ratio.num < 0n ? -ratio.num : ratio.num
  const den = ratio.den < 0n ? -ratio.den : ratio.den
  const scale = 10n ** BigInt(decimals)
  // Half away from zero: add half a unit of the last digit before flooring.
  const scaled = (2n * num * scale + den) / (2n * den)
  const whole = groupDigits(scaled / scale)
  const fraction = decimals === 0 ? '' : '.' + (scaled % scale).toString().padStart(decimals, '0')
  return (negative && scaled !== 0n ? '-' : '') + whole + fraction
}

/** True when `s` names a swap side. */
export function isSwapSide(s: unknown): s is SwapSide {
  return s === 'sat_to_tseed' || s === 'tseed_to_sat'
}

function reservesFor(pool: Pool, side: SwapSide): [reserveIn: bigint, reserveOut: bigint] {
  assertPool(pool)
  switch (side) {
    case 'sat_to_tseed':
      return [pool.sat, pool.tseed]
    case 'tseed_to_sat':
      return [pool.tseed, pool.sat]
    default:
      throw new AmmError(
        'BAD_INPUT',
        `swap side must be "sat_to_tseed" or "tseed_to_sat", got ${describeValue(side)}`,
      )
  }
}

function withReserves(side: SwapSide, reserveIn: bigint, reserveOut: bigint): Pool {
  return side === 'sat_to_tseed'
    ? { tseed: reserveOut, sat: reserveIn }
    : { tseed: reserveIn, sat: reserveOut }
}

function inputUnit(side: SwapSide): string {
  return side === 'sat_to_tseed' ? 'sat' : 'TSEED'
}

function outputUnit(side: SwapSide): string {
  return side === 'sat_to_tseed' ? 'TSEED' : 'sat'
}

/** ⌈10000 × (1 − (out/in) / (reserveOut/reserveIn))⌉, all in integers. */
function impactBps(amountIn: bigint, amountOut: bigint, reserveIn: bigint, reserveOut: bigint) {
  const atSpot = amountIn * reserveOut
  return ceilDiv((atSpot - amountOut * reserveIn) * 10_000n, atSpot)
}

/** Ceiling division for a non-negative numerator and a positive denominator. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b
}

function assertBigint(v: unknown, name: string): asserts v is bigint {
  if (typeof v !== 'bigint') {
    throw new AmmError('BAD_INPUT', `${name} must be a bigint, got ${describeValue(v)}`)
  }
}

function assertReserves(reserveIn: unknown, reserveOut: unknown): void {
  if (typeof reserveIn !== 'bigint' || typeof reserveOut !== 'bigint') {
    throw new AmmError(
      'BAD_POOL',
      `reserves must be bigints, got ${describeValue(reserveIn)} and ${describeValue(reserveOut)}`,
    )
  }
  if (reserveIn <= 0n || reserveOut <= 0n) {
    throw new AmmError('BAD_POOL', `reserves must be positive, got ${reserveIn} and ${reserveOut}`)
  }
}

function assertPool(pool: unknown): asserts pool is Pool {
  if (typeof pool !== 'object' || pool === null) {
    throw new AmmError('BAD_POOL', `pool must be an object, got ${describeValue(pool)}`)
  }
  const { tseed, sat } = pool as Record<string, unknown>
  if (typeof tseed !== 'bigint' || typeof sat !== 'bigint') {
    throw new AmmError(
      'BAD_POOL',
      `pool reserves must be bigints, got tseed ${describeValue(tseed)} and sat ${describeValue(sat)}`,
    )
  }
  if (tseed <= 0n || sat <= 0n) {
    throw new AmmError(
      'BAD_POOL',
      `pool reserves must be positive, got tseed ${tseed} and sat ${sat}`,
    )
  }
}
