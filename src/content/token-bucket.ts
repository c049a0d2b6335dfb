/**
 * A token bucket: `capacity` at once, refilled at `refillPerSecond`. Used by
 * the bridge (per page) and the background (per tab) so a page that floods
 * its own socket cannot flood the extension.
 */
export interface TokenBucket {
  /** Takes one token; false when none is left. */
  take(): boolean
}

export interface TokenBucketOptions {
  capacity: number
  refillPerSecond: number
  now: () => number
}

export function createTokenBucket(opts: TokenBucketOptions): TokenBucket {
  let tokens = opts.capacity
  let last = opts.now()
  return {
    take() {
      const now = opts.now()
      // A clock that goes back (a changed system time) must not mint tokens.
      const elapsed = Math.max(0, now - last)
      last = now
      tokens = Math.min(opts.capacity, tokens + (elapsed / 1000) * opts.refillPerSecond)
      if (tokens < 1) return false
      tokens -= 1
      return true
    },
  }
}
