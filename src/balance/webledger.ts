/**
 * WebLedger JSON (https://w3id.org/webledgers): the import and export format
 * for balances and the pool (docs/amm.md). The format holds balances only;
 * the relay's journal stays the source of truth.
 *
 * Every amount travels as a digit string and is parsed with BigInt: the
 * reference implementation's parseInt silently loses precision above 2^53.
 */
import {
  CURRENCIES,
  describeValue,
  fromWebLedgerCurrency,
  MAX_AMOUNT_DIGITS,
  toWebLedgerCurrency,
  type Currency,
} from './currency'
import { FEE_DENOMINATOR, FEE_NUMERATOR, formatRatio, type Pool } from './amm'

/** The JSON-LD context every WebLedger names. */
export const WEBLEDGER_CONTEXT = 'https://w3id.org/webledgers'

/** The pool's account in the ledger. */
export const POOL_URL = 'urn:pool:TSEED:satoshi'

/** The currency of a bare string amount when a ledger names no `defaultCurrency`. */
export const WEBLEDGER_DEFAULT_CURRENCY = 'satoshi'

/** The pool fee as exported: the decimal string of FEE_NUMERATOR / FEE_DENOMINATOR. */
export const POOL_FEE = formatRatio({ num: FEE_NUMERATOR, den: FEE_DENOMINATOR }, 3)

/** Longest url accepted for an account. */
export const MAX_URL_LENGTH = 2048

/** One currency's balance; `value` is a decimal string, never a JSON number. */
export interface CurrencyValue {
  currency: string
  value: string
}

/** A digit string in the ledger's default currency, or one value per currency. */
export type WebLedgerAmount = string | CurrencyValue[]

/** An account's balance. */
export interface WebLedgerEntry {
  type: 'Entry'
  url: string
  amount: WebLedgerAmount
}

/** A constant-product pool: both reserves in `amount`, `k` and `fee` as strings. */
export interface WebLedgerPoolEntry {
  type: 'Pool'
  url: string
  amount: CurrencyValue[]
  /** tseed × sat, as a digit string. */
  k: string
  /** The fee rate as a decimal string, e.g. `"0.003"`. */
  fee: string
}

/** A WebLedger document as validated by {@link validateWebLedger}. */
export interface WebLedger {
  '@context': string | string[]
  type: 'WebLedger'
  id?: string
  name?: string
  description?: string
  defaultCurrency?: string
  /** Unix seconds. */
  created?: number
  /** Unix seconds. */
  updated?: number
  entries: (WebLedgerEntry | WebLedgerPoolEntry)[]
}

/** Descriptive fields of an exported ledger; times are unix seconds. */
export interface WebLedgerMeta {
  id?: string
  name?: string
  description?: string
  created?: number
  updated?: number
}

/** Balances per account url, per currency. */
export type BalanceMap = Map<string, Map<Currency, bigint>>

/** A ledger that cannot be read or written; `path` points at the bad value. */
export class WebLedgerError extends Error {
  override name = 'WebLedgerError'
  /** JSON path of the bad value, e.g. `entries[3].amount[0].value`; `""` for the document. */
  readonly path: string

  constructor(path: string, problem: string) {
    super(path === '' ? problem : `${path} ${problem}`)
    this.path = path
  }
}

const DIGITS = /^[0-9]+$/
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/
const DID_NOSTR_PREFIX = 'did:nostr:'
const HEX64 = /^[0-9a-f]{64}$/
const MAX_DECIMAL_LENGTH = 2 * MAX_AMOUNT_DIGITS + 1

/**
 * Checks that `url` can name a ledger account: a URI with a scheme and no
 * whitespace, and for `did:nostr:` exactly 64 lowercase hex characters (not
 * an npub), so one key cannot hold two accounts spelled differently.
 *
 * @param path names the value in the error message.
 * @throws WebLedgerError
 * @example
 * assertLedgerUrl('did:nostr:' + 'ab'.repeat(32)) // passes
 * assertLedgerUrl('did:nostr:npub1…')            // throws
 */
