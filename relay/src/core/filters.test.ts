import { describe, expect, it } from 'vitest'
import { newKey, signEvent } from '../../tests/fixtures'
import { FilterError, matchAnyFilter, matchFilter, parseFilter } from './filters'
import { DEFAULT_LIMITS } from './limits'

const { sk, pubkey } = newKey()
const ev = signEvent(sk, 21000, 1000, [
  ['i', 'a'.repeat(40)],
  ['p', 'b'.repeat(64), 'second'],
  ['t', 'x'],
  ['t', 'y'],
])

const f = (v: unknown) => parseFilter(v, DEFAULT_LIMITS)

describe('parseFilter', () => {
  it('reads every NIP-01 field', () => {
    const filter = f({
      ids: [ev.id],
      authors: [pubkey],
      kinds: [21000, 1],
      since: 10,
      until: 20,
      limit: 5,
      '#i': ['a'.repeat(40)],
    })
    expect(filter.ids).toEqual(new Set([ev.id]))
    expect(filter.authors).toEqual(new Set([pubkey]))
    expect(filter.kinds).toEqual(new Set([21000, 1]))
    expect([filter.since, filter.until, filter.limit]).toEqual([10, 20, 5])
    expect(filter.tags.get('i')).toEqual(new Set(['a'.repeat(40)]))
  })

  it('caps limit at the relay maximum', () => {
    expect(f({ limit: 1_000_000 }).limit).toBe(DEFAULT_LIMITS.maxLimit)
  })

  it.each([
    ['not an object', [], 'filter must be a JSON object'],
    ['short ids', { ids: ['abc'] }, 'ids must hold 64 lowercase hex chars'],
    [
      'uppercase authors',
      { authors: ['A'.repeat(64)] },
      'authors must hold 64 lowercase hex chars',
    ],
    ['kinds not an array', { kinds: 1 }, 'kinds must be an array'],
    ['fractional kind', { kinds: [1.5] }, 'kinds must hold integers from 0 to 65535'],
    ['string since', { since: '1' }, 'since must be a non-negative integer (unix seconds)'],
    ['negative until', { until: -1 }, 'until must be a non-negative integer (unix seconds)'],
    ['negative limit', { limit: -1 }, 'limit must be a non-negative integer'],
    ['number tag value', { '#i': [5] }, '#i must hold short strings'],
    ['multi-letter tag', { '#ab': ['x'] }, 'unsupported filter field "#ab"'],
    ['search', { search: 'x' }, 'unsupported filter field "search"'],
  ])('refuses %s', (_name, value, message) => {
    expect(() => f(value)).toThrow(new FilterError(message))
  })

  it('refuses lists longer than the limit', () => {
    const ids = Array.from({ length: 3 }, () => ev.id)
    expect(() => parseFilter({ ids }, { ...DEFAULT_LIMITS, maxFilterValues: 2 })).toThrow(
      'ids has 3 values, limit 2',
    )
  })
})

describe('matchFilter', () => {
  it('matches on each field and ANDs them', () => {
    expect(matchFilter(f({}), ev)).toBe(true)
    expect(matchFilter(f({ ids: [ev.id] }), ev)).toBe(true)
    expect(matchFilter(f({ ids: ['0'.repeat(64)] }), ev)).toBe(false)
    expect(matchFilter(f({ authors: [pubkey], kinds: [21000] }), ev)).toBe(true)
    expect(matchFilter(f({ authors: [pubkey], kinds: [1] }), ev)).toBe(false)
    expect(matchFilter(f({ since: 1000, until: 1000 }), ev)).toBe(true)
    expect(matchFilter(f({ since: 1001 }), ev)).toBe(false)
    expect(matchFilter(f({ until: 999 }), ev)).toBe(false)
  })

  it('looks at the first value of single-letter tags only', () => {
    expect(matchFilter(f({ '#i': ['a'.repeat(40), 'c'.repeat(40)] }), ev)).toBe(true)
    expect(matchFilter(f({ '#p': ['b'.repeat(64)] }), ev)).toBe(true)
    expect(matchFilter(f({ '#p': ['second'] }), ev)).toBe(false)
    // Any tag with that letter counts, not just the first one.
    expect(matchFilter(f({ '#t': ['y'] }), ev)).toBe(true)
    expect(matchFilter(f({ '#e': ['x'] }), ev)).toBe(false)
  })

  it('treats an empty list as matching nothing', () => {
    expect(matchFilter(f({ ids: [] }), ev)).toBe(false)
    expect(matchFilter(f({ '#i': [] }), ev)).toBe(false)
  })

  it('ORs the filters of one REQ', () => {
    expect(matchAnyFilter([f({ kinds: [1] }), f({ '#t': ['x'] })], ev)).toBe(true)
    expect(matchAnyFilter([f({ kinds: [1] }), f({ '#t': ['z'] })], ev)).toBe(false)
    expect(matchAnyFilter([], ev)).toBe(false)
  })
})
