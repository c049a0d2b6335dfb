import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  decodeQueryBytes,
  isAnnounceUrl,
  MAX_ANNOUNCE_URL_LENGTH,
  parseAnnounceParams,
  parseAnnounceQuery,
  parseHttpAnnounce,
} from './bep3-http-announce'
import { fromTrackerAnnounce, parseAnnounceEvent, toEventTemplate } from './kind21000'
import { AnnounceParseError, bytesToHex, MAX_COUNTER } from './tracker-announce'

/** Chars BitTorrent clients leave unescaped (alongside letters and digits). */
const SAFE_PUNCT = "$-_.+!*'(),"

interface EscapeStyle {
  /** Send letters, digits and SAFE_PUNCT as themselves, as libtorrent does. */
  literalSafe: boolean
  upper: boolean
}

/** Percent-escapes bytes the way a client would, in the given style. */
function esc(bytes: Uint8Array, style: EscapeStyle = { literalSafe: true, upper: true }): string {
  let s = ''
  for (const b of bytes) {
    const ch = String.fromCharCode(b)
    if (style.literalSafe && (/[A-Za-z0-9]/.test(ch) || SAFE_PUNCT.includes(ch))) {
      s += ch
    } else {
      const hex = b.toString(16).padStart(2, '0')
      s += '%' + (style.upper ? hex.toUpperCase() : hex)
    }
  }
  return s
}

const PEER_ID = new TextEncoder().encode('-qB4390-0123456789ab')
const HASH = Uint8Array.from({ length: 20 }, (_, i) => 0xec - i * 7)

