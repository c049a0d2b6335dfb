import { describe, expect, it } from 'vitest'
import { decode, encodeDict, encodeFailure } from './bencode'

const text = (u: Uint8Array): string => Buffer.from(u).toString('latin1')

describe('bencode for tracker answers', () => {
  it('encodes dicts with sorted keys, byte strings, integers and lists, as plain bytes', () => {
    const out = encodeDict({ z: 1, a: Uint8Array.of(0, 255), m: ['x', 2] })
    expect(out).toBeInstanceOf(Uint8Array)
    expect(text(out)).toBe('d1:a2:\x00\xff1:ml1:xi2ee1:zi1ee')
    expect(text(encodeFailure('no'))).toBe('d14:failure reason2:noe')
  })

  it('decodes byte strings as bytes and refuses malformed input', () => {
    const back = decode(encodeDict({ peers: Uint8Array.of(1, 2, 3) })) as { peers: Uint8Array }
    expect([...back.peers]).toEqual([1, 2, 3])
    expect(() => decode(new TextEncoder().encode('d5:peers'))).toThrow()
  })
})
