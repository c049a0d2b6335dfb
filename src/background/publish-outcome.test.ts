import { describe, expect, it } from 'vitest'
import { classifyPublishFailure, okPrefix } from './publish-outcome'

class SendingOnClosedConnection extends Error {
  override name = 'SendingOnClosedConnection'
}

describe('classifyPublishFailure', () => {
  it.each<[string, unknown, ReturnType<typeof classifyPublishFailure>]>([
    [
      'a plain string (connection failure)',
      'connection failed',
      { kind: 'retry', error: 'connection failed' },
    ],
    ['an empty string', '', { kind: 'retry', error: 'connection failed' }],
    ['a timeout', new Error('publish timed out'), { kind: 'retry', error: 'publish timed out' }],
    [
      'a dropped connection',
      new Error('relay connection closed'),
      { kind: 'retry', error: 'relay connection closed' },
    ],
    [
      'a send on a closed socket',
      new SendingOnClosedConnection('x'),
      { kind: 'retry', error: 'connection closed' },
    ],
    [
      'rate-limited:',
      new Error('rate-limited: slow down'),
      { kind: 'retry', error: 'rate-limited: slow down' },
    ],
    ['error:', new Error('error: database busy'), { kind: 'retry', error: 'error: database busy' }],
    ['invalid:', new Error('invalid: bad tag'), { kind: 'refused', message: 'invalid: bad tag' }],
    [
      'blocked: insufficient balance',
      new Error('blocked: insufficient balance: need 5 TSEED, have 0'),
      { kind: 'refused', message: 'blocked: insufficient balance: need 5 TSEED, have 0' },
    ],
    [
      'mute:',
      new Error('mute: no one was listening'),
      { kind: 'refused', message: 'mute: no one was listening' },
    ],
    ['an unprefixed reason', new Error('go away'), { kind: 'refused', message: 'go away' }],
    ['an empty reason', new Error(''), { kind: 'refused', message: 'refused without a reason' }],
    ['duplicate:', new Error('duplicate: have it'), { kind: 'ok', message: 'duplicate: have it' }],
    ['something odd', { foo: 1 }, { kind: 'retry', error: 'connection failed' }],
  ])('%s', (_name, err, expected) => {
    expect(classifyPublishFailure(err)).toEqual(expected)
  })
})

describe('okPrefix', () => {
  it('reads the NIP-01 prefix', () => {
    expect(okPrefix('auth-required: please')).toBe('auth-required')
    expect(okPrefix('no prefix here')).toBeUndefined()
  })
})
