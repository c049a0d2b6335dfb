/**
 * Money and byte units shared by the extension and the relay. Everything is an
 * integer BigInt: TSEED in whole tokens, sats in whole satoshis, bytes in bytes.
 */

/** One MB as TSEED prices it: 10^6 bytes (decimal, like the proposal's "1 GB = 1000 TSEED"). */
export const BYTES_PER_MB = 1_000_000n

/**
 * Largest magnitude a ledger amount or balance may have: 2^62. SQLite stores
 * INTEGER as signed 64-bit; keeping every value within 2^62 means the sum of
 * any two of them still fits, so no single step can overflow.
 */
export const MAX_AMOUNT = 1n << 62n

/**
 * Throws a RangeError naming `what` unless `value` is a bigint with |value| ≤ 2^62.
 * @returns the value, so calls can be chained in expressions
 */
export function assertAmount(value: bigint, what: string): bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${what} must be a bigint`)
  if (value > MAX_AMOUNT || value < -MAX_AMOUNT) {
    throw new RangeError(`${what} is out of range: |${what}| must be at most 2^62`)
  }
  return value
}

/** Like {@link assertAmount}, and also rejects values below `min` (default 0). */
export function assertNonNegativeAmount(value: bigint, what: string, min = 0n): bigint {
  assertAmount(value, what)
  if (value < min) throw new RangeError(`${what} must be at least ${min}, got ${value}`)
  return value
}

/** Integer division rounding up, for non-negative operands and a positive divisor. */
export function ceilDiv(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive')
  if (n < 0n) throw new RangeError('dividend must be non-negative')
  return (n + d - 1n) / d
}
