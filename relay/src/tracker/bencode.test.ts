import { describe, expect, it } from 'vitest'
import {
  decode,
  encodeBinaryKeyDict,
  encodeDict,
  encodeDictWithRaw,
  encodeFailure,
} from './bencode'

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1')

describe('tracker bencode', () => {
  it('writes a failure as the one-key dict clients read', () => {
    expect(text(encodeFailure('no'))).toBe('d14:failure reason2:noe')
  })

  it('counts string lengths in bytes and sorts text keys', () => {
    expect(text(encodeDict({ z: 1, a: 'é', m: Uint8Array.of(0xff, 0) }))).toBe(
      'd1:a2:\u00c3\u00a91:m2:\u00ff\u00001:zi1ee',
    )
  })

  it('sorts raw byte keys bytewise, keeps them as bytes and drops a repeated key', () => {
    const k1 = Uint8Array.of(0x80, 0x01)
    const k2 = Uint8Array.of(0x0c, 0xff)
    const k3 = Uint8Array.of(0x7f)
    const out = encodeBinaryKeyDict([
      { key: k1, value: 1 },
      { key: k2, value: 2 },
      { key: k3, value: 3 },
      { key: Uint8Array.of(0x0c, 0xff), value: 9 },
    ])
    expect(text(out)).toBe('d2:\u000c\u00ffi2e1:\u007fi3e2:\u0080\u0001i1ee')
  })

  it('orders keys 0x09 before 0x10, where the library would not', () => {
    const out = encodeBinaryKeyDict([
      { key: Uint8Array.of(0x10), value: 1 },
      { key: Uint8Array.of(0x09), value: 2 },
    ])
    expect(text(out)).toBe('d1:\u0009i2e1:\u0010i1ee')
  })

  it('splices an encoded value into a dict in key order', () => {
    const files = encodeBinaryKeyDict([{ key: Uint8Array.of(1), value: { complete: 0 } }])
    const out = encodeDictWithRaw({ flags: { min_request_interval: 5 } }, { files })
    expect(text(out)).toBe('d5:filesd1:\u0001d8:completei0eee5:flagsd20:min_request_intervali5eee')
    expect(decode(out)).toEqual({
      files: { '\u0001': { complete: 0 } },
      flags: { min_request_interval: 5 },
    })
  })
})
