import { describe, expect, it } from 'vitest'
import { createTokenBucket } from './token-bucket'

describe('createTokenBucket', () => {
  it('gives the capacity at once, then refills at the rate', () => {
    let now = 0
    const bucket = createTokenBucket({ capacity: 3, refillPerSecond: 2, now: () => now })
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ])
    now += 499
    expect(bucket.take()).toBe(false)
    now += 1
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
  })

  it('never holds more than its capacity after a long pause', () => {
    let now = 0
    const bucket = createTokenBucket({ capacity: 2, refillPerSecond: 1, now: () => now })
    now += 3_600_000
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false])
  })

  it('mints nothing when the clock goes back', () => {
    let now = 10_000
    const bucket = createTokenBucket({ capacity: 1, refillPerSecond: 1, now: () => now })
    expect(bucket.take()).toBe(true)
    now = 0
    expect(bucket.take()).toBe(false)
    now = 999
    expect(bucket.take()).toBe(false)
    now = 1_000
    expect(bucket.take()).toBe(true)
  })
})
