import { createSerialQueue, createStorageItem, type StorageAreaLike } from '../storage-item'

/** Budgets count what a site spent in the last 24 hours. */
export const SPEND_WINDOW_MS = 24 * 3600 * 1000
/** A page announcing every second for a day stays below this; beyond it the oldest go first. */
const MAX_RECORDS = 100_000

interface SpendRecord {
  origin: string
  at: number
  tokens: string
}

export interface SpendLog {
  /** TSEED this site's announces were estimated to cost since `now` − 24 h. */
  spentInWindow(origin: string, now: number): Promise<bigint>
  /** The same for every site at once. */
  totals(now: number): Promise<Map<string, bigint>>
  record(origin: string, tokens: bigint, at: number): Promise<void>
}

/**
 * What each site's published announces were estimated to cost, kept in
 * `storage.local` so a restarted worker still knows today's spend. Spend is
 * recorded when an announce is released for publishing, before any relay
 * answers: a budget may then count a charge that a relay later refused,
 * never miss one it made.
 */
export function createSpendLog(area: StorageAreaLike): SpendLog {
  const item = createStorageItem<SpendRecord[]>(area, 'spendLog', {
    defaultValue: [],
    parse: (raw) =>
      Array.isArray(raw)
        ? raw.filter(
            (r): r is SpendRecord =>
              typeof r === 'object' &&
              r !== null &&
              typeof (r as SpendRecord).origin === 'string' &&
              typeof (r as SpendRecord).at === 'number' &&
              typeof (r as SpendRecord).tokens === 'string' &&
              /^[0-9]{1,40}$/.test((r as SpendRecord).tokens),
          )
        : undefined,
  })
  const serial = createSerialQueue()
  const totals = async (now: number): Promise<Map<string, bigint>> => {
    const since = now - SPEND_WINDOW_MS
    const sums = new Map<string, bigint>()
    for (const r of await item.get()) {
      if (r.at > since) sums.set(r.origin, (sums.get(r.origin) ?? 0n) + BigInt(r.tokens))
    }
    return sums
  }
  return {
    spentInWindow: async (origin, now) => (await totals(now)).get(origin) ?? 0n,
    totals,
    record: (origin, tokens, at) =>
      serial(async () => {
        if (tokens <= 0n) return
        const since = at - SPEND_WINDOW_MS
        const kept = (await item.get()).filter((r) => r.at > since)
        kept.push({ origin, at, tokens: tokens.toString() })
        await item.set(kept.slice(-MAX_RECORDS))
      }),
  }
}
