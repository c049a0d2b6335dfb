import { describe, expect, it } from 'vitest'
import { isInsufficientBalance, isOpen, isUnfinished, type RelayResult } from './relay-result'

const ok: RelayResult = { state: 'ok', message: '', eventId: 'e', at: 1 }
const retry: RelayResult = { state: 'retry', error: 'x', attempts: 1, nextAttemptAt: 2 }

describe('relay results', () => {
  it('tells unfinished results from final ones', () => {
    expect(isUnfinished({ state: 'pending' })).toBe(true)
    expect(isUnfinished(retry)).toBe(true)
    expect(isUnfinished(ok)).toBe(false)
    expect(isUnfinished({ state: 'refused', message: 'invalid: x', at: 1 })).toBe(false)
    expect(isUnfinished({ state: 'superseded', at: 1 })).toBe(false)
  })

  it('keeps an entry open while any relay is unfinished or none is configured', () => {
    expect(isOpen({})).toBe(true)
    expect(isOpen({ a: ok, b: retry })).toBe(true)
    expect(isOpen({ a: ok, b: { state: 'superseded', at: 1 } })).toBe(false)
  })

  it('recognises the insufficient balance refusal', () => {
    expect(isInsufficientBalance('blocked: insufficient balance: need 5 TSEED, have 0')).toBe(true)
    expect(isInsufficientBalance('blocked: you are banned')).toBe(false)
  })
})