export function assertLedgerUrl(url: unknown, path = 'url'): asserts url is string {
  if (typeof url !== 'string') {
    throw new WebLedgerError(path, `must be a URI string, got ${describeValue(url)}`)
  }
  if (url.length > MAX_URL_LENGTH) {
    throw new WebLedgerError(path, `is ${url.length} characters long, more than ${MAX_URL_LENGTH}`)
  }
  if (!URI_SCHEME.test(url) || hasSpaceOrControl(url) || url.endsWith(':')) {
    throw new WebLedgerError(
      path,
      `must be a URI such as did:nostr:<hex> or urn:…, got ${describeValue(url)}`,
    )
  }
  if (url.slice(0, DID_NOSTR_PREFIX.length).toLowerCase() === DID_NOSTR_PREFIX) {
    const key = url.slice(DID_NOSTR_PREFIX.length)
    if (!url.startsWith(DID_NOSTR_PREFIX) || !HEX64.test(key)) {
      throw new WebLedgerError(
        path,
        `must be did:nostr: followed by 64 lowercase hex characters, got ${describeValue(url)}`,
      )
    }
  }
}

/**
 * Validates a parsed WebLedger document and returns a clean copy holding only
 * the fields this module knows. Amounts must be strings: JSON numbers are
 * refused because they lose precision above 2^53. TSEED and satoshi values
 * must be whole, non-negative digit strings; other currencies may carry
 * decimals, as the format allows.
 *
 * @throws WebLedgerError whose message starts with the JSON path of the bad value.
 * @example
 * validateWebLedger(JSON.parse(text)).entries.length
 * validateWebLedger({ ...doc, entries: [{ type: 'Entry', url: 'did:nostr:…', amount: '-5' }] })
 * // throws: entries[0].amount must be a digit string (…), got "-5"
 */
export function validateWebLedger(doc: unknown): WebLedger {
  const root = asRecord(doc, '', 'the ledger must be a JSON object')
  const context = root['@context']
  if (
    context !== WEBLEDGER_CONTEXT &&
    !(
      Array.isArray(context) &&
      context.every((c) => typeof c === 'string') &&
      context.includes(WEBLEDGER_CONTEXT)
    )
  ) {
    throw new WebLedgerError(
      '@context',
      `must be "${WEBLEDGER_CONTEXT}", got ${describeValue(context)}`,
    )
  }
  if (root.type !== 'WebLedger') {
    throw new WebLedgerError('type', `must be "WebLedger", got ${describeValue(root.type)}`)
  }
  const ledger: WebLedger = {
    '@context': Array.isArray(context) ? [...context] : WEBLEDGER_CONTEXT,
    type: 'WebLedger',
    entries: [],
  }
  for (const key of ['id', 'name', 'description', 'defaultCurrency'] as const) {
    const v = root[key]
    if (v === undefined) continue
    if (typeof v !== 'string' || (key === 'defaultCurrency' && v === '')) {
      throw new WebLedgerError(key, `must be a non-empty string, got ${describeValue(v)}`)
    }
    ledger[key] = v
  }
  for (const key of ['created', 'updated'] as const) {
    if (root[key] !== undefined) ledger[key] = unixSeconds(root[key], key)
  }
  const defaultCurrency = ledger.defaultCurrency ?? WEBLEDGER_DEFAULT_CURRENCY

  if (!Array.isArray(root.entries)) {
    throw new WebLedgerError('entries', `must be an array, got ${describeValue(root.entries)}`)
  }
  const seen = new Map<string, number>()
  root.entries.forEach((raw: unknown, i) => {
    const path = `entries[${i}]`
    const entry = asRecord(raw, path, `must be an object, got ${describeValue(raw)}`)
    if (entry.type !== 'Entry' && entry.type !== 'Pool') {
      throw new WebLedgerError(
        `${path}.type`,
        `must be "Entry" or "Pool", got ${describeValue(entry.type)}`,
      )
    }
    assertLedgerUrl(entry.url, `${path}.url`)
    const first = seen.get(entry.url)
    if (first !== undefined) {
      throw new WebLedgerError(
        `${path}.url`,
        `duplicates entries[${first}].url ${describeValue(entry.url)}`,
      )
    }
    seen.set(entry.url, i)
    if (entry.type === 'Entry') {
      if (entry.url === POOL_URL) {
        throw new WebLedgerError(`${path}.type`, `must be "Pool" for the pool's url ${POOL_URL}`)
      }
      ledger.entries.push({
        type: 'Entry',
        url: entry.url,
        amount: readAmount(entry.amount, `${path}.amount`, defaultCurrency),
      })
    } else {
      if (!Array.isArray(entry.amount)) {
        throw new WebLedgerError(
          `${path}.amount`,
          `of a Pool must list each reserve as {currency, value}, got ${describeValue(entry.amount)}`,
        )
      }
      ledger.entries.push({
        type: 'Pool',
        url: entry.url,
        amount: readCurrencyValues(entry.amount, `${path}.amount`),
        k: digitString(entry.k, `${path}.k`, 2 * MAX_AMOUNT_DIGITS),
        fee: decimalString(entry.fee, `${path}.fee`),
      })
    }
  })
  return ledger
}

