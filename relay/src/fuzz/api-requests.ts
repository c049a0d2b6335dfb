/**
 * Random and mutated requests for the relay's HTTP API (/api/v1/): every
 * route with good and broken parameters, methods it does not take, NIP-98
 * headers missing, malformed or forged (signed for another URL, method or
 * body, too old, with a broken signature, replayed), wrong content types,
 * bad and huge bodies. Seeded, so a run can be replayed.
 */
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { createAuthHeader } from '../../../src/nostr/nip98'
import { API_PREFIX, ENDPOINTS } from '../api/router'
import type { Random } from './prng'

export interface ApiFuzzRequest {
  method: string
  /** Path and query, as sent. */
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** Send the body in chunks without a Content-Length. */
  chunked?: boolean
  family: string
}

export interface ApiRequestContext {
  /** `http://host:port`, what NIP-98 `u` tags are signed for. */
  origin: string
  /** Signs synchronously with a funded key (e.g. nostr-tools `finalizeEvent`). */
  sign: (t: EventTemplate) => NostrEvent
  /** The API's body limit, to aim huge bodies just over it. */
  maxBodyBytes: number
  /** Unix seconds. */
  now: () => number
}

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS']
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '*/*',
  '',
]
const FIELDS = [
  'amount_sat',
  'amount',
  'amount_in',
  'min_out',
  'side',
  'invoice',
  'per_hour',
  'per_day',
  'label',
  'swap_min_out',
  'max_fee_sat',
  'x',
]
const VALUES: readonly unknown[] = [
  '1000',
  '0',
  '-1',
  '1e9',
  '00',
  '18446744073709551616',
  '9'.repeat(40),
  1000,
  1.5,
  -1,
  null,
  true,
  [],
  {},
  'sat_to_tseed',
  'tseed_to_sat',
  'lnbcrt1',
  'x'.repeat(300),
  '\u0000',
  '\ud800',
]

/**
 * Returns a function that makes the next request.
 *
 * @example
 * const next = apiRequestGenerator(seeded(1), ctx)
 * const req = await next() // { method: 'POST', path: '/api/v1/swap', headers: {…}, body: … }
 */
