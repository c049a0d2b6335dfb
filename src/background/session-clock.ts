import type { Kind21000Announce } from '../nostr/kind21000'

/** Sessions whose last timestamp is this far behind the clock can no longer tie. */
const FORGET_AFTER_S = 5
const SWEEP_ABOVE = 1_000

export interface SessionClock {
  /** The `created_at` for this announce: now, or one past its session's last one. */
  next(announce: Kind21000Announce, nowSeconds: number): number
}

/**
 * Relays keep one announce per session and break a `created_at` tie by the
 * lower id (NIP-01), so of two announces of one session signed in the same
 * second the later one could be refused as a duplicate: a quick `stopped`
 * after `started` would leave the session in the swarm. Each session's
 * timestamps therefore strictly increase; a burst runs a few seconds ahead
 * of the clock, well inside what relays accept.
 */
export function createSessionClock(): SessionClock {
  const last = new Map<string, number>()
  return {
    next(announce, nowSeconds) {
      const key = `${announce.infoHash}:${announce.session ?? ''}`
      const prev = last.get(key)
      const at = prev !== undefined && prev >= nowSeconds ? prev + 1 : nowSeconds
      last.set(key, at)
      if (last.size > SWEEP_ABOVE) {
        for (const [k, t] of last) if (t < nowSeconds - FORGET_AFTER_S) last.delete(k)
      }
      return at
    },
  }
}
