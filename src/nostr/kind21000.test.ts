import { describe, expect, it } from 'vitest'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import type { EventTemplate } from 'nostr-tools/core'
import {
  AnnounceEventError,
  fromTrackerAnnounce,
  parseAnnounceEvent,
  sessionTag,
  SESSION_HEX_LENGTH,
  toEventTemplate,
  type Kind21000Announce,
} from './kind21000'
import { TORRENT_ANNOUNCE } from './kinds'
import { bytesToHex, MAX_COUNTER, type TrackerAnnounce } from './tracker-announce'

const HASH = '0123456789abcdef0123456789abcdef01234567'
const SESSION = 'a'.repeat(SESSION_HEX_LENGTH)
const NOW = 1_700_000_000

function full(): Kind21000Announce {
  return {
    infoHash: HASH,
    uploaded: 1_048_576n,
    downloaded: 0n,
    left: 5n,
    port: 6881,
    event: 'started',
    session: SESSION,
    relay: 'wss://relay.example/',
    expiration: NOW + 60,
  }
}

/** Minimal valid tags, to be edited by each negative case. */
function baseTags(): string[][] {
  return [
    ['i', HASH],
    ['uploaded', '10'],
    ['downloaded', '20'],
    ['left', '30'],
  ]
}

function ev(tags: unknown[], extra: Partial<{ kind: number; content: string }> = {}) {
  return {
    kind: extra.kind ?? TORRENT_ANNOUNCE,
    content: extra.content ?? '',
    tags: tags as string[][],
  }
}

function withTag(name: string, ...value: unknown[]): unknown[] {
  return [...baseTags(), [name, ...value]]
}

function replaced(name: string, value: string): string[][] {
  return baseTags().map((t) => (t[0] === name ? [name, value] : t))
}

function rejects(e: ReturnType<typeof ev>, message: RegExp): void {
  expect(() => parseAnnounceEvent(e)).toThrow(AnnounceEventError)
  expect(() => parseAnnounceEvent(e)).toThrow(message)
}

