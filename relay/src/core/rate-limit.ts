/**
 * A token bucket: `burst` tokens at most, refilled at `perSecond`. The clock
 * is injected (milliseconds) so tests do not sleep.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst
    this.last = now()
  }

  /** Takes one token; false means the caller is over its rate. */
  take(): boolean {
    const t = this.now()
    // A clock that steps backwards must not drain or overfill the bucket.
    const elapsed = Math.max(0, t - this.last)
    this.last = t
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
