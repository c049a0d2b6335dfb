import bencode from 'bencode'
import { describe, expect, it } from 'vitest'
import {
  dataUrl,
  encodeAnnounceAnswer,
  encodeFailure,
  mergeAnnounceAnswers,
  readAnnounceAnswer,
} from './bep3-answer'

const text = (u: Uint8Array): string => Buffer.from(u).toString('latin1')

describe('BEP 3 announce answers', () => {
  it('writes interval, counts, compact peers and peers6 in key order', () => {
    const body = encodeAnnounceAnswer({
      interval: 60,
      complete: 2,
      incomplete: 1,
      peers: [
        { ip: '10.0.0.1', port: 6881 },
        { ip: '2001:db8::1', port: 6882 },
        { ip: 'not-an-address', port: 1 },
      ],
    })
    expect(text(body)).toBe(
      'd8:completei2e10:incompletei1e8:intervali60e5:peers6:\x0a\x00\x00\x01\x1a\xe1' +
        '6:peers618:\x20\x01\x0d\xb8' +
        '\x00'.repeat(11) +
        '\x01\x1a\xe2e',
    )
    const read = readAnnounceAnswer(body)!
    expect(read.peers).toEqual([
      { ip: '10.0.0.1', port: 6881 },
      { ip: '2001:db8::1', port: 6882 },
    ])
  })

  it('leaves peers6 out when there is no IPv6 peer', () => {
    const body = encodeAnnounceAnswer({ interval: 30, complete: 0, incomplete: 0, peers: [] })
    expect(text(body)).toBe('d8:completei0e10:incompletei0e8:intervali30e5:peers0:e')
  })

  it('writes a failure reason', () => {
    expect(text(encodeFailure('relay down'))).toBe('d14:failure reason10:relay downe')
    expect(readAnnounceAnswer(encodeFailure('x'))?.failure).toBe('x')
  })

  it('reads dictionary-form peers and refuses what is not a readable answer', () => {
    const dict = bencode.encode({
      interval: 1800,
      peers: [{ ip: '10.1.1.1', port: 7000, 'peer id': 'x'.repeat(20) }],
    })
    expect(readAnnounceAnswer(dict)?.peers).toEqual([{ ip: '10.1.1.1', port: 7000 }])
    for (const bad of ['', 'garbage', 'li1ee', 'd5:peers5:abcdee', '4:spam', 'd5:peersi3ee']) {
      expect(readAnnounceAnswer(new TextEncoder().encode(bad))).toBeUndefined()
    }
  })

  it('merges a tracker answer with extra peers, once each, keeping the tracker keys', () => {
    const own = readAnnounceAnswer(
      bencode.encode({
        interval: 1800,
        'min interval': 900,
        complete: 5,
        incomplete: 1,
        'tracker id': 'abc',
        peers: Uint8Array.of(10, 0, 0, 1, 0x1a, 0xe1),
      }),
    )!
    const merged = mergeAnnounceAnswers(own, {
      interval: 60,
      complete: 1,
      incomplete: 4,
      peers: [
        { ip: '10.0.0.1', port: 6881 },
        { ip: '10.0.0.2', port: 6881 },
        { ip: '::1', port: 9 },
      ],
    })
    const out = bencode.decode(merged) as Record<string, unknown>
    expect(out.interval).toBe(1800)
    expect(out['min interval']).toBe(900)
    expect(text(out['tracker id'] as Uint8Array)).toBe('abc')
    expect(out.complete).toBe(5)
    expect(out.incomplete).toBe(4)
    expect(readAnnounceAnswer(merged)!.peers).toEqual([
      { ip: '10.0.0.1', port: 6881 },
      { ip: '10.0.0.2', port: 6881 },
      { ip: '::1', port: 9 },
    ])
  })

  it('puts bytes in a base64 data URL', () => {
    const url = dataUrl(Uint8Array.of(0, 255, 100))
    expect(url).toBe('data:text/plain;base64,AP9k')
    expect([...Buffer.from(url.split(',')[1]!, 'base64')]).toEqual([0, 255, 100])
  })
})