function query(over: Record<string, string | null> = {}): string {
  const fields: Record<string, string | null> = {
    info_hash: esc(HASH),
    peer_id: esc(PEER_ID),
    port: '6881',
    uploaded: '0',
    downloaded: '0',
    left: '1000',
    ...over,
  }
  return Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

function url(over: Record<string, string | null> = {}, base = 'http://t.example/announce'): string {
  return `${base}?${query(over)}`
}

function rejects(u: string, message: RegExp): void {
  expect(() => parseHttpAnnounce(u)).toThrow(AnnounceParseError)
  expect(() => parseHttpAnnounce(u)).toThrow(message)
}

describe('isAnnounceUrl', () => {
  it.each([
    ['http://t.example/announce', true],
    ['https://t.example:8443/announce?info_hash=x', true],
    ['http://t.example/announce.php?passkey=abc', true],
    ['https://t.example/0123456789abcdef/announce', true],
    ['https://t.example/a/0123456789abcdef/announce?x=1', true],
    ['http://t.example/announcements', true],
    ['http://t.example/scrape?info_hash=x', false],
    ['http://t.example/Announce', false],
    ['http://t.example/announce/', false],
    ['http://t.example/announce/stats', false],
    ['http://t.example/x/announce-notes.txt', true],
    ['http://t.example/?announce', false],
    ['http://t.example/#/announce', false],
    ['ws://t.example/announce', false],
    ['udp://t.example:6969/announce', false],
    ['/announce?info_hash=x', false],
    ['not a url', false],
  ])('%s → %s', (u, expected) => {
    expect(isAnnounceUrl(u)).toBe(expected)
  })

  it('refuses oversized URLs', () => {
    expect(isAnnounceUrl('http://t.example/announce?x=' + 'a'.repeat(5000))).toBe(false)
  })
})

describe('decodeQueryBytes', () => {
  const one = (q: string, name: string): number[] => [...(decodeQueryBytes(q).get(name)?.[0] ?? [])]

  it('keeps a literal + as 0x2B and decodes %2B to the same byte', () => {
    expect(one('a=+', 'a')).toEqual([0x2b])
    expect(one('a=%2B', 'a')).toEqual([0x2b])
    expect(one('a=%2b', 'a')).toEqual([0x2b])
    expect(one('a=%20', 'a')).toEqual([0x20])
  })

  it('decodes upper- and lowercase escapes alike', () => {
    expect(one('a=%aB%Ff%00%7e', 'a')).toEqual([0xab, 0xff, 0x00, 0x7e])
  })

  it('keeps the unescaped safe chars', () => {
    expect(one(`a=${SAFE_PUNCT}`, 'a')).toEqual(Array.from(SAFE_PUNCT, (c) => c.charCodeAt(0)))
  })

  it('splits on & and the first =, skipping empty segments', () => {
    const m = decodeQueryBytes('&a=1&&b&c=x=y&a=2&')
    expect([...m.keys()]).toEqual(['a', 'b', 'c'])
    expect(m.get('a')?.map((v) => [...v])).toEqual([[0x31], [0x32]])
    expect(m.get('b')?.map((v) => v.length)).toEqual([0])
    expect(one('c=x=y', 'c')).toEqual([0x78, 0x3d, 0x79])
  })

  it('decodes escaped parameter names', () => {
    expect(one('info%5Fhash=1', 'info_hash')).toEqual([0x31])
  })

  it.each([
    ['a=%G1', /malformed percent escape in a/],
    ['a=%4', /malformed percent escape in a/],
    ['a=%', /malformed percent escape in a/],
    ['a=%%41', /malformed percent escape in a/],
    ['%zz=1', /malformed percent escape in a parameter name/],
    ['a=é', /char code 233 in a is not printable ASCII/],
    ['a=\u20ac', /char code 8364/],
    ['a=x y', /char code 32/],
    ['a=\n', /char code 10/],
  ])('rejects %j', (q, message) => {
    expect(() => decodeQueryBytes(q)).toThrow(AnnounceParseError)
    expect(() => decodeQueryBytes(q)).toThrow(message)
  })

  it('does not echo odd parameter names into errors', () => {
    expect(() => decodeQueryBytes('%3Cscript%3E=%G1')).toThrow(
      'malformed percent escape in a parameter value',
    )
  })

  it('refuses oversized queries', () => {
    expect(() => decodeQueryBytes('a=' + 'b'.repeat(MAX_ANNOUNCE_URL_LENGTH))).toThrow(/longer/)
  })
})

describe('parseHttpAnnounce', () => {
  it('reads a typical announce', () => {
    const a = parseHttpAnnounce(
      url({ event: 'started', key: '4B1D2C3E', numwant: '200', compact: '1', no_peer_id: '1' }),
    )
    expect(a).toEqual({
      infoHash: bytesToHex(HASH),
      peerId: PEER_ID,
      uploaded: 0n,
      downloaded: 0n,
      left: 1000n,
      port: 6881,
      event: 'started',
      key: new TextEncoder().encode('4B1D2C3E'),
      numwant: 200,
    })
  })

  it('decodes every byte value 0x00-0xFF in info_hash, in every escaping style', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    const styles: EscapeStyle[] = [
      { literalSafe: true, upper: true },
      { literalSafe: true, upper: false },
      { literalSafe: false, upper: true },
      { literalSafe: false, upper: false },
    ]
    // 13 hashes of 20 bytes cover 0..255, the last wrapping round to 0.
    for (let start = 0; start < 256; start += 20) {
      const hash = Uint8Array.from({ length: 20 }, (_, i) => all[(start + i) % 256] ?? 0)
      for (const style of styles) {
        const a = parseHttpAnnounce(url({ info_hash: esc(hash, style) }))
        expect(a.infoHash).toBe(bytesToHex(hash))
        expect(a.infoHash).toBe(Buffer.from(hash).toString('hex'))
      }
    }
  })

  it('keeps a literal + in info_hash as 0x2B, never a space', () => {
    const hash = new Uint8Array(20).fill(0x2b)
    expect(parseHttpAnnounce(url({ info_hash: '+'.repeat(20) })).infoHash).toBe(bytesToHex(hash))
    expect(parseHttpAnnounce(url({ info_hash: '%2B'.repeat(20) })).infoHash).toBe('2b'.repeat(20))
    const mixed = '+%2b'.repeat(10)
    expect(parseHttpAnnounce(url({ info_hash: mixed })).infoHash).toBe('2b'.repeat(20))
  })

  it('reads binary peer_ids byte for byte', () => {
    const peer = Uint8Array.from({ length: 20 }, (_, i) => 0xff - i)
    expect(parseHttpAnnounce(url({ peer_id: esc(peer) })).peerId).toEqual(peer)
  })

  it('names the parameter when info_hash or peer_id has the wrong size', () => {
    rejects(url({ info_hash: esc(HASH.slice(1)) }), /^info_hash must be 20 bytes, got 19$/)
    rejects(url({ info_hash: esc(new Uint8Array(32)) }), /info_hash must be 20 bytes, got 32/)
    rejects(url({ info_hash: '' }), /info_hash must be 20 bytes, got 0/)
    rejects(url({ peer_id: 'abc' }), /peer_id must be 20 bytes, got 3/)
  })

  it('rejects missing required fields', () => {
    for (const name of ['info_hash', 'peer_id', 'uploaded', 'downloaded']) {
      rejects(url({ [name]: null }), new RegExp(`^missing ${name}$`))
    }
  })

  it('accepts a missing left as unknown', () => {
    expect(parseHttpAnnounce(url({ left: null })).left).toBeNull()
  })

  it('rejects duplicated info_hash, peer_id, counters and other known fields', () => {
    const base = url({ event: 'started', key: 'k', numwant: '5' })
    for (const dup of [
      `info_hash=${esc(HASH)}`,
      `info_hash=${esc(new Uint8Array(20))}`,
      `peer_id=${esc(PEER_ID)}`,
      'uploaded=0',
      'downloaded=5',
      'left=1000',
      'port=6882',
      'event=started',
      'key=ab',
      'numwant=5',
    ]) {
      const name = dup.slice(0, dup.indexOf('='))
      rejects(`${base}&${dup}`, new RegExp(`^duplicate ${name} parameter$`))
    }
  })

  it('ignores duplicated unknown parameters such as repeated ipv6', () => {
    const a = parseHttpAnnounce(
      `${url()}&ipv6=%3A%3A1&ipv6=%3A%3A2&supportcrypto=1&supportcrypto=1`,
    )
    expect(a.infoHash).toBe(bytesToHex(HASH))
  })

  it('accepts counters up to 2^64-1, above 2^53, exactly', () => {
    const a = parseHttpAnnounce(
      url({
        uploaded: '18446744073709551615',
        downloaded: '9007199254740993',
        left: '0',
      }),
    )
    expect(a.uploaded).toBe(MAX_COUNTER)
    expect(a.downloaded).toBe(9007199254740993n)
    expect(a.left).toBe(0n)
  })

  it('normalises leading zeros in counters', () => {
    const a = parseHttpAnnounce(
      url({ uploaded: '01', downloaded: '000', left: '0018446744073709551615' }),
    )
    expect(a.uploaded).toBe(1n)
    expect(a.downloaded).toBe(0n)
    expect(a.left).toBe(MAX_COUNTER)
  })

  it('accepts digits sent percent-escaped', () => {
    expect(parseHttpAnnounce(url({ uploaded: '%31%32' })).uploaded).toBe(12n)
  })

  it('rejects counters above 2^64-1', () => {
    rejects(url({ uploaded: '18446744073709551616' }), /^uploaded exceeds 2\^64-1$/)
    rejects(url({ left: '1' + '0'.repeat(40) }), /^left exceeds 2\^64-1$/)
  })

  it.each(['1e3', '-1', '+1', '%201', '1%20', '1.0', '', '0x1', '%EF%BC%91', 'NaN', 'Infinity'])(
    'rejects the counter value %j',
    (v) => {
      rejects(url({ downloaded: v }), /^downloaded must be a decimal integer$/)
      rejects(url({ left: v }), /^left must be a decimal integer$/)
    },
  )

  it('reads port 0 as absent and rejects bad ports', () => {
    expect(parseHttpAnnounce(url({ port: '0' })).port).toBeUndefined()
    expect(parseHttpAnnounce(url({ port: null })).port).toBeUndefined()
    expect(parseHttpAnnounce(url({ port: '65535' })).port).toBe(65535)
    expect(parseHttpAnnounce(url({ port: '06881' })).port).toBe(6881)
    rejects(url({ port: '65536' }), /^port must be at most 65535$/)
    rejects(url({ port: '99999999999999999999999' }), /^port must be at most 65535$/)
    rejects(url({ port: '-1' }), /^port must be a decimal integer$/)
    rejects(url({ port: 'http' }), /^port must be a decimal integer$/)
  })

  it('maps events, with paused and empty as periodic updates', () => {
    for (const e of ['started', 'completed', 'stopped'] as const) {
      expect(parseHttpAnnounce(url({ event: e })).event).toBe(e)
    }
    expect(parseHttpAnnounce(url({ event: 'paused' })).event).toBeUndefined()
    expect(parseHttpAnnounce(url({ event: '' })).event).toBeUndefined()
    expect(parseHttpAnnounce(url({ event: null })).event).toBeUndefined()
    for (const bad of ['Started', 'update', 'start', 'stopped%00']) {
      rejects(url({ event: bad }), /^event must be started, completed, stopped, paused or empty$/)
    }
  })

  it('keeps the key as raw bytes, up to 64', () => {
    expect(parseHttpAnnounce(url({ key: '%00%FF+a' })).key).toEqual(
      new Uint8Array([0x00, 0xff, 0x2b, 0x61]),
    )
    expect(parseHttpAnnounce(url({ key: '' })).key).toBeUndefined()
    expect(parseHttpAnnounce(url({ key: 'k'.repeat(64) })).key?.length).toBe(64)
    rejects(url({ key: 'k'.repeat(65) }), /^key must be at most 64 bytes, got 65$/)
  })

  it('reads numwant', () => {
    expect(parseHttpAnnounce(url({ numwant: '50' })).numwant).toBe(50)
    expect(parseHttpAnnounce(url({ numwant: null })).numwant).toBeUndefined()
    rejects(url({ numwant: '-1' }), /^numwant must be a decimal integer$/)
    rejects(url({ numwant: '4294967296' }), /^numwant must be at most 4294967295$/)
  })

  it('reads announces on passkey paths and ignores tracker auth params', () => {
    for (const base of [
      'https://t.example/announce.php',
      'https://t.example/0123456789abcdef0123456789abcdef/announce',
      'https://t.example/a/0123456789abcdef/announce',
    ]) {
      const a = parseHttpAnnounce(url({}, base))
      expect(a.infoHash).toBe(bytesToHex(HASH))
    }
    const withAuth = `https://t.example/announce?auth=SECRET+PASSKEY&${query()}`
    const a = parseHttpAnnounce(withAuth)
    expect(
      JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).not.toMatch(/SECRET|PASSKEY/)
  })

  it('ignores a fragment', () => {
    expect(parseHttpAnnounce(`${url()}#info_hash=x`).infoHash).toBe(bytesToHex(HASH))
  })

  it('rejects URLs without a query, non-http URLs and garbage', () => {
    rejects('http://t.example/announce', /^URL has no query$/)
    rejects('http://t.example/announce#?info_hash=x', /^URL has no query$/)
    rejects(`ws://t.example/announce?${query()}`, /^not an http\(s\) URL$/)
    rejects(`/announce?${query()}`, /^not a valid URL$/)
  })

  it('rejects non-ASCII that URL.search would have silently re-encoded', () => {
    rejects(`${url()}&x=é`, /char code 233/)
    rejects(url({ info_hash: 'é'.repeat(10) }), /char code 233 in info_hash/)
  })

  it('refuses URLs over the size limit before parsing', () => {
    const long = `${url()}&pad=${'a'.repeat(MAX_ANNOUNCE_URL_LENGTH)}`
    rejects(long, new RegExp(`^URL longer than ${MAX_ANNOUNCE_URL_LENGTH} chars$`))
  })
})

