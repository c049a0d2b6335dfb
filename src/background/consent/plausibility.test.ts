import { describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../../nostr/kind21000'
import { DEFAULT_LINE_MBPS, downloadDelta, plausibilityReasons } from './plausibility'

function announce(over: Partial<Kind21000Announce> = {}): Kind21000Announce {
  return {
    infoHash: 'ab'.repeat(20),
    uploaded: 0n,
    downloaded: 0n,
    left: 1000n,
    session: 'cd'.repeat(16),
    ...over,
  }
}

describe('downloadDelta', () => {
  it('is the whole counter when the session has no previous announce', () => {
    expect(downloadDelta(announce({ downloaded: 123_456n }), undefined)).toBe(123_456n)
  })

  it('is the growth since the previous announce', () => {
    const previous = { downloaded: 1_000n, at: 0 }
    expect(downloadDelta(announce({ downloaded: 1_750n }), previous)).toBe(750n)
    expect(downloadDelta(announce({ downloaded: 1_000n }), previous)).toBe(0n)
  })

  it('is the whole new counter after a reset (the counter went down)', () => {
    const previous = { downloaded: 5_000n, at: 0 }
    expect(downloadDelta(announce({ downloaded: 300n }), previous)).toBe(300n)
  })

  it('stays exact above 2^53', () => {
    const big = 2n ** 60n
    expect(downloadDelta(announce({ downloaded: big + 7n }), { downloaded: big, at: 0 })).toBe(7n)
  })
})

describe('plausibilityReasons', () => {
  it('accepts a started announce with nothing downloaded, even with a previous session', () => {
    expect(plausibilityReasons(announce({ event: 'started' }), undefined, 1_000, 100)).toEqual([])
    expect(
      plausibilityReasons(
        announce({ event: 'started' }),
        { downloaded: 9_000_000n, at: 999 },
        1_000,
        100,
      ),
    ).toEqual([])
  })

  it('questions a started announce that already reports a download', () => {
    expect(
      plausibilityReasons(announce({ event: 'started', downloaded: 1n }), undefined, 1_000, 100),
    ).toEqual([{ kind: 'started-with-download' }])
  })

  it('has no reference for speed without a previous announce', () => {
    // 10^18 bytes would be far too fast for any line, but there is nothing to measure against.
    expect(plausibilityReasons(announce({ downloaded: 10n ** 18n }), undefined, 1, 1)).toEqual([])
  })

  it('accepts a download exactly at the line speed and questions one byte more', () => {
    // 100 Mbit/s over 2.5 s: 2500 ms × 100 × 125 = 31,250,000 bytes.
    const previous = { downloaded: 1_000n, at: 10_000 }
    const now = 12_500
    const limit = 2_500n * 100n * 125n
    expect(limit).toBe(31_250_000n)
    expect(
      plausibilityReasons(announce({ downloaded: 1_000n + limit }), previous, now, 100),
    ).toEqual([])
    expect(
      plausibilityReasons(announce({ downloaded: 1_000n + limit + 1n }), previous, now, 100),
    ).toEqual([{ kind: 'too-fast', bytes: '31250001', seconds: '3', lineMbps: '100' }])
  })

  it('reports whole seconds rounded up and the line speed without fractions', () => {
    const previous = { downloaded: 0n, at: 0 }
    // 1001 ms rounds up to 2 s; 2000 ms is exactly 2 s.
    expect(plausibilityReasons(announce({ downloaded: 10n ** 12n }), previous, 1_001, 8.9)).toEqual(
      [{ kind: 'too-fast', bytes: '1000000000000', seconds: '2', lineMbps: '8' }],
    )
    expect(plausibilityReasons(announce({ downloaded: 10n ** 12n }), previous, 2_000, 8)).toEqual([
      { kind: 'too-fast', bytes: '1000000000000', seconds: '2', lineMbps: '8' },
    ])
  })

  it('measures a fractional line speed at its whole part', () => {
    const previous = { downloaded: 0n, at: 0 }
    // 8.9 Mbit/s counts as 8: 1000 ms × 8 × 125 = 1,000,000 bytes pass, one more does not.
    expect(plausibilityReasons(announce({ downloaded: 1_000_000n }), previous, 1_000, 8.9)).toEqual(
      [],
    )
    expect(
      plausibilityReasons(announce({ downloaded: 1_000_001n }), previous, 1_000, 8.9),
    ).toHaveLength(1)
  })

  it('treats no elapsed time (or a clock that went back) as 1 ms', () => {
    const previous = { downloaded: 0n, at: 5_000 }
    // At 1000 Mbit/s, 1 ms allows 125,000 bytes.
    expect(
      plausibilityReasons(announce({ downloaded: 125_000n }), previous, 5_000, DEFAULT_LINE_MBPS),
    ).toEqual([])
    expect(
      plausibilityReasons(announce({ downloaded: 125_001n }), previous, 5_000, DEFAULT_LINE_MBPS),
    ).toEqual([{ kind: 'too-fast', bytes: '125001', seconds: '1', lineMbps: '1000' }])
    expect(
      plausibilityReasons(announce({ downloaded: 125_001n }), previous, 4_000, DEFAULT_LINE_MBPS),
    ).toEqual([{ kind: 'too-fast', bytes: '125001', seconds: '1', lineMbps: '1000' }])
  })

  it('accepts an announce that downloaded nothing since the previous one', () => {
    const previous = { downloaded: 10n ** 15n, at: 0 }
    expect(plausibilityReasons(announce({ downloaded: 10n ** 15n }), previous, 0, 1)).toEqual([])
  })

  it('compares a counter reset over the same interval, counting the whole new counter', () => {
    // The counter went from 50 MB down to 20 MB: the client restarted, 20 MB are new.
    const previous = { downloaded: 50_000_000n, at: 0 }
    // 10 Mbit/s over 10 s allows 12.5 MB: 20 MB is too fast…
    expect(
      plausibilityReasons(announce({ downloaded: 20_000_000n }), previous, 10_000, 10),
    ).toEqual([{ kind: 'too-fast', bytes: '20000000', seconds: '10', lineMbps: '10' }])
    // …and 12.5 MB is not, though it is 37.5 MB less than before.
    expect(
      plausibilityReasons(announce({ downloaded: 12_500_000n }), previous, 10_000, 10),
    ).toEqual([])
  })

  it('computes exactly with counters above 2^53', () => {
    const base = 2n ** 62n
    const previous = { downloaded: base, at: 0 }
    // 1 h at 1 Gbit/s is 450 GB; a Number would lose the last digits of these counters.
    const limit = 3_600_000n * 1_000n * 125n
    expect(
      plausibilityReasons(announce({ downloaded: base + limit }), previous, 3_600_000, 1_000),
    ).toEqual([])
    expect(
      plausibilityReasons(announce({ downloaded: base + limit + 1n }), previous, 3_600_000, 1_000),
    ).toEqual([
      { kind: 'too-fast', bytes: (limit + 1n).toString(), seconds: '3600', lineMbps: '1000' },
    ])
  })

  it('does not apply the speed rule to a started announce, only the counter rule', () => {
    const previous = { downloaded: 0n, at: 0 }
    expect(
      plausibilityReasons(announce({ event: 'started', downloaded: 10n ** 15n }), previous, 1, 1),
    ).toEqual([{ kind: 'started-with-download' }])
  })
})
