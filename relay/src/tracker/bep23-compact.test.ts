import { describe, expect, it } from 'vitest'
import { decodeQueryBytes } from '../../../src/nostr/bep3-http-announce'
import { compactIpv4, readCompactIpv4, wantsCompact } from './bep23-compact'

describe('BEP 23 compact peers', () => {
  it('packs an IPv4 address and port big-endian in 6 bytes', () => {
    expect([...(compactIpv4('10.0.255.1', 6881) ?? [])]).toEqual([10, 0, 255, 1, 0x1a, 0xe1])
    expect(readCompactIpv4(Uint8Array.of(127, 0, 0, 1, 0xff, 0xff, 1, 2, 3, 4, 0, 80))).toEqual([
      '127.0.0.1:65535',
      '1.2.3.4:80',
    ])
  })

  it('refuses what is not an IPv4 literal or a port', () => {
    expect(compactIpv4('::1', 80)).toBeUndefined()
    expect(compactIpv4('example.org', 80)).toBeUndefined()
    expect(compactIpv4('1.2.3.4', 0)).toBeUndefined()
    expect(compactIpv4('1.2.3.4', 65536)).toBeUndefined()
    expect(() => readCompactIpv4(new Uint8Array(7))).toThrow(RangeError)
  })

  it('answers compact unless the client sends compact=0', () => {
    expect(wantsCompact(decodeQueryBytes('compact=0'))).toBe(false)
    expect(wantsCompact(decodeQueryBytes('compact=1'))).toBe(true)
    expect(wantsCompact(decodeQueryBytes(''))).toBe(true)
    expect(wantsCompact(decodeQueryBytes('compact=00'))).toBe(true)
  })
})
