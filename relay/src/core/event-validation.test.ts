import { describe, expect, it } from 'vitest'
import { newKey, signEvent } from '../../tests/fixtures'
import { checkEventShape, computeEventId, readEventId } from './event-validation'
import { DEFAULT_LIMITS } from './limits'

const { sk } = newKey()
const good = signEvent(sk, 23194, 1_700_000_000, [['p', 'f'.repeat(64)]], 'hello')

function reason(value: unknown, limits = DEFAULT_LIMITS): string {
  const r = checkEventShape(value, limits)
  if (r.ok) throw new Error('expected a refusal')
  return r.reason
}

describe('readEventId', () => {
  it('reads a well-formed id and nothing else', () => {
    expect(readEventId(good)).toBe(good.id)
    expect(readEventId({ id: good.id.toUpperCase() })).toBeUndefined()
    expect(readEventId({ id: 5 })).toBeUndefined()
    expect(readEventId('x')).toBeUndefined()
    expect(readEventId(null)).toBeUndefined()
  })
})

describe('checkEventShape', () => {
  it('returns a copy holding only the NIP-01 fields', () => {
    const r = checkEventShape({ ...good, extra: 'dropped' }, DEFAULT_LIMITS)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.event).toEqual(good)
    expect(r.event).not.toBe(good)
    expect(r.event.tags[0]).not.toBe(good.tags[0])
    expect(Object.keys(r.event).sort()).toEqual(
      ['content', 'created_at', 'id', 'kind', 'pubkey', 'sig', 'tags'].sort(),
    )
  })

  it('names the field that is wrong', () => {
    expect(reason([])).toBe('event must be a JSON object')
    expect(reason({ ...good, pubkey: 'abc' })).toMatch(/^pubkey/)
    expect(reason({ ...good, sig: good.sig.slice(2) })).toMatch(/^sig/)
    expect(reason({ ...good, created_at: '1700000000' })).toMatch(/^created_at/)
    expect(reason({ ...good, created_at: 1.5 })).toMatch(/^created_at/)
    expect(reason({ ...good, kind: 70000 })).toMatch(/^kind/)
    expect(reason({ ...good, content: 7 })).toBe('content must be a string')
    expect(reason({ ...good, tags: {} })).toBe('tags must be an array')
  })

  it('refuses tag values that are not strings, saying which tag', () => {
    expect(reason({ ...good, tags: [['port', 6881]] })).toBe(
      'tag 0 holds a number; tag values must be strings',
    )
    expect(
      reason({
        ...good,
        tags: [
          ['a', 'b'],
          ['x', null],
        ],
      }),
    ).toBe('tag 1 holds a null; tag values must be strings')
    expect(reason({ ...good, tags: [[]] })).toMatch(/tag 0 must be a non-empty array/)
    expect(reason({ ...good, tags: ['p'] })).toMatch(/tag 0 must be a non-empty array/)
  })

  it('enforces the tag count and content length limits', () => {
    const limits = { ...DEFAULT_LIMITS, maxEventTags: 2, maxContentLength: 5 }
    expect(reason({ ...good, tags: [['a'], ['b'], ['c']] }, limits)).toBe(
      'too many tags: 3, limit 2',
    )
    expect(reason({ ...good, content: 'hello!' }, limits)).toBe(
      'content too long: 6 chars, limit 5',
    )
    expect(checkEventShape({ ...good, tags: [['a'], ['b']] }, limits).ok).toBe(true)
  })
})

describe('computeEventId', () => {
  it('matches the id nostr-tools signed', () => {
    expect(computeEventId(good)).toBe(good.id)
  })

  it('changes with any signed field', () => {
    expect(computeEventId({ ...good, content: 'hellp' })).not.toBe(good.id)
    expect(computeEventId({ ...good, tags: [] })).not.toBe(good.id)
    expect(computeEventId({ ...good, created_at: good.created_at + 1 })).not.toBe(good.id)
  })
})
