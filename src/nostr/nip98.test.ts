import { describe, expect, it } from 'vitest'
import { base64 } from '@scure/base'
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import {
  createAuthHeader,
  MAX_TOKEN_LENGTH,
  Nip98Error,
  payloadHash,
  ReplayGuard,
  verifyAuthHeader,
  type Nip98Reason,
} from './nip98'

const sk = generateSecretKey()
const pubkey = getPublicKey(sk)
const sign = (t: EventTemplate): Promise<NostrEvent> => Promise.resolve(finalizeEvent({ ...t }, sk))
const NOW = 1_700_000_000
const URL_Q = 'https://relay.example/api/withdraw?invoice=lnbc1&note=a%20b'
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

function header(event: object): string {
  return `Nostr ${base64.encode(enc(JSON.stringify(event)))}`
}

function signed(tags: string[][], over: Partial<EventTemplate> = {}): NostrEvent {
  return finalizeEvent({ kind: 27235, created_at: NOW, tags, content: '', ...over }, sk)
}

function reason(fn: () => unknown): Nip98Reason {
  try {
    fn()
  } catch (e) {
    if (e instanceof Nip98Error) return e.reason
    throw e
  }
  throw new Error('expected a Nip98Error')
}

describe('createAuthHeader + verifyAuthHeader', () => {
  it('round-trips a GET on a URL with a query', async () => {
    const h = await createAuthHeader({ url: URL_Q, method: 'get', sign, now: NOW })
    expect(h.startsWith('Nostr ')).toBe(true)
    const auth = verifyAuthHeader(h, { url: URL_Q, method: 'GET', now: NOW + 30 })
    expect(auth.pubkey).toBe(pubkey)
    expect(auth.eventId).toMatch(/^[0-9a-f]{64}$/)
    expect(auth.createdAt).toBe(NOW)
  })

  it('commits to the raw body bytes, not to a JSON re-encoding', async () => {
    const body = enc('{"amountSat":"1000" }')
    const h = await createAuthHeader({ url: URL_Q, method: 'POST', body, sign, now: NOW })
    const event = JSON.parse(new TextDecoder().decode(base64.decode(h.slice(6)))) as NostrEvent
    expect(event.tags).toContainEqual(['payload', payloadHash(body)])
    expect(verifyAuthHeader(h, { url: URL_Q, method: 'POST', body, now: NOW }).pubkey).toBe(pubkey)
    const reencoded = enc(JSON.stringify(JSON.parse('{"amountSat":"1000" }')))
    expect(
      reason(() => verifyAuthHeader(h, { url: URL_Q, method: 'POST', body: reencoded, now: NOW })),
    ).toBe('payload')
  })

  it('uses the default pure verifier on a fresh copy, so a tampered cached object fails', () => {
    const ev = signed([
      ['u', URL_Q],
      ['method', 'GET'],
    ])
    expect(verifyEvent(ev)).toBe(true) // caches a verdict on `ev`
    ev.tags[0] = ['u', 'https://evil.example/']
    const h = header(ev)
    expect(
      reason(() => verifyAuthHeader(h, { url: 'https://evil.example/', method: 'GET', now: NOW })),
    ).toBe('signature')
  })

  it('accepts an injected verifier', () => {
    const h = header(
      signed([
        ['u', URL_Q],
        ['method', 'GET'],
      ]),
    )
    const seen: NostrEvent[] = []
    const verify = (e: NostrEvent): boolean => {
      seen.push(e)
      return false
    }
    expect(reason(() => verifyAuthHeader(h, { url: URL_Q, method: 'GET', now: NOW, verify }))).toBe(
      'signature',
    )
    expect(seen).toHaveLength(1)
  })

  it('accepts base64 without padding and a lowercase scheme', () => {
    const ev = signed([
      ['u', URL_Q],
      ['method', 'GET'],
    ])
    const token = base64.encode(enc(JSON.stringify(ev))).replace(/=+$/, '')
    expect(
      verifyAuthHeader(`nostr ${token}`, { url: URL_Q, method: 'GET', now: NOW }).eventId,
    ).toBe(ev.id)
  })
})

