import { createStorageItem, type StorageAreaLike, type StorageItem } from '../storage-item'
import { DEFAULT_CONFIRM_ABOVE, DEFAULT_DAILY_BUDGET } from './budget'
import { DEFAULT_LINE_MBPS } from './plausibility'

/** The user's defaults for every site. */
export interface SpendingSettings {
  /** TSEED per site per 24 hours, unless the site has its own budget. */
  dailyBudget: bigint
  /** TSEED: a single announce costing more is confirmed one by one. */
  confirmAbove: bigint
  /** The user's line speed in Mbit/s; a download faster than this is questioned. */
  lineMbps: number
}

export const DEFAULT_SPENDING: SpendingSettings = {
  dailyBudget: DEFAULT_DAILY_BUDGET,
  confirmAbove: DEFAULT_CONFIRM_ABOVE,
  lineMbps: DEFAULT_LINE_MBPS,
}

/** The largest budget or threshold accepted: far above any real spend, well inside 2^62. */
export const MAX_TOKENS = 10n ** 15n
export const MAX_LINE_MBPS = 1_000_000

/** A setting the user entered that cannot be used; the message is shown as is. */
export class SpendingSettingsError extends Error {
  override name = 'SpendingSettingsError'
}

/**
 * Reads a whole-TSEED amount typed by the user.
 * @throws SpendingSettingsError
 */
export function parseTokens(text: string, what: string): bigint {
  const t = text.trim()
  if (!/^[0-9]{1,16}$/.test(t))
    throw new SpendingSettingsError(`${what} must be a whole number of TSEED`)
  const v = BigInt(t)
  if (v > MAX_TOKENS) throw new SpendingSettingsError(`${what} may be at most ${MAX_TOKENS} TSEED`)
  return v
}

/** @throws SpendingSettingsError */
export function parseLineMbps(text: string): number {
  const t = text.trim()
  if (!/^[0-9]{1,7}$/.test(t))
    throw new SpendingSettingsError('Line speed must be a whole number of Mbit/s')
  const v = Number(t)
  if (v < 1 || v > MAX_LINE_MBPS) {
    throw new SpendingSettingsError(`Line speed must be between 1 and ${MAX_LINE_MBPS} Mbit/s`)
  }
  return v
}

export function createSpendingSettings(area: StorageAreaLike): StorageItem<SpendingSettings> {
  const item = createStorageItem<{
    dailyBudget: string
    confirmAbove: string
    lineMbps: number
  } | null>(area, 'spending', {
    defaultValue: null,
    parse: (raw) => {
      if (typeof raw !== 'object' || raw === null) return undefined
      const r = raw as Record<string, unknown>
      try {
        return {
          dailyBudget: parseTokens(String(r.dailyBudget), 'budget').toString(),
          confirmAbove: parseTokens(String(r.confirmAbove), 'threshold').toString(),
          lineMbps: parseLineMbps(String(r.lineMbps)),
        }
      } catch {
        return undefined
      }
    },
  })
  return {
    key: item.key,
    async get() {
      const v = await item.get()
      if (v === null) return { ...DEFAULT_SPENDING }
      return {
        dailyBudget: BigInt(v.dailyBudget),
        confirmAbove: BigInt(v.confirmAbove),
        lineMbps: v.lineMbps,
      }
    },
    set: (s) =>
      item.set({
        dailyBudget: s.dailyBudget.toString(),
        confirmAbove: s.confirmAbove.toString(),
        lineMbps: s.lineMbps,
      }),
    remove: () => item.remove(),
  }
}
