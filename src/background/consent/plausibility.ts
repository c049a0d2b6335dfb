import type { Kind21000Announce } from '../../nostr/kind21000'
import type { HoldReason } from './hold'

/** The counters of a session's last published announce, and when it was seen. */
export interface SessionProgress {
  downloaded: bigint
  at: number
}

/** 1 Gbit/s: faster than almost any home line, slow enough to catch a page inventing gigabytes. */
export const DEFAULT_LINE_MBPS = 1_000

/**
 * The download the relays will charge for: what the session reports beyond
 * its last published announce. A counter that went down is a client restart,
 * which the relay counts from zero, so the whole counter is new.
 */
export function downloadDelta(
  announce: Kind21000Announce,
  previous: SessionProgress | undefined,
): bigint {
  if (previous === undefined || announce.downloaded < previous.downloaded)
    return announce.downloaded
  return announce.downloaded - previous.downloaded
}

/**
 * Rules a real client cannot break, so an announce that breaks one was most
 * likely written by a page rather than measured by a torrent client:
 * - `started` opens a session, whose counters start at zero;
 * - no download grows faster than the user's line.
 * A session first seen without `started` has no reference to measure speed
 * against; its whole counter is charged, and the budget limits it.
 */
export function plausibilityReasons(
  announce: Kind21000Announce,
  previous: SessionProgress | undefined,
  now: number,
  lineMbps: number,
): HoldReason[] {
  if (announce.event === 'started') {
    return announce.downloaded > 0n ? [{ kind: 'started-with-download' }] : []
  }
  if (previous === undefined) return []
  const delta = downloadDelta(announce, previous)
  if (delta === 0n) return []
  // A reset (counter went down) is compared over the same interval: the client restarted within it.
  const elapsedMs = BigInt(Math.max(1, Math.floor(now - previous.at)))
  // bytes/ms at N Mbit/s is N × 10^6 / 8 / 1000 = N × 125; compared without division.
  if (delta > elapsedMs * BigInt(Math.floor(lineMbps)) * 125n) {
    return [
      {
        kind: 'too-fast',
        bytes: delta.toString(),
        seconds: ((elapsedMs + 999n) / 1000n).toString(),
        lineMbps: String(Math.floor(lineMbps)),
      },
    ]
  }
  return []
}