describe('toEventTemplate', () => {
  it('builds a kind 21000 template whose tag values are all strings', () => {
    const t = toEventTemplate(full(), NOW)
    expect(t.kind).toBe(21000)
    expect(t.created_at).toBe(NOW)
    expect(t.content).toBe('')
    expect(t.tags).toEqual([
      ['i', HASH],
      ['uploaded', '1048576'],
      ['downloaded', '0'],
      ['left', '5'],
      ['port', '6881'],
      ['event', 'started'],
      ['session', SESSION],
      ['relay', 'wss://relay.example/'],
      ['expiration', String(NOW + 60)],
    ])
    for (const tag of t.tags) for (const v of tag) expect(typeof v).toBe('string')
  })

  it('omits optional tags that are absent', () => {
    const t = toEventTemplate({ infoHash: HASH, uploaded: 1n, downloaded: 2n, left: 3n }, NOW)
    expect(t.tags.map((x) => x[0])).toEqual(['i', 'uploaded', 'downloaded', 'left'])
  })

  it('writes counters above 2^53 exactly', () => {
    const t = toEventTemplate({ ...full(), uploaded: MAX_COUNTER }, NOW)
    expect(t.tags).toContainEqual(['uploaded', '18446744073709551615'])
  })

  it('refuses to build what the parser would reject', () => {
    const bad: [Partial<Kind21000Announce>, RegExp][] = [
      [{ infoHash: HASH.toUpperCase() }, /i must be 40 lowercase hex/],
      [{ uploaded: -1n }, /uploaded out of range/],
      [{ left: MAX_COUNTER + 1n }, /left out of range/],
      [{ port: 0 }, /port must be 1-65535/],
      [{ port: 65536 }, /port must be 1-65535/],
      [{ port: 80.5 }, /port must be 1-65535/],
      [{ session: 'xyz' }, /session must be 32/],
      [{ relay: 'https://relay.example' }, /ws:\/\/ or wss:\/\//],
      [{ expiration: 1.5 }, /expiration/],
      [{ expiration: -1 }, /expiration/],
      [{ expiration: Number.MAX_SAFE_INTEGER + 2 }, /expiration/],
    ]
    for (const [patch, message] of bad) {
      expect(() => toEventTemplate({ ...full(), ...patch }, NOW)).toThrow(message)
    }
  })

  it('refuses counters that are not BigInt', () => {
    const a = { ...full(), downloaded: 1.5 as unknown as bigint }
    expect(() => toEventTemplate(a, NOW)).toThrow(/downloaded must be a bigint/)
  })

  it('round-trips through parseAnnounceEvent', () => {
    const a = full()
    expect(parseAnnounceEvent(toEventTemplate(a, NOW))).toEqual(a)
    const minimal = { infoHash: HASH, uploaded: 0n, downloaded: MAX_COUNTER, left: 0n }
    expect(parseAnnounceEvent(toEventTemplate(minimal, NOW))).toEqual(minimal)
  })
})

describe('parseAnnounceEvent', () => {
  it('reads the minimal form', () => {
    expect(parseAnnounceEvent(ev(baseTags()))).toEqual({
      infoHash: HASH,
      uploaded: 10n,
      downloaded: 20n,
      left: 30n,
    })
  })

  it('rejects the wrong kind and non-empty content', () => {
    rejects(ev(baseTags(), { kind: 1 }), /kind 1 is not 21000/)
    rejects(ev(baseTags(), { content: 'hi' }), /content must be empty/)
  })

  it('rejects missing required tags', () => {
    for (const name of ['i', 'uploaded', 'downloaded', 'left']) {
      const tags = baseTags().filter((t) => t[0] !== name)
      rejects(ev(tags), new RegExp(`missing ${name} tag`))
    }
  })

  it('rejects duplicate known tags, even with equal values', () => {
    for (const t of baseTags()) rejects(ev([...baseTags(), t]), /duplicate/)
    rejects(ev(withTag('event', 'started').concat([['event', 'stopped']])), /duplicate event/)
  })

  it('rejects known tags with extra values', () => {
    rejects(ev(withTag('port', '6881', 'extra')), /tag port must have exactly one value/)
    rejects(ev([...baseTags().slice(1), ['i', HASH, 'btih']]), /tag i must have exactly one/)
    rejects(ev([['i'], ...baseTags().slice(1)]), /tag i must have exactly one value/)
  })

  it('rejects non-string tag values and malformed tag lists', () => {
    rejects(ev(withTag('port', 6881)), /arrays of strings/)
    rejects(ev(replaced('uploaded', 10 as unknown as string)), /arrays of strings/)
    rejects(ev(withTag('port', null)), /arrays of strings/)
    rejects(ev([...baseTags(), 'port']), /arrays of strings/)
    rejects(ev([...baseTags(), null]), /arrays of strings/)
    rejects(ev([...baseTags(), []]), /arrays of strings/)
    rejects(ev([...baseTags(), ['x', 'y', 7]]), /arrays of strings/)
    rejects({ ...ev(baseTags()), tags: 'nope' as unknown as string[][] }, /tags must be an array/)
  })

  it('rejects bad info hashes', () => {
    for (const bad of [HASH.toUpperCase(), HASH.slice(1), HASH + '0', 'g' + HASH.slice(1), '']) {
      rejects(ev(replaced('i', bad)), /i must be 40 lowercase hex/)
    }
  })

  it('rejects counters with signs, leading zeros, exponents or spaces', () => {
    for (const bad of ['-1', '+1', '01', '00', '1e3', ' 1', '1 ', '1.0', '', '0x10', '１']) {
      rejects(ev(replaced('uploaded', bad)), /uploaded must be a decimal integer string/)
    }
  })

  it('accepts 2^64-1 and rejects 2^64 and longer numbers', () => {
    const max = parseAnnounceEvent(ev(replaced('left', '18446744073709551615')))
    expect(max.left).toBe(MAX_COUNTER)
    rejects(ev(replaced('left', '18446744073709551616')), /left exceeds 2\^64-1/)
    rejects(ev(replaced('left', '9'.repeat(20))), /left exceeds 2\^64-1/)
    rejects(ev(replaced('left', '1' + '0'.repeat(20))), /left must be a decimal integer/)
  })

  it('validates port', () => {
    expect(parseAnnounceEvent(ev(withTag('port', '65535'))).port).toBe(65535)
    expect(parseAnnounceEvent(ev(withTag('port', '1'))).port).toBe(1)
    for (const bad of ['0', '65536', '99999999']) {
      rejects(ev(withTag('port', bad)), /port must be 1-65535/)
    }
    for (const bad of ['-1', '080', '', 'http']) {
      rejects(ev(withTag('port', bad)), /port must be a decimal integer string/)
    }
  })

  it('validates event', () => {
    for (const e of ['started', 'completed', 'stopped'] as const) {
      expect(parseAnnounceEvent(ev(withTag('event', e))).event).toBe(e)
    }
    for (const bad of ['', 'paused', 'Started', 'update']) {
      rejects(ev(withTag('event', bad)), /event must be started, completed or stopped/)
    }
  })

  it('validates session', () => {
    expect(parseAnnounceEvent(ev(withTag('session', SESSION))).session).toBe(SESSION)
    for (const bad of [
      'A'.repeat(32),
      'a'.repeat(31),
      'a'.repeat(33),
      'a'.repeat(40),
      'z'.repeat(32),
    ]) {
      rejects(ev(withTag('session', bad)), /session must be 32 lowercase hex chars/)
    }
  })

  it('validates relay URLs', () => {
    const ok = ['wss://relay.example', 'ws://127.0.0.1:7777', 'wss://relay.example/tseed']
    for (const url of ok) expect(parseAnnounceEvent(ev(withTag('relay', url))).relay).toBe(url)
    for (const bad of ['https://relay.example', 'relay.example', 'wss//relay', 'javascript:x']) {
      rejects(ev(withTag('relay', bad)), /relay must be a ws:\/\/ or wss:\/\/ URL/)
    }
    const smuggling = [
      'wss://relay.example/?passkey=abc',
      'wss://relay.example/?',
      'wss://relay.example/#abc',
      'wss://user:pw@relay.example',
      'wss://user@relay.example',
    ]
    for (const bad of smuggling) {
      rejects(
        ev(withTag('relay', bad)),
        /relay URL must not carry credentials, a query or a fragment/,
      )
    }
    for (const bad of [' wss://relay.example', 'wss://relay.example\n', 'wss://relay.exämple']) {
      rejects(ev(withTag('relay', bad)), /relay URL must be printable ASCII/)
    }
    rejects(ev(withTag('relay', 'wss://' + 'a'.repeat(300))), /relay URL too long/)
  })

  it('validates expiration', () => {
    expect(parseAnnounceEvent(ev(withTag('expiration', '1700000060'))).expiration).toBe(1700000060)
    for (const bad of ['-1', '1.5', '', '017']) {
      rejects(ev(withTag('expiration', bad)), /expiration must be unix seconds/)
    }
    rejects(ev(withTag('expiration', '9'.repeat(17))), /expiration must be unix seconds/)
  })

  it('ignores unknown tags, including one-element and repeated ones', () => {
    const tags = [
      ['-'],
      ...baseTags(),
      ['x', HASH],
      ['t', 'linux'],
      ['t', 'iso'],
      ['alt', 'TSEED announce', 'extra'],
    ]
    expect(parseAnnounceEvent(ev(tags))).toEqual(parseAnnounceEvent(ev(baseTags())))
  })

  it('rejects events with too many tags', () => {
    const tags = [...baseTags(), ...Array.from({ length: 13 }, (_, i) => ['t', String(i)])]
    rejects(ev(tags), /more than 16 tags/)
  })
})

describe('sessionTag', () => {
  const peerId = new TextEncoder().encode('-qB4390-abcdefghijkl')
  const salt1 = new Uint8Array(32).fill(1)
  const salt2 = new Uint8Array(32).fill(2)

  it('is 32 lowercase hex chars and deterministic', () => {
    const s = sessionTag(peerId, undefined, salt1)
    expect(s).toMatch(/^[0-9a-f]{32}$/)
    expect(sessionTag(peerId, undefined, salt1)).toBe(s)
  })

  it('changes with the salt, the peer_id and the key', () => {
    const base = sessionTag(peerId, undefined, salt1)
    expect(sessionTag(peerId, undefined, salt2)).not.toBe(base)
    const otherPeer = peerId.slice()
    otherPeer[19] = 0x6d
    expect(sessionTag(otherPeer, undefined, salt1)).not.toBe(base)
    expect(sessionTag(peerId, new Uint8Array([1, 2, 3, 4]), salt1)).not.toBe(base)
  })

  it('treats an empty key like no key', () => {
    expect(sessionTag(peerId, new Uint8Array(0), salt1)).toBe(sessionTag(peerId, undefined, salt1))
  })

  it('does not collide when bytes move between peer_id and key', () => {
    const a = sessionTag(new Uint8Array([1, 2]), new Uint8Array([3]), salt1)
    const b = sessionTag(new Uint8Array([1]), new Uint8Array([2, 3]), salt1)
    expect(a).not.toBe(b)
  })

  it('never contains the peer_id, in hex or as text', () => {
    for (let i = 0; i < 50; i++) {
      const salt = crypto.getRandomValues(new Uint8Array(32))
      const pid = crypto.getRandomValues(new Uint8Array(20))
      const s = sessionTag(pid, undefined, salt)
      // Any 8-byte window of the peer_id would show up as 16 hex chars.
      const hex = bytesToHex(pid)
      for (let at = 0; at + 16 <= hex.length; at += 2)
        expect(s).not.toContain(hex.slice(at, at + 16))
    }
    const s = sessionTag(peerId, undefined, salt1)
    expect(s).not.toContain('qB4390')
  })

  it('rejects a peer_id or key too long for its length prefix', () => {
    expect(() => sessionTag(new Uint8Array(256), undefined, salt1)).toThrow(/at most 255 bytes/)
    expect(() => sessionTag(peerId, new Uint8Array(256), salt1)).toThrow(/at most 255 bytes/)
  })
})

describe('fromTrackerAnnounce', () => {
  const tracker: TrackerAnnounce = {
    infoHash: HASH,
    peerId: new TextEncoder().encode('-WW0208-abcdefghijkl'),
    uploaded: 7n,
    downloaded: 8n,
    left: 9n,
    port: 0,
    event: 'completed',
    key: new Uint8Array([9, 9, 9, 9]),
    numwant: 50,
  }
  const salt = new Uint8Array(16).fill(7)

  it('keeps the public fields and hashes the private ones', () => {
    const a = fromTrackerAnnounce(tracker, { sessionSalt: salt, relay: 'wss://r.example' })
    expect(a).toEqual({
      infoHash: HASH,
      uploaded: 7n,
      downloaded: 8n,
      left: 9n,
      event: 'completed',
      relay: 'wss://r.example',
      session: sessionTag(tracker.peerId, tracker.key, salt),
    })
    const wire = JSON.stringify(toEventTemplate(a, NOW))
    expect(wire).not.toContain('abcdefghijkl')
    expect(wire).not.toContain(bytesToHex(tracker.peerId))
  })

  it('keeps a real port', () => {
    expect(fromTrackerAnnounce({ ...tracker, port: 51413 }, { sessionSalt: salt }).port).toBe(51413)
  })

  it('refuses an announce whose size is unknown', () => {
    expect(() => fromTrackerAnnounce({ ...tracker, left: null }, { sessionSalt: salt })).toThrow(
      /left is unknown/,
    )
  })
})

describe('signing', () => {
  it('signs a template that verifies on a fresh copy, and fails once tampered', () => {
    const sk = generateSecretKey()
    const template: EventTemplate = toEventTemplate(full(), Math.floor(Date.now() / 1000))
    const signed = finalizeEvent(template, sk)
    const copy: unknown = JSON.parse(JSON.stringify(signed))
    expect(verifyEvent(copy as typeof signed)).toBe(true)
    expect((copy as typeof signed).pubkey).toBe(getPublicKey(sk))
    expect(parseAnnounceEvent(copy as typeof signed)).toEqual(full())

    const tampered = JSON.parse(JSON.stringify(signed)) as typeof signed
    tampered.tags = tampered.tags.map((t) => (t[0] === 'uploaded' ? ['uploaded', '99'] : t))
    expect(verifyEvent(tampered)).toBe(false)
  })
})
