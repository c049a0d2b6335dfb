import type { HoldReason } from './hold'

export interface BudgetLimits {
  /** TSEED a site may spend in any 24 hours without asking. */
  dailyBudget: bigint
  /** An announce costing more than this is confirmed one by one. */
  confirmAbove: bigint
}

/** 100 TSEED (100 MB at the default price) a day per site, and a question for any single announce over 25. */
export const DEFAULT_DAILY_BUDGET = 100n
export const DEFAULT_CONFIRM_ABOVE = 25n

/**
 * Whether spending `cost` now keeps a site within its limits, given what it
 * spent in the last 24 hours. A cost of zero (seeding, or no relay charges)
 * is never held.
 */
export function budgetReasons(cost: bigint, spent: bigint, limits: BudgetLimits): HoldReason[] {
  if (cost <= 0n) return []
  const reasons: HoldReason[] = []
  if (spent + cost > limits.dailyBudget) {
    reasons.push({
      kind: 'over-budget',
      spent: spent.toString(),
      budget: limits.dailyBudget.toString(),
    })
  }
  if (cost > limits.confirmAbove) {
    reasons.push({ kind: 'above-confirm', threshold: limits.confirmAbove.toString() })
  }
  return reasons
}
