import { describe, expect, it } from 'vitest'
import { newKey, signEvent } from '../../tests/fixtures'
import { parseFrame } from './messages'

const MAX = 1024

describe('parseFrame', () => {
  it('reads EVENT, REQ and CLOSE', () => {
    expect(parseFrame('["EVENT",{"id":"x"}]', MAX, 64)).toEqual({
      kind: 'message',
      message: { type: 'EVENT', event: { id: 'x' } },
    })
    expect(parseFrame('["REQ","s",{"kinds":[1]},{}]', MAX, 64)).toEqual({
      kind: 'message',
      message: { type: 'REQ', subId: 's', filters: [{ kinds: [1] }, {}] },
    })
    expect(parseFrame('["CLOSE","s"]', MAX, 64)).toEqual({
      kind: 'message',
      message: { type: 'CLOSE', subId: 's' },
    })
  })

  it.each([
    ['{"a":', 'invalid: message is not valid JSON'],
    ['{"a":1}', 'invalid: message must be a JSON array that starts with a command name'],
    ['[1,2]', 'invalid: message must be a JSON array that starts with a command name'],
    ['["EVENT"]', 'invalid: EVENT takes exactly one event'],
    ['["EVENT",{},{}]', 'invalid: EVENT takes exactly one event'],
    ['["REQ","s"]', 'invalid: REQ needs at least one filter'],
    ['["REQ",5,{}]', 'invalid: subscription id must be a string of 1 to 64 chars'],
    ['["REQ","",{}]', 'invalid: subscription id must be a string of 1 to 64 chars'],
    [
      `["REQ","${'s'.repeat(65)}",{}]`,
      'invalid: subscription id must be a string of 1 to 64 chars',
    ],
    ['["CLOSE"]', 'invalid: subscription id must be a string of 1 to 64 chars'],
    ['["CLOSE","s","t"]', 'invalid: CLOSE takes exactly one subscription id'],
    ['["AUTH","x"]', 'invalid: unknown command "AUTH"'],
  ])('answers %s with a NOTICE', (raw, message) => {
    expect(parseFrame(raw, MAX, 64)).toEqual({ kind: 'notice', message })
  })

  it('truncates an echoed unknown command', () => {
    const r = parseFrame(`["${'X'.repeat(500)}"]`, MAX, 64)
    expect(r.kind).toBe('notice')
    if (r.kind === 'notice') expect(r.message.length).toBeLessThan(80)
  })

  it('counts the limit in UTF-8 bytes, not chars', () => {
    // 400 three-byte chars: 400 chars but 1200 bytes.
    const raw = `["NOTICE?","${'€'.repeat(400)}"]`
    const r = parseFrame(raw, MAX, 64)
    expect(r).toEqual({
      kind: 'notice',
      message: expect.stringMatching(
        /^invalid: message too large: 1\d{3} bytes, limit 1024$/,
      ) as unknown,
    })
  })

  it('answers an oversized EVENT by its id when the id is readable', () => {
    const ev = signEvent(newKey().sk, 23194, 1, [], 'x'.repeat(2000))
    expect(parseFrame(JSON.stringify(['EVENT', ev]), MAX, 64)).toEqual({
      kind: 'reject-event',
      id: ev.id,
      reason: expect.stringMatching(/^invalid: event too large: \d+ bytes, limit 1024$/) as unknown,
    })
  })

  it('does not parse frames far beyond the limit', () => {
    const ev = signEvent(newKey().sk, 23194, 1, [], 'x'.repeat(5000))
    const r = parseFrame(JSON.stringify(['EVENT', ev]), MAX, 64)
    expect(r.kind).toBe('notice')
  })
})
