import { isIPv6 } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compactIpv4,
  compactIpv6,
  formatIpv6,
  parseIpv4,
  parseIpv6,
  readPeers4,
  readPeers6,
} from './compact-peers'

describe('compact peers', () => {
  it('encodes IPv4 as 4 address bytes and a big-endian port', () => {
    expect([...compactIpv4('192.168.1.20', 0x1ae1)!]).toEqual([192, 168, 1, 20, 0x1a, 0xe1])
    expect(readPeers4(compactIpv4('10.0.0.1', 6881)!)).toEqual([{ ip: '10.0.0.1', port: 6881 }])
  })

  it('encodes IPv6 as 16 address bytes and the port', () => {
    const c = compactIpv6('2001:db8::1', 443)!
    expect(c).toHaveLength(18)
    expect(readPeers6(c)).toEqual([{ ip: '2001:db8::1', port: 443 }])
    expect(formatIpv6(parseIpv6('::ffff:1.2.3.4')!)).toBe('::ffff:102:304')
  })

  it('refuses what is not an address literal or a port', () => {
    for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '', '1.2.3.4.5']) {
      expect(parseIpv4(bad)).toBeUndefined()
    }
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':', '1:2:3:4:5:6:7']) {
      expect(parseIpv6(bad)).toBeUndefined()
    }
    expect(compactIpv4('1.2.3.4', 0)).toBeUndefined()
    expect(compactIpv4('1.2.3.4', 65536)).toBeUndefined()
    expect(compactIpv6('1.2.3.4', 80)).toBeUndefined()
    expect(() => readPeers4(new Uint8Array(7))).toThrow(RangeError)
    expect(() => readPeers6(new Uint8Array(17))).toThrow(RangeError)
  })

  it('agrees with Node on which texts are IPv6, and round-trips every address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        expect(isIPv6(ip)).toBe(true)
        const bytes = parseIpv6(ip)
        expect(bytes).toBeDefined()
        expect(parseIpv6(formatIpv6(bytes!))).toEqual(bytes)
      }),
    )
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        if (parseIpv6(s) !== undefined) expect(isIPv6(s)).toBe(true)
      }),
    )
  })
})
