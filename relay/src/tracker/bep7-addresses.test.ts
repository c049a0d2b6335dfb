import { isIPv6 } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compactIpv6,
  formatIpv6,
  listedAddress,
  normalizeAddress,
  parseIpv6,
  readCompactIpv6,
} from './bep7-addresses'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('BEP 7 addresses', () => {
  it('canonicalises socket addresses; IPv4-mapped IPv6 is IPv4', () => {
    expect(normalizeAddress('::ffff:192.0.2.7')).toEqual({ family: 4, ip: '192.0.2.7' })
    expect(normalizeAddress('[2001:DB8:0:0::1]')).toEqual({ family: 6, ip: '2001:db8::1' })
    expect(normalizeAddress('fe80::1%eth0')).toEqual({ family: 6, ip: 'fe80::1' })
    expect(normalizeAddress('198.51.100.2')).toEqual({ family: 4, ip: '198.51.100.2' })
    expect(normalizeAddress('tracker.example')).toBeUndefined()
    expect(normalizeAddress('unknown')).toBeUndefined()
  })

  it('lists the observed address and ignores ip= unless the operator allows it', () => {
    expect(listedAddress('203.0.113.9', bytes('198.51.100.1'), false)).toEqual({
      address: { family: 4, ip: '203.0.113.9' },
      ignoredIp: true,
    })
    expect(listedAddress('203.0.113.9', bytes('2001:db8::5'), true)).toEqual({
      address: { family: 6, ip: '2001:db8::5' },
      ignoredIp: false,
    })
    // A host name is never listed, even where ip= is allowed.
    expect(listedAddress('203.0.113.9', bytes('victim.example'), true)).toEqual({
      address: { family: 4, ip: '203.0.113.9' },
      ignoredIp: true,
    })
    expect(listedAddress('203.0.113.9', undefined, false).ignoredIp).toBe(false)
  })

  it('packs peers6 entries in 18 bytes and reads them back', () => {
    const e = compactIpv6('2001:db8::1', 6881)
    expect(e?.length).toBe(18)
    expect(e?.[0]).toBe(0x20)
    expect(e?.[15]).toBe(1)
    expect(readCompactIpv6(e ?? new Uint8Array())).toEqual(['[2001:db8::1]:6881'])
    expect(compactIpv6('1.2.3.4', 1)).toBeUndefined()
    expect(compactIpv6('::1', 0)).toBeUndefined()
  })

  it('parses the text forms of IPv6 into the right bytes', () => {
    expect([...(parseIpv6('::') ?? [])]).toEqual(new Array(16).fill(0))
    expect([...(parseIpv6('::1.2.3.4') ?? [])].slice(12)).toEqual([1, 2, 3, 4])
    expect([...(parseIpv6('1:2:3:4:5:6:7.8.9.10') ?? [])].slice(10)).toEqual([0, 6, 7, 8, 9, 10])
    expect([...(parseIpv6('1::') ?? [])].slice(0, 3)).toEqual([0, 1, 0])
    expect(parseIpv6('1:2:3:4:5:6:7:8:9')).toBeUndefined()
    expect(parseIpv6('1.2.3.4')).toBeUndefined()
  })

  it('round-trips any 16 bytes through RFC 5952 text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        const t = formatIpv6(b)
        expect(isIPv6(t)).toBe(true)
        expect([...(parseIpv6(t) ?? [])]).toEqual([...b])
      }),
    )
  })
})
