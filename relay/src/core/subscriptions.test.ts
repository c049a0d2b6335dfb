import { describe, expect, it } from 'vitest'
import { newKey, signEvent } from '../../tests/fixtures'
import { parseFilter } from './filters'
import { DEFAULT_LIMITS } from './limits'
import { SubscriptionRegistry } from './subscriptions'

const f = (v: unknown) => parseFilter(v, DEFAULT_LIMITS)
const ev = signEvent(newKey().sk, 23194, 1, [['p', 'c'.repeat(64)]])

describe('SubscriptionRegistry', () => {
  it('caps subscriptions per client, but a replacement is always allowed', () => {
    const reg = new SubscriptionRegistry(2)
    expect(reg.open('c1', 'a', [f({})])).toBeDefined()
    expect(reg.open('c1', 'b', [f({})])).toBeDefined()
    expect(reg.open('c1', 'c', [f({})])).toBeUndefined()
    expect(reg.open('c1', 'a', [f({ kinds: [1] })])).toBeDefined()
    expect(reg.open('c2', 'a', [f({})])).toBeDefined()
    expect(reg.count('c1')).toBe(2)
    expect(reg.size).toBe(3)
  })

  it('knows whether a subscription object is still the open one', () => {
    const reg = new SubscriptionRegistry(5)
    const first = reg.open('c1', 'a', [f({})])!
    const second = reg.open('c1', 'a', [f({})])!
    expect(reg.isOpen(first)).toBe(false)
    expect(reg.isOpen(second)).toBe(true)
    expect(reg.close('c1', 'a')).toBe(true)
    expect(reg.close('c1', 'a')).toBe(false)
    expect(reg.isOpen(second)).toBe(false)
  })

  it('finds the subscriptions an event matches', () => {
    const reg = new SubscriptionRegistry(5)
    reg.open('c1', 'nwc', [f({ kinds: [23194], '#p': ['c'.repeat(64)] })])
    reg.open('c1', 'other', [f({ kinds: [1] })])
    reg.open('c2', 'any', [f({ kinds: [1] }), f({ '#p': ['c'.repeat(64)] })])
    expect([...reg.matching(ev)].map((s) => `${s.clientId}/${s.id}`)).toEqual(['c1/nwc', 'c2/any'])
    reg.closeClient('c1')
    expect([...reg.matching(ev)].map((s) => s.id)).toEqual(['any'])
  })
})
