import { describe, expect, it } from 'vitest'
import { TokenBucket } from './rate-limit'

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let t = 1_000_000
    const bucket = new TokenBucket(3, 2, () => t)
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ])
    t += 499
    expect(bucket.take()).toBe(false)
    t += 1
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
  })

  it('never holds more than the burst', () => {
    let t = 0
    const bucket = new TokenBucket(2, 10, () => t)
    t += 60_000
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false])
  })

  it('survives a clock stepping backwards', () => {
    let t = 10_000
    const bucket = new TokenBucket(1, 1, () => t)
    expect(bucket.take()).toBe(true)
    t -= 5_000
    expect(bucket.take()).toBe(false)
    t += 1_000
    expect(bucket.take()).toBe(true)
  })
})