export function apiRequestGenerator(
  r: Random,
  ctx: ApiRequestContext,
): () => Promise<ApiFuzzRequest> {
  let lastAuth: string | undefined
  const hex = (n: number): string => {
    let s = ''
    for (let i = 0; i < n; i++) s += '0123456789abcdef'.charAt(r.int(16))
    return s
  }
  const junk = (n: number): string => {
    let s = ''
    const chars = "abcXYZ019-._~%/?#[]@!$&'()*+,;=:"
    for (let i = 0; i < n; i++) s += chars.charAt(r.int(chars.length))
    return encodeURI(s).replace(/#/g, '%23')
  }
  const param = (name: string): string => {
    const good: Record<string, () => string> = {
      '{info_hash}': () => hex(40),
      '{payment_hash}': () => hex(64),
      '{id}': () => hex(16),
    }
    if (r.chance(0.7)) return good[name]?.() ?? hex(16)
    return r.pick([hex(39), hex(41), hex(64).toUpperCase(), junk(1 + r.int(30)), '', '%00', '..'])
  }
  const query = (): string =>
    r.pick([
      '',
      `?side=${r.pick(['sat_to_tseed', 'tseed_to_sat', 'x'])}&amount_in=${r.pick(['1000', '-1', '1e3', ''])}`,
      `?side=sat_to_tseed&amount_out=${r.pick(['10', '0', '99999999999999999999'])}`,
      `?limit=${r.pick(['1', '0', '1001', 'x', '-5', '50'])}&before=${r.pick(['1', 'x', ''])}`,
      `?bytes=${r.pick(['1000000', '-1', 'x', '1e12'])}`,
      `?${junk(r.int(60))}`,
    ])

  const path = (): { path: string; method: string } => {
    if (r.chance(0.1)) {
      const p = r.pick([
        API_PREFIX,
        `${API_PREFIX}/`,
        `${API_PREFIX}/${junk(1 + r.int(40))}`,
        `${API_PREFIX}//balance`,
        `${API_PREFIX}/balance/`,
        `${API_PREFIX}/../v1/pool`,
        `${API_PREFIX}/${'a'.repeat(2000)}`,
        `${API_PREFIX}/pool%00`,
        // Absolute-form targets, some of which no URL parser reads.
        `http://127.0.0.1${API_PREFIX}/pool`,
        `http://[x${API_PREFIX}/pool`,
        `http://x:99999${API_PREFIX}/balance`,
        `http://%zz${API_PREFIX}/pool`,
      ])
      return { path: p, method: r.pick(METHODS) }
    }
    const e = r.pick(ENDPOINTS)
    const p = e.pattern.replace(/\{[a-z_]+\}/g, (m) => param(m))
    const method = r.chance(0.8) ? e.method : r.pick(METHODS)
    return { path: `${API_PREFIX}${p}${query()}`, method }
  }

  const body = (): Buffer | undefined => {
    const v = r.int(10)
    if (v === 0) return undefined
    if (v <= 4) {
      const o: Record<string, unknown> = {}
      for (let i = r.int(4); i > 0; i--) o[r.pick(FIELDS)] = r.pick(VALUES)
      return Buffer.from(JSON.stringify(o))
    }
    if (v === 5)
      return Buffer.from(r.pick(['{', '[]', '1', '"x"', 'null', '{"a":1,}', '{"a":1}{', '']))
    if (v === 6) return Buffer.from(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`)
    if (v === 7) return Buffer.alloc(ctx.maxBodyBytes + 1 + r.int(ctx.maxBodyBytes), 0x61)
    if (v === 8) {
      const b = Buffer.alloc(1 + r.int(200))
      for (let i = 0; i < b.length; i++) b[i] = r.int(256)
      return b
    }
    return Buffer.from('{"amount_sat":"1000","amount_sat":"-1"}')
  }

  const auth = async (
    method: string,
    p: string,
    b: Buffer | undefined,
  ): Promise<string | undefined> => {
    const url = `${ctx.origin}${p}`
    const sign = (t: EventTemplate): Promise<NostrEvent> => Promise.resolve(ctx.sign(t))
    const make = (o: { url?: string; method?: string; body?: Uint8Array; now?: number }) =>
      createAuthHeader({
        url: o.url ?? url,
        method: o.method ?? method,
        ...(o.body !== undefined ? { body: o.body } : b === undefined ? {} : { body: b }),
        now: o.now ?? ctx.now(),
        sign,
      })
    const v = r.int(16)
    if (v <= 3) return undefined
    if (v <= 7) {
      lastAuth = await make({})
      return lastAuth
    }
    if (v === 8) return make({ url: `${ctx.origin}${API_PREFIX}/balance` })
    if (v === 9) return make({ method: method === 'GET' ? 'POST' : 'GET' })
    if (v === 10) return make({ body: new TextEncoder().encode('other') })
    if (v === 11) return make({ now: ctx.now() - r.pick([61, 3600, 10 ** 9]) })
    if (v === 12) {
      const h = await make({})
      const json = JSON.parse(Buffer.from(h.slice(6), 'base64').toString()) as NostrEvent
      const sig = json.sig.replace(/^./, (c) => (c === '0' ? '1' : '0'))
      return `Nostr ${Buffer.from(JSON.stringify({ ...json, sig })).toString('base64')}`
    }
    if (v === 13 && lastAuth !== undefined) return lastAuth
    return r.pick([
      'Nostr',
      'Nostr ',
      'Nostr !!!',
      `Nostr ${Buffer.from('not json').toString('base64')}`,
      `Nostr ${Buffer.from('[1,2]').toString('base64')}`,
      `Nostr ${Buffer.from('{"kind":27235}').toString('base64')}`,
      `Bearer ${hex(32)}`,
      `Nostr ${'A'.repeat(20_000)}`,
      `nostr ${hex(10)}`,
    ])
  }

  return async () => {
    const { path: p, method } = path()
    const b = method === 'GET' || method === 'HEAD' ? (r.chance(0.1) ? body() : undefined) : body()
    const headers: Record<string, string> = {}
    const a = await auth(method, p, b)
    if (a !== undefined) headers.Authorization = a
    const ct = r.pick(CONTENT_TYPES)
    if (b !== undefined && ct !== '') headers['Content-Type'] = ct
    if (r.chance(0.05)) headers['X-Forwarded-For'] = r.pick(['1.2.3.4', junk(40), ''])
    if (r.chance(0.03)) headers['X-Padding'] = 'x'.repeat(r.pick([100, 20_000, 70_000]))
    const family = `${a === undefined ? 'no-auth' : 'auth'} ${method}`
    return {
      method,
      path: p,
      headers,
      ...(b === undefined ? {} : { body: b }),
      chunked: r.chance(0.1),
      family,
    }
  }
}
