import { describe, expect, it } from 'vitest'
import { objectParam, RouteParamsError, stringParam, wholeParam } from './route-params'

describe('route parameters', () => {
  it('takes one object, strings of at most 1,000 characters and whole positive amounts', () => {
    expect(objectParam({ a: 1 })).toEqual({ a: 1 })
    expect(stringParam({ url: 'ws://a' }, 'url')).toBe('ws://a')
    expect(wholeParam({ amount: ' 42 ' }, 'amount')).toBe(42n)
    expect(wholeParam({ amount: '999999999999999' }, 'amount')).toBe(999_999_999_999_999n)
  })

  it.each<[unknown, () => unknown, string]>([
    [null, () => objectParam(null), 'parameters missing'],
    ['x', () => objectParam('x'), 'parameters missing'],
    [{}, () => stringParam({}, 'url'), 'url must be a string'],
    [{}, () => stringParam({ url: 'x'.repeat(1_001) }, 'url'), 'url is too long'],
    [{}, () => wholeParam({ amount: '0' }, 'amount'), 'at least 1'],
    [{}, () => wholeParam({ amount: '1.5' }, 'amount'), 'whole number'],
    [{}, () => wholeParam({ amount: '-3' }, 'amount'), 'whole number'],
    [{}, () => wholeParam({ amount: '1000000000000000' }, 'amount'), 'whole number'],
  ])('refuses %j with a clear message', (_input, call, message) => {
    expect(call).toThrow(RouteParamsError)
    expect(call).toThrow(message)
  })
})
