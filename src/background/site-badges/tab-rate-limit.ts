/**
 * A token bucket per tab for what web pages can make the background do: a
 * page that keeps adding links (or a content script gone wrong) must not
 * turn into a stream of REQs to the user's relays.
 */
export interface TabRateLimiter {
  /** Takes `cost` tokens from the tab's bucket, or says how long until it could. */
  take(tabId: number, cost: number): { ok: true } | { ok: false; retryAfterMs: number }
}

export interface TabRateLimitOptions {
  /** Tokens a tab starts with and can save up. */
  capacity: number
  /** Tokens a tab gets back per second. */
  perSecond: number
  /** Milliseconds. */
  now: () => number
  /** Buckets kept; the longest idle goes first. */
  maxTabs?: number
}

export function createTabRateLimiter(o: TabRateLimitOptions): TabRateLimiter {
  const buckets = new Map<number, { tokens: number; at: number }>()
  const maxTabs = o.maxTabs ?? 500
  return {
    take(tabId, cost) {
      const now = o.now()
      const b = buckets.get(tabId) ?? { tokens: o.capacity, at: now }
      b.tokens = Math.min(o.capacity, b.tokens + ((now - b.at) / 1000) * o.perSecond)
      b.at = now
      // Re-inserted so the Map's first key is always the longest idle tab.
      buckets.delete(tabId)
      buckets.set(tabId, b)
      if (buckets.size > maxTabs) {
        const idle = buckets.keys().next().value
        if (idle !== undefined) buckets.delete(idle)
      }
      if (cost > o.capacity) return { ok: false, retryAfterMs: Infinity }
      if (b.tokens >= cost) {
        b.tokens -= cost
        return { ok: true }
      }
      return { ok: false, retryAfterMs: Math.ceil(((cost - b.tokens) / o.perSecond) * 1000) }
    },
  }
}
