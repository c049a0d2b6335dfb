/**
 * The two currencies TSEED knows about, and how their amounts are parsed and
 * shown. Amounts are whole base units (1 TSEED token, 1 satoshi) held as
 * BigInt: a float would lose precision above 2^53 and drift under rounding.
 */

/** Internal currency codes. WebLedger spells sats `satoshi` (see {@link toWebLedgerCurrency}). */
export type Currency = 'TSEED' | 'sat'

/** Every currency, in the order used wherever output must be deterministic. */
export const CURRENCIES: readonly Currency[] = ['TSEED', 'sat']

/** The currency codes that appear in WebLedger documents. */
export type WebLedgerCurrencyCode = 'TSEED' | 'satoshi'

/**
 * Longest digit string accepted as an amount. 78 digits hold any 256-bit
 * value, far beyond any real balance; the cap keeps hostile input from
 * feeding megabytes of digits to BigInt.
 */
export const MAX_AMOUNT_DIGITS = 78

/** An amount that is not a whole, non-negative number of base units. */
export class AmountError extends Error {
  override name = 'AmountError'
}

const DIGITS = /^[0-9]+$/

/**
 * Parses a whole, non-negative amount written as decimal digits.
 * No sign, no decimal point, no separators, no whitespace, no exponent.
 *
 * @param what names the value in the error message, e.g. `"min_out"`.
 * @throws AmountError naming what was wrong.
 * @example
 * parseAmount('1000000') // 1000000n
 * parseAmount('-5')      // throws AmountError: amount must be a digit string (…), got "-5"
 */
export function parseAmount(s: string, what = 'amount'): bigint {
  if (typeof s !== 'string') {
    throw new AmountError(`${what} must be a string of digits, got ${describeValue(s)}`)
  }
  if (!DIGITS.test(s)) {
    throw new AmountError(
      `${what} must be a digit string (no sign, decimals or separators), got ${JSON.stringify(truncate(s))}`,
    )
  }
  if (s.length > MAX_AMOUNT_DIGITS) {
    throw new AmountError(
      `${what} has ${s.length} digits, more than the ${MAX_AMOUNT_DIGITS} allowed`,
    )
  }
  return BigInt(s)
}

/**
 * Writes an integer with `,` between groups of three digits.
 *
 * @example
 * groupDigits(1234567n) // "1,234,567"
 * groupDigits(-1000n)   // "-1,000"
 */
export function groupDigits(v: bigint): string {
  const negative = v < 0n
  const digits = (negative ? -v : v).toString()
  const head = digits.length % 3 || 3
  let out = digits.slice(0, head)
  for (let i = head; i < digits.length; i += 3) out += ',' + digits.slice(i, i + 3)
  return negative ? '-' + out : out
}

/**
 * Formats an amount for people: thousands separators and the unit.
 * Sats take a plural (`sats`) except for exactly one; TSEED has none.
 * Negative values (deltas, debits) keep their sign.
 *
 * @example
 * formatAmount(1234567n, 'TSEED') // "1,234,567 TSEED"
 * formatAmount(1n, 'sat')         // "1 sat"
 * formatAmount(2500n, 'sat')      // "2,500 sats"
 */
export function formatAmount(v: bigint, currency: Currency): string {
  if (typeof v !== 'bigint')
    throw new AmountError(`amount must be a bigint, got ${describeValue(v)}`)
  switch (currency) {
    case 'TSEED':
      return `${groupDigits(v)} TSEED`
    case 'sat':
      return `${groupDigits(v)} ${v === 1n || v === -1n ? 'sat' : 'sats'}`
    default:
      throw new AmountError(`unknown currency ${JSON.stringify(currency)}`)
  }
}

/** True when `s` is one of our internal currency codes. */
export function isCurrency(s: unknown): s is Currency {
  return s === 'TSEED' || s === 'sat'
}

/**
 * The WebLedger spelling of a currency.
 *
 * @example
 * toWebLedgerCurrency('sat') // "satoshi"
 */
export function toWebLedgerCurrency(c: Currency): WebLedgerCurrencyCode {
  return c === 'sat' ? 'satoshi' : 'TSEED'
}

/**
 * The internal currency for a WebLedger currency code, or `undefined` for a
 * currency TSEED does not hold. Codes are matched exactly: WebLedger codes are
 * free strings, so `sats` or `tseed` are other currencies, not ours.
 *
 * @example
 * fromWebLedgerCurrency('satoshi') // "sat"
 * fromWebLedgerCurrency('USD')     // undefined
 */
export function fromWebLedgerCurrency(code: string): Currency | undefined {
  if (code === 'satoshi') return 'sat'
  if (code === 'TSEED') return 'TSEED'
  return undefined
}

function truncate(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s
}

/**
 * Describes a bad value for an error message without dumping it whole.
 *
 * @example
 * describeValue(1.5)  // "number 1.5"
 * describeValue(null) // "null"
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return JSON.stringify(truncate(v))
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    return `${typeof v} ${String(v)}`
  }
  return typeof v
}