/**
 * Writes balances and the pool as a WebLedger. Deterministic: entries are
 * sorted by url (code-unit order, not locale), currencies are listed TSEED
 * first, every amount uses the `{currency, value}` array form, and nothing
 * depends on the clock. A zero balance is left out per currency, so an
 * account holding TSEED but no sats keeps its TSEED; an account with nothing
 * at all is left out.
 *
 * @throws WebLedgerError for a negative balance (WebLedger cannot express
 *   one), a bad url, an account that collides with the pool, or bad reserves.
 * @example
 * const doc = exportWebLedger(
 *   new Map([['did:nostr:' + 'ab'.repeat(32), new Map([['TSEED', 145_000n]])]]),
 *   { url: POOL_URL, reserves: { tseed: 10_000_000n, sat: 5_000_000n } },
 *   { name: 'TSEED ledger', updated: 1705316200 },
 * )
 * JSON.stringify(doc) // no JSON numbers for money; k is "50000000000000", fee "0.003"
 */
export function exportWebLedger(
  balances: ReadonlyMap<string, ReadonlyMap<Currency, bigint>>,
  pool: { url: string; reserves: Pool } | null,
  meta: WebLedgerMeta,
): WebLedger {
  const head: Omit<WebLedger, 'entries'> = { '@context': WEBLEDGER_CONTEXT, type: 'WebLedger' }
  for (const key of ['id', 'name', 'description'] as const) {
    const v = meta[key]
    if (v === undefined) continue
    if (typeof v !== 'string') {
      throw new WebLedgerError(`meta.${key}`, `must be a string, got ${describeValue(v)}`)
    }
    head[key] = v
  }
  // Every exported amount uses the array form, so this only tells readers
  // which unit the ledger is about.
  head.defaultCurrency = 'TSEED'
  for (const key of ['created', 'updated'] as const) {
    if (meta[key] !== undefined) head[key] = unixSeconds(meta[key], `meta.${key}`)
  }

  const entries: (WebLedgerEntry | WebLedgerPoolEntry)[] = []
  for (const [url, byCurrency] of balances) {
    const path = `balances[${JSON.stringify(url)}]`
    assertLedgerUrl(url, path)
    if (url === POOL_URL || url === pool?.url) {
      throw new WebLedgerError(path, `is the pool's url; pool reserves go in the pool argument`)
    }
    for (const currency of byCurrency.keys()) {
      if (!CURRENCIES.includes(currency)) {
        throw new WebLedgerError(path, `holds unknown currency ${describeValue(currency)}`)
      }
    }
    const amount: CurrencyValue[] = []
    for (const currency of CURRENCIES) {
      const v = byCurrency.get(currency) ?? 0n
      if (typeof v !== 'bigint') {
        throw new WebLedgerError(`${path}.${currency}`, `must be a bigint, got ${describeValue(v)}`)
      }
      if (v < 0n) {
        throw new WebLedgerError(
          `${path}.${currency}`,
          `is negative (${v}); WebLedger cannot express negative balances`,
        )
      }
      if (v > 0n) amount.push({ currency: toWebLedgerCurrency(currency), value: v.toString() })
    }
    if (amount.length > 0) entries.push({ type: 'Entry', url, amount })
  }

  if (pool !== null) {
    assertLedgerUrl(pool.url, 'pool.url')
    const { tseed, sat } = pool.reserves
    if (typeof tseed !== 'bigint' || typeof sat !== 'bigint' || tseed <= 0n || sat <= 0n) {
      throw new WebLedgerError(
        'pool.reserves',
        `must be positive bigints, got tseed ${describeValue(tseed)} and sat ${describeValue(sat)}`,
      )
    }
    entries.push({
      type: 'Pool',
      url: pool.url,
      amount: [
        { currency: toWebLedgerCurrency('TSEED'), value: tseed.toString() },
        { currency: toWebLedgerCurrency('sat'), value: sat.toString() },
      ],
      k: (tseed * sat).toString(),
      fee: POOL_FEE,
    })
  }

  entries.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
  return { ...head, entries }
}

