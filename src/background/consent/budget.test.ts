import { describe, expect, it } from 'vitest'
import { budgetReasons, DEFAULT_CONFIRM_ABOVE, DEFAULT_DAILY_BUDGET } from './budget'

const limits = { dailyBudget: 100n, confirmAbove: 25n }

describe('budgetReasons', () => {
  it('never holds a zero cost, even past the budget and with a zero threshold', () => {
    expect(budgetReasons(0n, 1_000n, limits)).toEqual([])
    expect(budgetReasons(0n, 0n, { dailyBudget: 0n, confirmAbove: 0n })).toEqual([])
  })

  it('passes a cost that reaches the budget exactly, and holds one token more', () => {
    expect(budgetReasons(20n, 80n, limits)).toEqual([])
    expect(budgetReasons(21n, 80n, limits)).toEqual([
      { kind: 'over-budget', spent: '80', budget: '100' },
    ])
  })

  it('holds any cost when the budget is zero', () => {
    expect(budgetReasons(1n, 0n, { dailyBudget: 0n, confirmAbove: 25n })).toEqual([
      { kind: 'over-budget', spent: '0', budget: '0' },
    ])
  })

  it('asks for a cost strictly above the confirmation threshold', () => {
    expect(budgetReasons(25n, 0n, limits)).toEqual([])
    expect(budgetReasons(26n, 0n, limits)).toEqual([{ kind: 'above-confirm', threshold: '25' }])
  })

  it('gives both reasons, budget first, when both apply', () => {
    expect(budgetReasons(30n, 90n, limits)).toEqual([
      { kind: 'over-budget', spent: '90', budget: '100' },
      { kind: 'above-confirm', threshold: '25' },
    ])
  })

  it('computes exactly with amounts above 2^53', () => {
    const budget = 2n ** 60n
    const big = { dailyBudget: budget, confirmAbove: 2n ** 59n }
    const spent = budget - 2n ** 58n
    // spent + cost lands exactly on the budget: a Number would round these.
    expect(budgetReasons(2n ** 58n, spent, big)).toEqual([])
    expect(budgetReasons(2n ** 58n + 1n, spent, big)).toEqual([
      { kind: 'over-budget', spent: spent.toString(), budget: budget.toString() },
    ])
    expect(budgetReasons(2n ** 59n + 1n, 0n, big)).toEqual([
      { kind: 'above-confirm', threshold: (2n ** 59n).toString() },
    ])
    expect(budgetReasons(2n ** 59n, 0n, big)).toEqual([])
  })

  it('defaults to 100 TSEED a day and a question above 25', () => {
    expect(DEFAULT_DAILY_BUDGET).toBe(100n)
    expect(DEFAULT_CONFIRM_ABOVE).toBe(25n)
  })
})
