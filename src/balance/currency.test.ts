import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AmountError,
  CURRENCIES,
  describeValue,
  formatAmount,
  fromWebLedgerCurrency,
  groupDigits,
  isCurrency,
  MAX_AMOUNT_DIGITS,
  parseAmount,
  toWebLedgerCurrency,
  type Currency,
} from './currency'

describe('parseAmount', () => {
  it('parses digit strings exactly, far beyond 2^53', () => {
    expect(parseAmount('0')).toBe(0n)
    expect(parseAmount('1000000')).toBe(1_000_000n)
    expect(parseAmount('007')).toBe(7n)
    expect(parseAmount('9007199254740993')).toBe(9_007_199_254_740_993n)
    expect(parseAmount('340282366920938463463374607431768211456')).toBe(2n ** 128n)
  })

  it.each([
    ['', '""'],
    ['-5', '"-5"'],
    ['+5', '"+5"'],
    ['1.5', '"1.5"'],
    ['1,000', '"1,000"'],
    [' 12', '" 12"'],
    ['12\n', '"12\\n"'],
    ['1e6', '"1e6"'],
    ['0x10', '"0x10"'],
    ['١٢', '"١٢"'],
  ])('refuses %j', (input, shown) => {
    expect(() => parseAmount(input)).toThrow(AmountError)
    expect(() => parseAmount(input)).toThrow(
      `amount must be a digit string (no sign, decimals or separators), got ${shown}`,
    )
  })

  it('names the value in its error', () => {
    expect(() => parseAmount('-1', 'min_out')).toThrow(/^min_out must be a digit string/)
  })

  it('refuses non-strings even from untyped callers', () => {
    expect(() => parseAmount(5 as unknown as string)).toThrow(
      'amount must be a string of digits, got number 5',
    )
    expect(() => parseAmount(null as unknown as string)).toThrow('got null')
  })

  it('caps the number of digits', () => {
    expect(parseAmount('9'.repeat(MAX_AMOUNT_DIGITS))).toBe(10n ** BigInt(MAX_AMOUNT_DIGITS) - 1n)
    expect(() => parseAmount('1'.repeat(MAX_AMOUNT_DIGITS + 1))).toThrow(
      `amount has ${MAX_AMOUNT_DIGITS + 1} digits, more than the ${MAX_AMOUNT_DIGITS} allowed`,
    )
  })

  it('round-trips any non-negative bigint through toString', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 200n }), (v) => {
        expect(parseAmount(v.toString())).toBe(v)
      }),
    )
  })
})

describe('groupDigits and formatAmount', () => {
  it('groups thousands', () => {
    expect(groupDigits(0n)).toBe('0')
    expect(groupDigits(999n)).toBe('999')
    expect(groupDigits(1000n)).toBe('1,000')
    expect(groupDigits(1_234_567n)).toBe('1,234,567')
    expect(groupDigits(-1_000n)).toBe('-1,000')
    expect(groupDigits(2n ** 64n)).toBe('18,446,744,073,709,551,616')
  })

  it('adds the unit, with a plural for sats', () => {
    expect(formatAmount(1_234_567n, 'TSEED')).toBe('1,234,567 TSEED')
    expect(formatAmount(1n, 'TSEED')).toBe('1 TSEED')
    expect(formatAmount(0n, 'sat')).toBe('0 sats')
    expect(formatAmount(1n, 'sat')).toBe('1 sat')
    expect(formatAmount(-1n, 'sat')).toBe('-1 sat')
    expect(formatAmount(2_500n, 'sat')).toBe('2,500 sats')
    expect(formatAmount(-12_000n, 'TSEED')).toBe('-12,000 TSEED')
  })

  it('refuses unknown currencies and non-bigint values', () => {
    expect(() => formatAmount(1n, 'USD' as Currency)).toThrow('unknown currency "USD"')
    expect(() => formatAmount(1 as unknown as bigint, 'sat')).toThrow(
      'amount must be a bigint, got number 1',
    )
  })

  it('removing the separators gives back the number', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 100n), max: 1n << 100n }), (v) => {
        const grouped = groupDigits(v)
        expect(grouped).toMatch(/^-?\d{1,3}(,\d{3})*$/)
        expect(BigInt(grouped.replaceAll(',', ''))).toBe(v)
      }),
    )
  })
})

describe('currency codes', () => {
  it('maps sat to the WebLedger spelling satoshi and back', () => {
    for (const c of CURRENCIES) expect(fromWebLedgerCurrency(toWebLedgerCurrency(c))).toBe(c)
    expect(toWebLedgerCurrency('sat')).toBe('satoshi')
    expect(toWebLedgerCurrency('TSEED')).toBe('TSEED')
  })

  it('matches WebLedger codes exactly', () => {
    expect(fromWebLedgerCurrency('sat')).toBeUndefined()
    expect(fromWebLedgerCurrency('sats')).toBeUndefined()
    expect(fromWebLedgerCurrency('tseed')).toBeUndefined()
    expect(fromWebLedgerCurrency('USD')).toBeUndefined()
  })

  it('isCurrency knows only the internal codes', () => {
    expect(isCurrency('TSEED')).toBe(true)
    expect(isCurrency('sat')).toBe(true)
    expect(isCurrency('satoshi')).toBe(false)
    expect(isCurrency(1)).toBe(false)
  })
})

it('describeValue keeps error messages short and typed', () => {
  expect(describeValue(1.5)).toBe('number 1.5')
  expect(describeValue(5n)).toBe('bigint 5')
  expect(describeValue(null)).toBe('null')
  expect(describeValue([])).toBe('an array')
  expect(describeValue({})).toBe('object')
  expect(describeValue(undefined)).toBe('undefined')
  expect(describeValue('x'.repeat(50))).toBe(JSON.stringify('x'.repeat(40) + '…'))
})
