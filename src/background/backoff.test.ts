import { describe, expect, it } from 'vitest'
import { RETRY_CAP_MS, retryDelayMs } from './backoff'

describe('retryDelayMs', () => {
  it('doubles from 2 s without jitter at the midpoint', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 0.5))).toEqual([
      2000, 4000, 8000, 16000, 32000,
    ])
  })

  it('never exceeds the cap, however many attempts', () => {
    for (const n of [6, 7, 50, 10_000]) {
      expect(retryDelayMs(n, 0.999)).toBeLessThanOrEqual(RETRY_CAP_MS)
      expect(retryDelayMs(n, 0)).toBe(48_000)
    }
  })

  it('spreads retries by ±20%', () => {
    expect(retryDelayMs(1, 0)).toBe(1600)
    expect(retryDelayMs(1, 0.999)).toBe(2399)
  })
})
