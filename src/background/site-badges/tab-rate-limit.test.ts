import { describe, expect, it } from 'vitest'
import { createTabRateLimiter } from './tab-rate-limit'

describe('createTabRateLimiter', () => {
  it('lets a tab spend its capacity, then refills at the set rate', () => {
    let now = 0
    const l = createTabRateLimiter({ capacity: 30, perSecond: 0.5, now: () => now })
    expect(l.take(1, 11)).toEqual({ ok: true })
    expect(l.take(1, 11)).toEqual({ ok: true })
    expect(l.take(1, 11)).toEqual({ ok: false, retryAfterMs: 6000 })
    now = 5_999
    expect(l.take(1, 11).ok).toBe(false)
    now = 6_000
    expect(l.take(1, 11)).toEqual({ ok: true })
  })

  it('keeps each tab’s bucket apart', () => {
    const l = createTabRateLimiter({ capacity: 2, perSecond: 1, now: () => 0 })
    expect(l.take(1, 2).ok).toBe(true)
    expect(l.take(1, 1).ok).toBe(false)
    expect(l.take(2, 2).ok).toBe(true)
  })

  it('never grants more than the capacity at once', () => {
    const l = createTabRateLimiter({ capacity: 5, perSecond: 1, now: () => 0 })
    expect(l.take(1, 6)).toEqual({ ok: false, retryAfterMs: Infinity })
  })

  it('forgets the longest idle tab beyond the limit, which then starts full again', () => {
    let now = 0
    const l = createTabRateLimiter({ capacity: 1, perSecond: 0.001, now: () => now, maxTabs: 2 })
    expect(l.take(1, 1).ok).toBe(true)
    now = 1
    expect(l.take(2, 1).ok).toBe(true)
    expect(l.take(3, 1).ok).toBe(true)
    expect(l.take(2, 1).ok).toBe(false)
    expect(l.take(1, 1).ok).toBe(true)
  })
})