/**
 * Reads balances and the pool from a WebLedger document, after
 * {@link validateWebLedger}. Both amount forms are accepted; a bare string is
 * in the ledger's `defaultCurrency` (`satoshi` when absent). Zero amounts are
 * dropped, as {@link exportWebLedger} drops them, so export then import gives
 * back the same maps.
 *
 * Refused, rather than silently dropped: a currency other than TSEED and
 * satoshi (its value would be lost), more than one pool, a pool whose `k` is
 * not the product of its reserves, and a pool fee other than ours.
 *
 * @throws WebLedgerError
 * @example
 * const { balances, pool } = importWebLedger(JSON.parse(text))
 * balances.get('did:nostr:' + 'ab'.repeat(32))?.get('TSEED') // 145000n
 */
export function importWebLedger(doc: unknown): { balances: BalanceMap; pool: Pool | null } {
  const ledger = validateWebLedger(doc)
  const defaultCode = ledger.defaultCurrency ?? WEBLEDGER_DEFAULT_CURRENCY
  const balances: BalanceMap = new Map()
  let pool: Pool | null = null
  let poolIndex = -1

  for (const [i, entry] of ledger.entries.entries()) {
    const path = `entries[${i}]`
    if (entry.type === 'Entry') {
      const values = new Map<Currency, bigint>()
      if (typeof entry.amount === 'string') {
        const currency = fromWebLedgerCurrency(defaultCode)
        if (currency === undefined) {
          throw new WebLedgerError(
            `${path}.amount`,
            `is in the default currency ${describeValue(defaultCode)}, which TSEED does not hold (TSEED, satoshi)`,
          )
        }
        values.set(currency, BigInt(entry.amount))
      } else {
        entry.amount.forEach((cv, j) => {
          values.set(ourCurrency(cv.currency, `${path}.amount[${j}].currency`), BigInt(cv.value))
        })
      }
      for (const [currency, v] of values) if (v === 0n) values.delete(currency)
      if (values.size > 0) balances.set(entry.url, values)
      continue
    }

    if (pool !== null) {
      throw new WebLedgerError(path, `is a second pool; entries[${poolIndex}] is already one`)
    }
    const reserves = new Map<Currency, bigint>()
    entry.amount.forEach((cv, j) => {
      reserves.set(ourCurrency(cv.currency, `${path}.amount[${j}].currency`), BigInt(cv.value))
    })
    const tseed = reserves.get('TSEED') ?? 0n
    const sat = reserves.get('sat') ?? 0n
    if (tseed <= 0n || sat <= 0n) {
      throw new WebLedgerError(
        `${path}.amount`,
        `must hold positive TSEED and satoshi reserves, got TSEED ${tseed} and satoshi ${sat}`,
      )
    }
    if (BigInt(entry.k) !== tseed * sat) {
      throw new WebLedgerError(
        `${path}.k`,
        `is ${entry.k} but the reserves multiply to ${tseed * sat}`,
      )
    }
    if (!sameFraction(entry.fee, FEE_NUMERATOR, FEE_DENOMINATOR)) {
      throw new WebLedgerError(`${path}.fee`, `is ${entry.fee}; this pool charges ${POOL_FEE}`)
    }
    pool = { tseed, sat }
    poolIndex = i
  }
  return { balances, pool }
}

function readAmount(raw: unknown, path: string, defaultCurrency: string): WebLedgerAmount {
  if (typeof raw === 'string') {
    // The format allows only whole digits in the bare string form, whatever the currency.
    const ours = fromWebLedgerCurrency(defaultCurrency) !== undefined
    return digitString(raw, path, ours ? MAX_AMOUNT_DIGITS : MAX_DECIMAL_LENGTH)
  }
  if (!Array.isArray(raw)) {
    throw new WebLedgerError(
      path,
      `must be a digit string or an array of {currency, value}, got ${describeValue(raw)}`,
    )
  }
  return readCurrencyValues(raw, path)
}

