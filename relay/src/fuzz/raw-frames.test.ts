import { describe, expect, it } from 'vitest'
import { encodeFrame } from './raw-frames'

describe('encodeFrame', () => {
  it('writes a masked text frame a WebSocket server can unmask', () => {
    const f = encodeFrame({ opcode: 1, payload: Buffer.from('hi') })
    expect(f[0]).toBe(0x81)
    expect(f[1]).toBe(0x80 | 2)
    const key = f.subarray(2, 6)
    const body = Buffer.from(f.subarray(6).map((b, i) => b ^ (key[i % 4] ?? 0)))
    expect(body.toString()).toBe('hi')
  })

  it('writes 16- and 64-bit lengths, lying ones, flags and unmasked frames as asked', () => {
    const mid = encodeFrame({ opcode: 2, payload: Buffer.alloc(300), mask: false })
    expect([mid[0], mid[1], mid.readUInt16BE(2)]).toEqual([0x82, 126, 300])
    const lie = encodeFrame({
      opcode: 1,
      payload: Buffer.alloc(1),
      declaredLength: 2n ** 40n,
      fin: false,
      rsv: 4,
      mask: false,
    })
    expect([lie[0], lie[1], lie.readBigUInt64BE(2)]).toEqual([0x41, 127, 2n ** 40n])
  })
})
