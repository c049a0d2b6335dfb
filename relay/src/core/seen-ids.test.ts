import { describe, expect, it } from 'vitest'
import { SeenIds } from './seen-ids'

describe('SeenIds', () => {
  it('remembers ids for the retention time only', () => {
    let t = 0
    const seen = new SeenIds(10, 1000, () => t)
    seen.add('a')
    t = 500
    seen.add('b')
    expect(seen.has('a')).toBe(true)
    t = 1000
    expect(seen.has('a')).toBe(false)
    expect(seen.has('b')).toBe(true)
    t = 1500
    expect(seen.has('b')).toBe(false)
    expect(seen.size).toBe(0)
  })

  it('evicts the oldest id beyond the size cap', () => {
    const seen = new SeenIds(2, 1000, () => 0)
    seen.add('a')
    seen.add('b')
    seen.add('c')
    expect([seen.has('a'), seen.has('b'), seen.has('c')]).toEqual([false, true, true])
  })
})