describe('verifyAuthHeader rejections', () => {
  const base = { url: URL_Q, method: 'POST', now: NOW }
  const good = [
    ['u', URL_Q],
    ['method', 'POST'],
  ]

  it.each([
    ['missing', undefined],
    ['missing', '  '],
    ['scheme', 'Bearer abc'],
    ['scheme', 'Nostrabc'],
    ['base64', 'Nostr !!!notbase64'],
    ['base64', 'Nostr abcde'],
    ['json', `Nostr ${base64.encode(enc('not json'))}`],
    ['json', `Nostr ${base64.encode(new Uint8Array([0xff, 0xfe, 0x7b]))}`],
    ['shape', `Nostr ${base64.encode(enc('[1,2,3]'))}`],
    ['shape', `Nostr ${base64.encode(enc('{"kind":27235}'))}`],
    ['too-large', `Nostr ${'A'.repeat(MAX_TOKEN_LENGTH + 4)}`],
  ] as const)('%s: %s', (expected, h) => {
    expect(reason(() => verifyAuthHeader(h, base))).toBe(expected)
  })

  it('refuses non-string tag values and too many tags', () => {
    const ev = signed(good) as unknown as Record<string, unknown>
    expect(reason(() => verifyAuthHeader(header({ ...ev, tags: [['u', 1]] }), base))).toBe('shape')
    const many = Array.from({ length: 17 }, () => ['x', 'y'])
    expect(reason(() => verifyAuthHeader(header({ ...ev, tags: many }), base))).toBe('shape')
  })

  it('refuses the wrong kind', () => {
    expect(reason(() => verifyAuthHeader(header(signed(good, { kind: 1 })), base))).toBe('kind')
  })

  it('refuses created_at outside the window, both sides, and honours windowSeconds', () => {
    expect(
      reason(() => verifyAuthHeader(header(signed(good, { created_at: NOW - 61 })), base)),
    ).toBe('timestamp')
    expect(
      reason(() => verifyAuthHeader(header(signed(good, { created_at: NOW + 61 })), base)),
    ).toBe('timestamp')
    expect(verifyAuthHeader(header(signed(good, { created_at: NOW - 60 })), base).pubkey).toBe(
      pubkey,
    )
    const h = header(signed(good, { created_at: NOW - 20 }))
    expect(reason(() => verifyAuthHeader(h, { ...base, windowSeconds: 10 }))).toBe('timestamp')
  })

  it('requires u to equal the absolute URL exactly, query included', () => {
    const h = header(signed(good))
    for (const url of [
      'https://relay.example/api/withdraw',
      'https://relay.example/api/withdraw?note=a%20b&invoice=lnbc1',
      'http://relay.example/api/withdraw?invoice=lnbc1&note=a%20b',
      URL_Q + '&x=1',
    ]) {
      expect(reason(() => verifyAuthHeader(h, { ...base, url }))).toBe('url')
    }
    expect(reason(() => verifyAuthHeader(header(signed([['method', 'POST']])), base))).toBe('url')
    const twoU = signed([['u', URL_Q], ['u', 'https://other.example/'], good[1]!])
    expect(reason(() => verifyAuthHeader(header(twoU), base))).toBe('url')
  })

  it('requires the method to match', () => {
    expect(reason(() => verifyAuthHeader(header(signed(good)), { ...base, method: 'GET' }))).toBe(
      'method',
    )
    expect(reason(() => verifyAuthHeader(header(signed([good[0]!])), base))).toBe('method')
  })

  it('refuses a body without a payload tag, and a tampered body', async () => {
    const body = enc('{"amountSat":"1000"}')
    expect(reason(() => verifyAuthHeader(header(signed(good)), { ...base, body }))).toBe('payload')
    const h = await createAuthHeader({ url: URL_Q, method: 'POST', body, sign, now: NOW })
    const tampered = enc('{"amountSat":"9000"}')
    expect(reason(() => verifyAuthHeader(h, { ...base, body: tampered }))).toBe('payload')
    // A payload tag with no body received is a mismatch too.
    expect(reason(() => verifyAuthHeader(h, base))).toBe('payload')
  })

  it('refuses a forged signature', () => {
    const ev = signed(good)
    const forged = { ...ev, sig: ev.sig.replace(/^./, ev.sig[0] === 'a' ? 'b' : 'a') }
    expect(reason(() => verifyAuthHeader(header(forged), base))).toBe('signature')
    const otherKey = { ...ev, pubkey: getPublicKey(generateSecretKey()) }
    expect(reason(() => verifyAuthHeader(header(otherKey), base))).toBe('signature')
  })
})

describe('ReplayGuard', () => {
  it('refuses a replay within the window and forgets ids after it', () => {
    let now = NOW
    const guard = new ReplayGuard({ now: () => now })
    guard.check('a'.repeat(64), NOW)
    expect(
      reason(() => {
        guard.check('a'.repeat(64), NOW)
      }),
    ).toBe('replay')
    guard.check('b'.repeat(64), NOW)
    now = NOW + 61
    guard.check('c'.repeat(64), NOW + 61)
    expect(guard.size).toBe(1)
  })

  it('end to end: a captured header passes verification but not the guard', async () => {
    const guard = new ReplayGuard({ now: () => NOW })
    const h = await createAuthHeader({ url: URL_Q, method: 'POST', sign, now: NOW })
    const first = verifyAuthHeader(h, { url: URL_Q, method: 'POST', now: NOW })
    guard.check(first.eventId, first.createdAt)
    const again = verifyAuthHeader(h, { url: URL_Q, method: 'POST', now: NOW + 5 })
    expect(
      reason(() => {
        guard.check(again.eventId, again.createdAt)
      }),
    ).toBe('replay')
  })

  it('stays bounded and fails closed when full of live ids', () => {
    let now = NOW
    const guard = new ReplayGuard({ now: () => now, maxEntries: 3, windowSeconds: 10 })
    for (const id of ['1', '2', '3']) guard.check(id, now)
    expect(
      reason(() => {
        guard.check('4', now)
      }),
    ).toBe('replay-capacity')
    expect(guard.size).toBe(3)
    now += 11
    guard.check('4', now)
    expect(guard.size).toBe(1)
  })
})
