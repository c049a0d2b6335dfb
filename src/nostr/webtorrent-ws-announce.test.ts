import { describe, expect, it } from 'vitest'
import {
  binaryStringToBytes,
  MAX_WS_FRAME_CHARS,
  parseWsAnnounce,
  parseWsAnnounceFrame,
} from './webtorrent-ws-announce'
import { fromTrackerAnnounce, parseAnnounceEvent, toEventTemplate } from './kind21000'
import { AnnounceParseError, bytesToHex } from './tracker-announce'

/** What bittorrent-tracker does: Buffer.from(hex, 'hex').toString('binary'). */
function bin(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes)
}

const HASH = Uint8Array.from({ length: 20 }, (_, i) => 0xf0 - i * 9)
const PEER = new TextEncoder().encode('-WW0208-abcdefghijkl')
const SDP = 'v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\na=candidate:1 1 udp 1 192.0.2.7 5000 typ host'

/** A client announce as WebTorrent sends it, after a trip through the wire. */
function wire(over: Record<string, unknown> = {}): unknown {
  const msg: Record<string, unknown> = {
    action: 'announce',
    info_hash: bin(HASH),
    peer_id: bin(PEER),
    uploaded: 0,
    downloaded: 0,
    left: 123456,
    event: 'started',
    numwant: 5,
    offers: [{ offer: { type: 'offer', sdp: SDP }, offer_id: bin(new Uint8Array(20).fill(7)) }],
    ...over,
  }
  return JSON.parse(JSON.stringify(msg))
}

function rejects(msg: unknown, message: RegExp): void {
  expect(() => parseWsAnnounce(msg)).toThrow(AnnounceParseError)
  expect(() => parseWsAnnounce(msg)).toThrow(message)
}

describe('binaryStringToBytes', () => {
  it('maps every char code 0-255 to its byte', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(binaryStringToBytes(bin(all))).toEqual(all)
  })

  it('throws on chars above 255', () => {
    expect(() => binaryStringToBytes('ab\u0100')).toThrow(AnnounceParseError)
    expect(() => binaryStringToBytes('€')).toThrow(/char code 8364 at 0 is not a byte/)
  })
})

