import { describe, expect, it } from 'vitest'
import { createMemoryStorageArea } from '../storage-item'
import {
  createSpendingSettings,
  DEFAULT_SPENDING,
  MAX_LINE_MBPS,
  MAX_TOKENS,
  parseLineMbps,
  parseTokens,
  SpendingSettingsError,
} from './spending-settings'

describe('parseTokens', () => {
  it('reads whole numbers, trimming spaces', () => {
    expect(parseTokens('0', 'Budget')).toBe(0n)
    expect(parseTokens('  250 ', 'Budget')).toBe(250n)
    expect(parseTokens('\t007\n', 'Budget')).toBe(7n)
    expect(parseTokens(MAX_TOKENS.toString(), 'Budget')).toBe(10n ** 15n)
  })

  it('refuses decimals, signs, separators, spaces inside and empty text', () => {
    for (const text of ['1.5', '-3', '+3', '1,000', '1 000', '', '   ', '1e3', 'ten', '0x10']) {
      expect(() => parseTokens(text, 'The budget'), JSON.stringify(text)).toThrow(
        new SpendingSettingsError('The budget must be a whole number of TSEED'),
      )
    }
  })

  it('refuses more than MAX_TOKENS, naming what was entered', () => {
    expect(() => parseTokens((MAX_TOKENS + 1n).toString(), 'The threshold')).toThrow(
      new SpendingSettingsError('The threshold may be at most 1000000000000000 TSEED'),
    )
    // More digits than any budget: refused by form, before being read as a number.
    expect(() => parseTokens('1'.repeat(17), 'The budget')).toThrow(
      'The budget must be a whole number of TSEED',
    )
  })

  it('throws a SpendingSettingsError', () => {
    expect(() => parseTokens('x', 'B')).toThrow(SpendingSettingsError)
  })
})

describe('parseLineMbps', () => {
  it('reads whole Mbit/s between 1 and the maximum, trimming spaces', () => {
    expect(parseLineMbps('1')).toBe(1)
    expect(parseLineMbps(' 100 ')).toBe(100)
    expect(parseLineMbps(String(MAX_LINE_MBPS))).toBe(1_000_000)
  })

  it('refuses zero and values above the maximum', () => {
    for (const text of ['0', '000', String(MAX_LINE_MBPS + 1)]) {
      expect(() => parseLineMbps(text), text).toThrow(
        new SpendingSettingsError('Line speed must be between 1 and 1000000 Mbit/s'),
      )
    }
  })

  it('refuses decimals, negatives, empty text and too many digits', () => {
    for (const text of ['1.5', '-10', '', 'fast', '10000000', '1e3']) {
      expect(() => parseLineMbps(text), text).toThrow(
        new SpendingSettingsError('Line speed must be a whole number of Mbit/s'),
      )
    }
  })
})

describe('createSpendingSettings', () => {
  it('gives the defaults when nothing is stored', async () => {
    const s = createSpendingSettings(createMemoryStorageArea())
    expect(await s.get()).toEqual({ dailyBudget: 100n, confirmAbove: 25n, lineMbps: 1_000 })
    expect(await s.get()).toEqual(DEFAULT_SPENDING)
  })

  it('hands out a copy of the defaults, not the shared object', async () => {
    const s = createSpendingSettings(createMemoryStorageArea())
    const got = await s.get()
    got.dailyBudget = 1n
    expect(DEFAULT_SPENDING.dailyBudget).toBe(100n)
    expect((await s.get()).dailyBudget).toBe(100n)
  })

  it('stores amounts as decimal strings and reads the same values back', async () => {
    const area = createMemoryStorageArea()
    const s = createSpendingSettings(area)
    await s.set({ dailyBudget: MAX_TOKENS, confirmAbove: 0n, lineMbps: 50 })
    expect(area.dump()[s.key]).toEqual({
      dailyBudget: '1000000000000000',
      confirmAbove: '0',
      lineMbps: 50,
    })
    expect(await s.get()).toEqual({ dailyBudget: MAX_TOKENS, confirmAbove: 0n, lineMbps: 50 })
    // A second instance over the same area (a restarted worker) reads the same.
    expect(await createSpendingSettings(area).get()).toEqual({
      dailyBudget: MAX_TOKENS,
      confirmAbove: 0n,
      lineMbps: 50,
    })
  })

  it('goes back to the defaults when removed', async () => {
    const s = createSpendingSettings(createMemoryStorageArea())
    await s.set({ dailyBudget: 5n, confirmAbove: 1n, lineMbps: 10 })
    await s.remove()
    expect(await s.get()).toEqual(DEFAULT_SPENDING)
  })

  it('falls back to the defaults when the stored value is unreadable', async () => {
    const cases: unknown[] = [
      'nonsense',
      7,
      [],
      {},
      { dailyBudget: '10', confirmAbove: '5' },
      { dailyBudget: '-10', confirmAbove: '5', lineMbps: 100 },
      { dailyBudget: '10', confirmAbove: '1.5', lineMbps: 100 },
      { dailyBudget: '10', confirmAbove: '5', lineMbps: 0 },
      { dailyBudget: (MAX_TOKENS + 1n).toString(), confirmAbove: '5', lineMbps: 100 },
    ]
    for (const raw of cases) {
      const area = createMemoryStorageArea()
      const s = createSpendingSettings(area)
      await area.set({ [s.key]: raw })
      expect(await s.get(), JSON.stringify(raw)).toEqual(DEFAULT_SPENDING)
    }
  })
})
