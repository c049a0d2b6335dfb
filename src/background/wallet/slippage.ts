/**
 * The slippage bound: how far below the quote a swap may land before the
 * relay refuses it (`min_out`). Kept in basis points as a whole number, so
 * no amount is ever computed through a float. No imports: the popup formats
 * with it too, and its bundle should not carry the wallet along.
 */

export const BPS = 10_000n
export const DEFAULT_SLIPPAGE_BPS = 100n
/** 0.1%: below that, ordinary rounding in the pool alone could refuse a swap. */
export const MIN_SLIPPAGE_BPS = 10n
/** 5%: past that a bound stops protecting anyone. */
export const MAX_SLIPPAGE_BPS = 500n

export class SlippageError extends Error {
  override name = 'SlippageError'
}

export function isAllowedSlippage(bps: bigint): boolean {
  return bps >= MIN_SLIPPAGE_BPS && bps <= MAX_SLIPPAGE_BPS
}

/**
 * A percentage as typed (`1`, `0.5`, `2.25`, `1%`) in basis points. At most
 * two decimals: a basis point is the finest step there is.
 *
 * @example
 * parseSlippagePercent('0.5') // → 50n
 */
export function parseSlippagePercent(text: string): bigint {
  const m = /^\s*([0-9]{1,3})(?:[.,]([0-9]{1,2}))?\s*%?\s*$/.exec(text)
  if (m === null) {
    throw new SlippageError(
      `Type the price move as a percentage with at most two decimals, e.g. 1 or 0.5.`,
    )
  }
  const bps = BigInt(m[1] ?? '0') * 100n + BigInt((m[2] ?? '').padEnd(2, '0'))
  if (!isAllowedSlippage(bps)) {
    throw new SlippageError(
      `Choose a price move from ${formatSlippage(MIN_SLIPPAGE_BPS)}% to ${formatSlippage(MAX_SLIPPAGE_BPS)}%.`,
    )
  }
  return bps
}

/**
 * Basis points as a percentage without a trailing zero or the % sign.
 *
 * @example
 * formatSlippage(150n) // → '1.5'
 */
export function formatSlippage(bps: bigint): string {
  const whole = bps / 100n
  const cents = (bps % 100n).toString().padStart(2, '0').replace(/0+$/, '')
  return cents === '' ? whole.toString() : `${whole}.${cents}`
}

/** `amountOut` less `slippageBps`, floored: never asks for more than the quote gives. */
export function minOutFor(amountOut: bigint, slippageBps: bigint): bigint {
  if (slippageBps < 0n || slippageBps > BPS) {
    throw new SlippageError('Slippage must be between 0% and 100%.')
  }
  return (amountOut * (BPS - slippageBps)) / BPS
}

/**
 * The least output whose {@link minOutFor} still reaches `need`: what to buy
 * so that even the worst price the bound allows covers a shortfall.
 * ceil(need · 10⁴ / (10⁴ − bps)).
 */
export function coverWithSlippage(need: bigint, slippageBps: bigint): bigint {
  if (slippageBps < 0n || slippageBps >= BPS) {
    throw new SlippageError('Slippage must be at least 0% and below 100%.')
  }
  if (need <= 0n) return 0n
  const keep = BPS - slippageBps
  return (need * BPS + keep - 1n) / keep
}