describe('parseWsAnnounce', () => {
  it('reads a WebTorrent announce and never the offers', () => {
    const a = parseWsAnnounce(wire())
    expect(a).toEqual({
      infoHash: bytesToHex(HASH),
      peerId: PEER,
      uploaded: 0n,
      downloaded: 0n,
      left: 123456n,
      event: 'started',
      numwant: 5,
    })
    const dump = JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
    expect(dump).not.toMatch(/sdp|192\.0\.2\.7|offer/)
  })

  it('decodes every byte value in info_hash after a JSON round trip', () => {
    for (let start = 0; start < 256; start += 20) {
      const hash = Uint8Array.from({ length: 20 }, (_, i) => (start + i) % 256)
      const a = parseWsAnnounce(wire({ info_hash: bin(hash), peer_id: bin(hash) }))
      expect(a?.infoHash).toBe(Buffer.from(hash).toString('hex'))
      expect(a?.peerId).toEqual(hash)
    }
  })

  it('reads left: null (no metadata yet) as unknown, and a missing left too', () => {
    expect(parseWsAnnounce(wire({ left: null }))?.left).toBeNull()
    expect(parseWsAnnounce(wire({ left: Number.NaN }))?.left).toBeNull()
    expect(parseWsAnnounce(wire({ left: undefined }))?.left).toBeNull()
    expect(parseWsAnnounce(wire({ left: 0 }))?.left).toBe(0n)
  })

  it('reads periodic updates and the other events', () => {
    expect(parseWsAnnounce(wire({ event: undefined }))?.event).toBeUndefined()
    expect(parseWsAnnounce(wire({ event: '' }))?.event).toBeUndefined()
    expect(parseWsAnnounce(wire({ event: 'paused' }))?.event).toBeUndefined()
    for (const e of ['completed', 'stopped'] as const) {
      expect(parseWsAnnounce(wire({ event: e, offers: undefined }))?.event).toBe(e)
    }
  })

  it('accepts counters up to 2^53-1', () => {
    const a = parseWsAnnounce(wire({ uploaded: Number.MAX_SAFE_INTEGER, downloaded: 1 }))
    expect(a?.uploaded).toBe(9007199254740991n)
  })

  it.each([
    ['a scrape', { action: 'scrape', info_hash: bin(HASH) }],
    ['a scrape of several hashes', { action: 'scrape', info_hash: [bin(HASH), bin(HASH)] }],
    [
      'a tracker reply',
      { action: 'announce', info_hash: bin(HASH), complete: 3, incomplete: 1, interval: 120 },
    ],
    [
      'a relayed offer',
      {
        action: 'announce',
        offer: { type: 'offer', sdp: SDP },
        offer_id: bin(HASH),
        peer_id: bin(PEER),
        info_hash: bin(HASH),
      },
    ],
    [
      'an answer',
      {
        action: 'announce',
        info_hash: bin(HASH),
        peer_id: bin(PEER),
        to_peer_id: bin(PEER),
        answer: { type: 'answer', sdp: SDP },
        offer_id: bin(HASH),
      },
    ],
    ['an answer that also carries counters', wire({ answer: { type: 'answer', sdp: SDP } })],
    ['a message to a peer that also carries counters', wire({ to_peer_id: bin(PEER) })],
    ['a failure', { 'failure reason': 'invalid info_hash' }],
    ['another action', { ...(wire() as object), action: 'Announce' }],
    ['no action', { ...(wire() as object), action: undefined }],
    ['null', null],
    ['a string', '{"action":"announce"}'],
    ['a number', 42],
    ['an array', [wire()]],
  ])('returns null for %s', (_name, msg) => {
    expect(parseWsAnnounce(msg)).toBeNull()
  })

  it('ignores inherited properties', () => {
    expect(parseWsAnnounce(Object.create(wire() as object) as unknown)).toBeNull()
  })

  it('reads each field only once', () => {
    const reads = new Map<PropertyKey, number>()
    const msg = new Proxy(wire() as object, {
      get(target, key, receiver) {
        reads.set(key, (reads.get(key) ?? 0) + 1)
        return Reflect.get(target, key, receiver) as unknown
      },
    })
    parseWsAnnounce(msg)
    for (const [key, n] of reads) expect([key, n]).toEqual([key, 1])
    expect(reads.has('offers')).toBe(false)
  })

  it('rejects bad info_hash and peer_id', () => {
    rejects(wire({ info_hash: undefined }), /^missing info_hash$/)
    rejects(wire({ peer_id: undefined }), /^missing peer_id$/)
    rejects(wire({ info_hash: bin(HASH).slice(1) }), /^info_hash must be 20 chars, got 19$/)
    rejects(wire({ info_hash: bytesToHex(HASH) }), /^info_hash must be 20 chars, got 40$/)
    rejects(wire({ info_hash: [bin(HASH)] }), /^info_hash must be a string$/)
    rejects(wire({ info_hash: 7 }), /^info_hash must be a string$/)
    rejects(wire({ peer_id: '€'.repeat(20) }), /^peer_id must be a binary string/)
  })

  it.each([
    [1.5, /must be an integer below 2\^53/],
    [-1, /must not be negative/],
    [Number.NaN, /must be an integer below 2\^53/],
    [Number.POSITIVE_INFINITY, /must be an integer below 2\^53/],
    [2 ** 53, /must be an integer below 2\^53/],
    ['5', /must be a number/],
    [5n, /must be a number/],
    [true, /must be a number/],
  ])('rejects the counter %s', (v, message) => {
    // Passed without a JSON trip, so NaN and Infinity reach the parser as numbers.
    const msg = { ...(wire() as object), uploaded: v }
    rejects(msg, new RegExp(`^uploaded ${message.source}`))
    rejects({ ...(wire() as object), left: v }, new RegExp(`^left ${message.source}`))
  })

  it('rejects announces with only some counters', () => {
    rejects(wire({ downloaded: undefined }), /^missing downloaded$/)
    rejects(wire({ uploaded: undefined }), /^missing uploaded$/)
    rejects(wire({ uploaded: undefined, downloaded: undefined }), /^missing uploaded$/)
    rejects(wire({ uploaded: null }), /^uploaded must be a number$/)
  })

  it('rejects bad events and numwant', () => {
    for (const bad of ['Started', 'update', 1, null, ['started']]) {
      rejects(wire({ event: bad }), /^event must be started, completed, stopped, paused or empty$/)
    }
    rejects(wire({ numwant: -1 }), /^numwant must not be negative$/)
    rejects(wire({ numwant: 2 ** 32 }), /^numwant must be at most 4294967295$/)
    expect(parseWsAnnounce(wire({ numwant: undefined }))?.numwant).toBeUndefined()
  })

  it('round-trips to a kind 21000 event', () => {
    const t = parseWsAnnounce(wire({ uploaded: 2 ** 40, downloaded: 3, left: 4, event: undefined }))
    expect(t).not.toBeNull()
    if (t === null) return
    const ev = toEventTemplate(fromTrackerAnnounce(t, { sessionSalt: new Uint8Array(32) }), 1)
    const back = parseAnnounceEvent(JSON.parse(JSON.stringify(ev)) as typeof ev)
    expect(back).toMatchObject({
      infoHash: bytesToHex(HASH),
      uploaded: 2n ** 40n,
      downloaded: 3n,
      left: 4n,
    })
    expect(back.port).toBeUndefined()
    expect(JSON.stringify(ev)).not.toContain('abcdefghijkl')
  })
})

describe('parseWsAnnounceFrame', () => {
  it('parses a text frame', () => {
    expect(parseWsAnnounceFrame(JSON.stringify(wire()))?.infoHash).toBe(bytesToHex(HASH))
  })

  it('returns null for binary, non-JSON and oversized frames', () => {
    expect(parseWsAnnounceFrame(new ArrayBuffer(8))).toBeNull()
    expect(parseWsAnnounceFrame(new Uint8Array(8))).toBeNull()
    expect(parseWsAnnounceFrame('{"action":"announce"')).toBeNull()
    expect(parseWsAnnounceFrame('hello')).toBeNull()
    const huge = JSON.stringify(wire({ pad: 'x'.repeat(MAX_WS_FRAME_CHARS) }))
    expect(parseWsAnnounceFrame(huge)).toBeNull()
  })

  it('still throws for a malformed announce', () => {
    expect(() => parseWsAnnounceFrame(JSON.stringify(wire({ uploaded: -5 })))).toThrow(
      AnnounceParseError,
    )
  })
})
