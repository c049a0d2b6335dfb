import { describe, expect, it } from 'vitest'
import { assertAmount, assertNonNegativeAmount, BYTES_PER_MB, ceilDiv, MAX_AMOUNT } from './units'

describe('units', () => {
  it('defines a decimal MB and a 2^62 amount bound', () => {
    expect(BYTES_PER_MB).toBe(1_000_000n)
    expect(MAX_AMOUNT).toBe(4611686018427387904n)
  })

  it('accepts amounts up to ±2^62 and rejects anything beyond', () => {
    expect(assertAmount(MAX_AMOUNT, 'x')).toBe(MAX_AMOUNT)
    expect(assertAmount(-MAX_AMOUNT, 'x')).toBe(-MAX_AMOUNT)
    expect(() => assertAmount(MAX_AMOUNT + 1n, 'fee')).toThrow('fee is out of range')
    expect(() => assertAmount(-MAX_AMOUNT - 1n, 'fee')).toThrow(RangeError)
    expect(() => assertAmount(5 as unknown as bigint, 'fee')).toThrow('fee must be a bigint')
  })

  it('rejects amounts below the minimum', () => {
    expect(assertNonNegativeAmount(0n, 'a')).toBe(0n)
    expect(() => assertNonNegativeAmount(-1n, 'a')).toThrow('a must be at least 0, got -1')
    expect(() => assertNonNegativeAmount(0n, 'a', 1n)).toThrow('a must be at least 1')
  })

  it('divides rounding up', () => {
    expect(ceilDiv(0n, 7n)).toBe(0n)
    expect(ceilDiv(7n, 7n)).toBe(1n)
    expect(ceilDiv(8n, 7n)).toBe(2n)
    expect(() => ceilDiv(1n, 0n)).toThrow('divisor must be positive')
    expect(() => ceilDiv(-1n, 2n)).toThrow('dividend must be non-negative')
  })
})
