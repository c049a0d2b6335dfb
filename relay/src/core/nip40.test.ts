import { describe, expect, it } from 'vitest'
import { readExpiration } from './nip40'

describe('readExpiration', () => {
  it('reads unix seconds from the expiration tag', () => {
    expect(readExpiration({ tags: [['expiration', '1700000000']] })).toBe(1_700_000_000)
    expect(readExpiration({ tags: [['t', 'x']] })).toBeUndefined()
  })

  it.each([
    [['expiration']],
    [['expiration', '-5']],
    [['expiration', '1e9']],
    [['expiration', '']],
  ])('reports a malformed tag %j', (tag) => {
    expect(readExpiration({ tags: [tag] })).toEqual(
      new Error('expiration tag must hold unix seconds'),
    )
  })
})
