import { describe, expect, it } from 'vitest'
import { ConnectionCounter } from './connection-counter'

describe('ConnectionCounter', () => {
  it('caps connections per address and frees a slot on release', () => {
    const c = new ConnectionCounter(2)
    expect([c.tryAcquire('a'), c.tryAcquire('a'), c.tryAcquire('a')]).toEqual([true, true, false])
    expect(c.tryAcquire('b')).toBe(true)
    c.release('a')
    expect(c.count('a')).toBe(1)
    expect(c.tryAcquire('a')).toBe(true)
    c.release('b')
    c.release('b')
    expect(c.count('b')).toBe(0)
  })
})