function readCurrencyValues(raw: unknown[], path: string): CurrencyValue[] {
  const seen = new Map<string, number>()
  return raw.map((item: unknown, j): CurrencyValue => {
    const itemPath = `${path}[${j}]`
    const cv = asRecord(
      item,
      itemPath,
      `must be a {currency, value} object, got ${describeValue(item)}`,
    )
    if (typeof cv.currency !== 'string' || cv.currency === '') {
      throw new WebLedgerError(
        `${itemPath}.currency`,
        `must be a non-empty string, got ${describeValue(cv.currency)}`,
      )
    }
    const first = seen.get(cv.currency)
    if (first !== undefined) {
      throw new WebLedgerError(
        `${itemPath}.currency`,
        `repeats ${cv.currency} from ${path}[${first}]`,
      )
    }
    seen.set(cv.currency, j)
    const ours = fromWebLedgerCurrency(cv.currency) !== undefined
    const value = ours
      ? digitString(cv.value, `${itemPath}.value`, MAX_AMOUNT_DIGITS, cv.currency)
      : decimalString(cv.value, `${itemPath}.value`)
    return { currency: cv.currency, value }
  })
}

function digitString(raw: unknown, path: string, maxDigits: number, currency?: string): string {
  if (typeof raw !== 'string') {
    throw new WebLedgerError(
      path,
      `must be a digit string, got ${describeValue(raw)}${typeof raw === 'number' ? ' (JSON numbers lose precision above 2^53)' : ''}`,
    )
  }
  if (!DIGITS.test(raw)) {
    const why =
      currency !== undefined && DECIMAL.test(raw)
        ? `${currency} has no fractional units`
        : 'no sign, decimals or separators'
    throw new WebLedgerError(path, `must be a digit string (${why}), got ${describeValue(raw)}`)
  }
  if (raw.length > maxDigits) {
    throw new WebLedgerError(path, `has ${raw.length} digits, more than the ${maxDigits} allowed`)
  }
  return raw
}

function decimalString(raw: unknown, path: string): string {
  if (typeof raw !== 'string') {
    throw new WebLedgerError(
      path,
      `must be a decimal string, got ${describeValue(raw)}${typeof raw === 'number' ? ' (JSON numbers lose precision above 2^53)' : ''}`,
    )
  }
  if (!DECIMAL.test(raw)) {
    throw new WebLedgerError(
      path,
      `must be a decimal string (no sign or exponent), got ${describeValue(raw)}`,
    )
  }
  if (raw.length > MAX_DECIMAL_LENGTH) {
    throw new WebLedgerError(
      path,
      `is ${raw.length} characters long, more than ${MAX_DECIMAL_LENGTH}`,
    )
  }
  return raw
}

function ourCurrency(code: string, path: string): Currency {
  const currency = fromWebLedgerCurrency(code)
  if (currency === undefined) {
    throw new WebLedgerError(
      path,
      `${describeValue(code)} is not a currency TSEED holds (TSEED, satoshi); importing it would lose it`,
    )
  }
  return currency
}

/** Compares a validated decimal string with num/den exactly, without floats. */
function sameFraction(decimal: string, num: bigint, den: bigint): boolean {
  const [whole = '0', fraction = ''] = decimal.split('.')
  const scale = 10n ** BigInt(fraction.length)
  return BigInt(whole + fraction) * den === num * scale
}

/**
 * Whitespace and control characters never belong in a URI; refusing them also
 * keeps one account name from passing for another in logs and the popup.
 */
function hasSpaceOrControl(s: string): boolean {
  if (/\s/.test(s)) return true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true
  }
  return false
}

function unixSeconds(raw: unknown, path: string): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw new WebLedgerError(path, `must be whole unix seconds, got ${describeValue(raw)}`)
  }
  return raw
}

function asRecord(raw: unknown, path: string, problem: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new WebLedgerError(path, problem)
  }
  return raw as Record<string, unknown>
}
