import { describe, expect, it } from 'vitest'
import {
  coverWithSlippage,
  DEFAULT_SLIPPAGE_BPS,
  formatSlippage,
  MAX_SLIPPAGE_BPS,
  MIN_SLIPPAGE_BPS,
  minOutFor,
  parseSlippagePercent,
  SlippageError,
} from './slippage'

describe('parseSlippagePercent', () => {
  it('reads percentages as typed into whole basis points', () => {
    expect(parseSlippagePercent('1')).toBe(100n)
    expect(parseSlippagePercent('0.5')).toBe(50n)
    expect(parseSlippagePercent('0,5')).toBe(50n)
    expect(parseSlippagePercent(' 2.25 % ')).toBe(225n)
    expect(parseSlippagePercent('1.2')).toBe(120n)
    expect(parseSlippagePercent('01.05')).toBe(105n)
  })

  it('takes both ends of the range and nothing past them', () => {
    expect(parseSlippagePercent('0.1')).toBe(MIN_SLIPPAGE_BPS)
    expect(parseSlippagePercent('5')).toBe(MAX_SLIPPAGE_BPS)
    expect(parseSlippagePercent('5.00')).toBe(MAX_SLIPPAGE_BPS)
    for (const outside of ['0.09', '0', '5.01', '6', '100']) {
      expect(() => parseSlippagePercent(outside)).toThrow(/from 0\.1% to 5%/)
    }
  })

  it('refuses what is not a percentage with at most two decimals', () => {
    for (const bad of ['', 'abc', '1.234', '-1', '1e0', '0x1', '1..2', '.5', '1000']) {
      expect(() => parseSlippagePercent(bad)).toThrow(SlippageError)
    }
  })
})

describe('formatSlippage', () => {
  it('writes basis points as a percentage without trailing zeros', () => {
    expect(formatSlippage(DEFAULT_SLIPPAGE_BPS)).toBe('1')
    expect(formatSlippage(MIN_SLIPPAGE_BPS)).toBe('0.1')
    expect(formatSlippage(MAX_SLIPPAGE_BPS)).toBe('5')
    expect(formatSlippage(15n)).toBe('0.15')
    expect(formatSlippage(150n)).toBe('1.5')
    expect(formatSlippage(1_305n)).toBe('13.05')
    expect(formatSlippage(0n)).toBe('0')
  })

  it('is the inverse of parsing over the whole allowed range', () => {
    for (let bps = MIN_SLIPPAGE_BPS; bps <= MAX_SLIPPAGE_BPS; bps++) {
      expect(parseSlippagePercent(formatSlippage(bps))).toBe(bps)
    }
  })
})

describe('minOutFor and coverWithSlippage', () => {
  it('floors the minimum', () => {
    expect(minOutFor(199n, 50n)).toBe(198n) // 198.005
    expect(minOutFor(100n, 100n)).toBe(99n)
    expect(minOutFor(7n, 200n)).toBe(6n) // 6.86
    expect(minOutFor(2n ** 80n, 10_000n)).toBe(0n)
    expect(() => minOutFor(1n, -1n)).toThrow(SlippageError)
    expect(() => minOutFor(1n, 10_001n)).toThrow(SlippageError)
  })

  it('buys the least that still covers the need at the worst allowed price', () => {
    for (const bps of [MIN_SLIPPAGE_BPS, 11n, 99n, DEFAULT_SLIPPAGE_BPS, 101n, MAX_SLIPPAGE_BPS]) {
      for (let need = 1n; need <= 2_000n; need++) {
        const target = coverWithSlippage(need, bps)
        expect(minOutFor(target, bps)).toBeGreaterThanOrEqual(need)
        expect(minOutFor(target - 1n, bps)).toBeLessThan(need)
      }
    }
  })

  it('matches the 1% rule the popup used before the setting, and scales with the bound', () => {
    // need + ceil(need / 99) was the fixed 1% pre-fill.
    for (let need = 1n; need <= 5_000n; need++) {
      expect(coverWithSlippage(need, 100n)).toBe(need + (need + 98n) / 99n)
    }
    expect(coverWithSlippage(5n, 10n)).toBe(6n) // 5.005 → 6
    expect(coverWithSlippage(1_000n, 10n)).toBe(1_002n) // 1001.001… → 1002
    expect(coverWithSlippage(1_000n, 500n)).toBe(1_053n) // 1052.63… → 1053
    expect(coverWithSlippage(950n, 500n)).toBe(1_000n) // exact: no rounding up
  })

  it('is exact far beyond the range of a float', () => {
    const need = 2n ** 62n + 1n
    const target = coverWithSlippage(need, 100n)
    expect(minOutFor(target, 100n)).toBeGreaterThanOrEqual(need)
    expect(minOutFor(target - 1n, 100n)).toBeLessThan(need)
  })

  it('needs nothing for nothing, and refuses a bound of 100% or more', () => {
    expect(coverWithSlippage(0n, 100n)).toBe(0n)
    expect(coverWithSlippage(-3n, 100n)).toBe(0n)
    expect(coverWithSlippage(7n, 0n)).toBe(7n)
    expect(() => coverWithSlippage(1n, 10_000n)).toThrow(SlippageError)
    expect(() => coverWithSlippage(1n, -1n)).toThrow(SlippageError)
  })
})
