import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, resolveLimits } from './limits'

describe('resolveLimits', () => {
  it('fills in defaults and keeps overrides', () => {
    expect(resolveLimits({ maxSubscriptions: 3 })).toEqual({
      ...DEFAULT_LIMITS,
      maxSubscriptions: 3,
    })
  })

  it('refuses a limit that would switch a check off', () => {
    expect(() => resolveLimits({ maxMessageBytes: 0 })).toThrow(/maxMessageBytes/)
    expect(() => resolveLimits({ maxLimit: 2.5 })).toThrow(/maxLimit/)
    expect(() => resolveLimits({ defaultLimit: 600, maxLimit: 500 })).toThrow(/defaultLimit/)
    expect(resolveLimits({ maxFutureSeconds: 0 }).maxFutureSeconds).toBe(0)
  })
})
