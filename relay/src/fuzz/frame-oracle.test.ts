import { describe, expect, it } from 'vitest'
import { expectAnswer, prefixOf } from './frame-oracle'

const limits = { maxMessageBytes: 100, maxSubIdLength: 8, closeFactor: 4 }
const ID = 'a'.repeat(64)
const expect1 = (text: string, forged = false) => expectAnswer(text, 'text', limits, forged)

describe('expectAnswer', () => {
  it('expects a NOTICE for bad JSON, non-arrays, unknown verbs and bad arities', () => {
    for (const t of [
      '{',
      '{}',
      '[1]',
      '["NOPE"]',
      '["EVENT"]',
      '["EVENT",{},1]',
      '["CLOSE"]',
      '["REQ","s"]',
    ]) {
      expect(expect1(t), t).toEqual({ kind: 'notice', prefixes: ['invalid:', 'rate-limited:'] })
    }
  })

  it('expects an OK for an EVENT with a readable id, never an acceptance when forged', () => {
    expect(expect1(`["EVENT",{"id":"${ID}"}]`)).toMatchObject({
      kind: 'ok',
      id: ID,
      mayAccept: true,
    })
    expect(expect1(`["EVENT",{"id":"${ID}"}]`, true)).toMatchObject({
      kind: 'ok',
      mayAccept: false,
    })
    expect(expect1(`["EVENT",{"id":"${ID.toUpperCase()}"}]`).kind).toBe('notice')
    expect(expect1(`["EVENT",{"id":"x","id":"${ID}"}]`)).toMatchObject({ kind: 'ok', id: ID })
  })

  it('expects CLOSED or EOSE for a REQ with a good subscription id, nothing for a CLOSE', () => {
    expect(expect1('["REQ","s1",{}]')).toMatchObject({ kind: 'req', subId: 's1' })
    expect(expect1('["REQ","123456789",{}]').kind).toBe('notice')
    expect(expect1('["REQ","",{}]').kind).toBe('notice')
    expect(expect1('["CLOSE","s1"]')).toEqual({ kind: 'none' })
    expect(expect1('["CLOSE",1]').kind).toBe('notice')
  })

  it('follows the documented answers to oversized frames, binary frames and bad UTF-8', () => {
    const big = 'x'.repeat(150)
    expect(expect1(`["EVENT",{"id":"${ID}","content":"${big}"}]`)).toMatchObject({
      kind: 'ok',
      id: ID,
      mayAccept: false,
      prefixes: ['invalid:', 'rate-limited:'],
    })
    expect(expect1(`["REQ","s",{"#i":["${big}"]}]`).kind).toBe('notice')
    expect(expect1(`["REQ","s",{"#i":["${'x'.repeat(400)}"]}]`)).toEqual({
      kind: 'close',
      codes: [1009],
    })
    expect(expectAnswer('["REQ","s",{}]', 'binary', limits, false).kind).toBe('notice')
    expect(expectAnswer('', 'bad-utf8', limits, false)).toEqual({ kind: 'close', codes: [1007] })
    expect(expectAnswer('["CLOSE","s"]', 'fragmented', limits, false)).toEqual({ kind: 'none' })
  })
})

describe('prefixOf', () => {
  it('reads the machine-readable prefix', () => {
    expect(prefixOf('invalid: bad')).toBe('invalid:')
    expect(prefixOf('rate-limited: slow down')).toBe('rate-limited:')
    expect(prefixOf('')).toBe('')
    expect(prefixOf('no prefix here')).toBe('')
  })
})