describe('parseAnnounceQuery', () => {
  it('reads an origin-form request target query', () => {
    expect(parseAnnounceQuery(query()).infoHash).toBe(bytesToHex(HASH))
  })
})

describe('parseAnnounceParams', () => {
  it('reads params a tracker decoded once, leaving its own params to it', () => {
    const params = decodeQueryBytes(`${query()}&auth=abc&compact=1`)
    expect(parseAnnounceParams(params)).toEqual(parseAnnounceQuery(query()))
    expect(params.get('auth')).toEqual([new TextEncoder().encode('abc')])
  })

  it('refuses a repeated counter in decoded params too', () => {
    const params = decodeQueryBytes(`${query()}&left=5`)
    expect(() => parseAnnounceParams(params)).toThrow(/^duplicate left parameter$/)
  })
})

describe('round trip to a kind 21000 event', () => {
  const salt = new Uint8Array(32).fill(0x5a)
  const counter = fc.bigInt({ min: 0n, max: MAX_COUNTER })
  const style = fc.record({ literalSafe: fc.boolean(), upper: fc.boolean() })

  it('keeps the info hash and counters from HTTP query to parsed event', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        counter,
        counter,
        counter,
        style,
        fc.constantFrom(undefined, 'started', 'completed', 'stopped'),
        (hash, peer, up, down, left, st, event) => {
          const u = url({
            info_hash: esc(hash, st),
            peer_id: esc(peer, st),
            uploaded: up.toString(),
            downloaded: down.toString(),
            left: left.toString(),
            event: event ?? null,
          })
          const tracker = parseHttpAnnounce(u)
          const ev = toEventTemplate(
            fromTrackerAnnounce(tracker, { sessionSalt: salt, relay: 'wss://relay.example' }),
            1_700_000_000,
          )
          const back = parseAnnounceEvent(JSON.parse(JSON.stringify(ev)) as typeof ev)
          expect(back.infoHash).toBe(Buffer.from(hash).toString('hex'))
          expect(back.uploaded).toBe(up)
          expect(back.downloaded).toBe(down)
          expect(back.left).toBe(left)
          expect(back.port).toBe(6881)
          expect(back.event).toBe(event)
          expect(back.relay).toBe('wss://relay.example')
          expect(back.session).toMatch(/^[0-9a-f]{32}$/)
        },
      ),
      { numRuns: 300 },
    )
  })
})
