import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { verifyAuthHeader } from '../nostr/nip98'
import { rejectionOf } from '../../tests/support/rejection'
import {
  discoverTseedApi,
  readRelayInfo,
  TseedApiClient,
  TseedApiError,
  type FetchLike,
} from './api-client'

const sk = generateSecretKey()
const PK = getPublicKey(sk)
const BASE = 'https://relay.example/api/v1/'

interface Call {
  url: string
  init: RequestInit
}

/** A fetch that records calls and answers from a list. */
function fakeFetch(...answers: [number, unknown][]): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = []
  const fetch: FetchLike = (url, init) => {
    calls.push({ url, init })
    const [status, body] = answers.shift() ?? [500, { error: 'internal', message: 'no answer' }]
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    return Promise.resolve(new Response(text, { status }))
  }
  return { fetch, calls }
}

function client(fetch: FetchLike, signed = true): TseedApiClient {
  return new TseedApiClient({
    baseUrl: BASE,
    fetch,
    ...(signed ? { sign: (t) => Promise.resolve(finalizeEvent(t, sk)) } : {}),
  })
}

const rejection = (p: Promise<unknown>) => rejectionOf(p, TseedApiError)

describe('TseedApiClient.price', () => {
  const answer = (rarity?: unknown) => ({
    info_hash: 'c'.repeat(40),
    tokens_per_mb: '2',
    base_tokens_per_mb: '1',
    multiplier: '2',
    rare: true,
    rarity_rule: rarity !== null,
    ...(rarity === undefined ? {} : { rarity }),
    bytes_per_mb: '1000000',
    seeders: 1,
    leechers: 5,
    escrow: { held: '0', claimed: '0' },
    test_mode: true,
  })

  it('reads the rarity rule so the caller can price any swarm itself', async () => {
    const rule = { leechers_per_seeder: 4, scarce_multiplier: '2', no_seeder_multiplier: '4' }
    const { fetch } = fakeFetch([200, answer(rule)], [200, answer(null)], [200, answer()])
    const api = client(fetch, false)
    expect((await api.price('c'.repeat(40))).rarity).toEqual({
      leechersPerSeeder: 4,
      scarceMultiplier: 2n,
      noSeederMultiplier: 4n,
    })
    expect((await api.price('c'.repeat(40))).rarity).toBeNull()
    // An older relay says nothing: the caller must ask per swarm.
    expect((await api.price('c'.repeat(40))).rarity).toBeUndefined()
  })

  it('refuses a rule the pricing code would refuse, rather than price with it', async () => {
    const bad = { leechers_per_seeder: 4, scarce_multiplier: '1', no_seeder_multiplier: '4' }
    const { fetch } = fakeFetch([200, answer(bad)])
    const e = await rejection(client(fetch, false).price('c'.repeat(40)))
    expect(e.code).toBe('bad_response')
    expect(e.message).toMatch(/scarceMultiplier must be a bigint ≥ 2/)
  })
})

describe('TseedApiClient', () => {
  it('signs the exact URL it fetches, with a payload hash of the exact body bytes', async () => {
    const { fetch, calls } = fakeFetch([
      200,
      {
        side: 'sat_to_tseed',
        amount_in: '1000',
        amount_out: '1990',
        replayed: false,
        pool: { TSEED: '9998010', sat: '5001000' },
        balances: { TSEED: '1990', sat: '0' },
        test_mode: true,
      },
    ])
    const r = await client(fetch).swap({
      side: 'sat_to_tseed',
      amountIn: 1000n,
      minOut: 1900n,
      ref: 'a',
    })
    expect(r).toEqual({
      side: 'sat_to_tseed',
      amountIn: 1000n,
      amountOut: 1990n,
      replayed: false,
      pool: { tseed: 9_998_010n, sat: 5_001_000n },
      balances: { tseed: 1990n, sat: 0n },
      testMode: true,
    })
    const call = calls[0]!
    expect(call.url).toBe('https://relay.example/api/v1/swap')
    expect(call.init.method).toBe('POST')
    const body = call.init.body as Uint8Array
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual({
      side: 'sat_to_tseed',
      amount_in: '1000',
      min_out: '1900',
      ref: 'a',
    })
    const headers = call.init.headers as Record<string, string>
    const auth = verifyAuthHeader(headers.Authorization, {
      url: call.url,
      method: 'POST',
      body,
      now: Math.floor(Date.now() / 1000),
    })
    expect(auth.pubkey).toBe(PK)
  })

  it('makes every auth event unique, so identical requests are not replays', async () => {
    const answer: [number, unknown] = [
      200,
      { pubkey: PK, balances: { TSEED: '0', sat: '0' }, tseed_value_sat: null },
    ]
    const { fetch, calls } = fakeFetch(answer, answer)
    const api = client(fetch)
    await Promise.all([api.balance(), api.balance()])
    const ids = calls.map((c) => {
      const h = (c.init.headers as Record<string, string>).Authorization!
      return verifyAuthHeader(h, { url: c.url, method: 'GET', now: Math.floor(Date.now() / 1000) })
        .eventId
    })
    expect(new Set(ids).size).toBe(2)
  })

  it('puts query parameters in the signed URL and parses BigInt amounts', async () => {
    const { fetch, calls } = fakeFetch([
      200,
      {
        side: 'tseed_to_sat',
        exact: 'out',
        amount_in: '18446744073709551617',
        amount_out: '5',
        fee: '1',
        price_impact_bps: '31',
        pool: { TSEED: '1', sat: '2' },
        pool_after: { TSEED: '3', sat: '4' },
        test_mode: false,
      },
    ])
    const q = await client(fetch, false).quote({ side: 'tseed_to_sat', amountOut: 5n })
    expect(calls[0]!.url).toBe('https://relay.example/api/v1/quote?side=tseed_to_sat&amount_out=5')
    expect((calls[0]!.init.headers as Record<string, string>).Authorization).toBeUndefined()
    expect(q.amountIn).toBe(2n ** 64n + 1n)
    expect(q.testMode).toBe(false)
  })

  it('turns error answers into TseedApiError with code, message, need and have', async () => {
    const { fetch } = fakeFetch(
      [
        402,
        {
          error: 'insufficient_funds',
          message: 'insufficient balance: need 9 sat, have 2',
          currency: 'sat',
          need: '9',
          have: '2',
          test_mode: true,
        },
      ],
      [401, { error: 'unauthorized', reason: 'replay', message: 'auth event was already used' }],
      [502, 'Bad gateway'],
      [200, { pubkey: PK, balances: { TSEED: 5, sat: '0' } }],
    )
    const api = client(fetch)
    const poor = await rejection(api.swap({ side: 'sat_to_tseed', amountIn: 9n, minOut: 0n }))
    expect([poor.status, poor.code, poor.message, poor.need, poor.have, poor.currency]).toEqual([
      402,
      'insufficient_funds',
      'insufficient balance: need 9 sat, have 2',
      9n,
      2n,
      'sat',
    ])
    const replay = await rejection(api.balance())
    expect([replay.status, replay.code, replay.reason]).toEqual([401, 'unauthorized', 'replay'])
    const proxy = await rejection(api.balance())
    expect([proxy.status, proxy.code]).toEqual([502, 'bad_response'])
    // A number where a decimal string belongs is refused, never rounded.
    const numeric = await rejection(api.balance())
    expect(numeric.code).toBe('bad_response')
    expect(numeric.message).toMatch(/TSEED/)
  })

  it('needs a signer for authenticated endpoints', async () => {
    const { fetch, calls } = fakeFetch()
    const e = await rejection(client(fetch, false).balance())
    expect(e.code).toBe('no_signer')
    expect(calls).toHaveLength(0)
  })

  it('reads and sets spending limits, sending null for no limit', async () => {
    const limits = {
      pubkey: PK,
      per_hour: '200',
      per_day: null,
      charged_last_hour: '12',
      charged_last_day: '340',
      test_mode: true,
    }
    const { fetch, calls } = fakeFetch(
      [200, limits],
      [200, { ...limits, per_hour: null, per_day: '0' }],
    )
    const api = client(fetch)
    expect(await api.getLimits()).toEqual({
      pubkey: PK,
      perHour: 200n,
      perDay: null,
      chargedLastHour: 12n,
      chargedLastDay: 340n,
      testMode: true,
    })
    expect(await api.setLimits({ perHour: null, perDay: 0n })).toMatchObject({
      perHour: null,
      perDay: 0n,
    })
    const [get, post] = calls as [Call, Call]
    expect([get.url, get.init.method, get.init.body]).toEqual([
      'https://relay.example/api/v1/limits',
      'GET',
      undefined,
    ])
    const body = post.init.body as Uint8Array
    expect(new TextDecoder().decode(body)).toBe('{"per_hour":null,"per_day":"0"}')
    const auth = verifyAuthHeader((post.init.headers as Record<string, string>).Authorization, {
      url: post.url,
      method: 'POST',
      body,
      now: Math.floor(Date.now() / 1000),
    })
    expect(auth.pubkey).toBe(PK)
  })

  it('refuses a limits answer it cannot read exactly', async () => {
    const ok = {
      pubkey: PK,
      per_hour: null,
      per_day: null,
      charged_last_hour: '0',
      charged_last_day: '0',
    }
    const { fetch } = fakeFetch(
      [200, { ...ok, per_day: 1000 }],
      [200, { ...ok, per_hour: undefined }],
      [200, { ...ok, charged_last_day: '-1' }],
      [
        400,
        { error: 'invalid_amount', message: 'per_day must be a digit string', test_mode: true },
      ],
    )
    const api = client(fetch)
    expect((await rejection(api.getLimits())).message).toMatch(/per_day/)
    expect((await rejection(api.getLimits())).message).toMatch(/per_hour/)
    expect((await rejection(api.getLimits())).message).toMatch(/charged_last_day/)
    const refused = await rejection(api.setLimits({ perHour: null, perDay: 5n }))
    expect([refused.status, refused.code, refused.message]).toEqual([
      400,
      'invalid_amount',
      'per_day must be a digit string',
    ])
  })

  it('parses deposits and withdrawals', async () => {
    const { fetch } = fakeFetch(
      [
        201,
        {
          payment_hash: 'a'.repeat(64),
          invoice: 'lnbcrt1…',
          amount_sat: '1000',
          state: 'credited',
          created_at: 1,
          expires_at: 2,
          credited_sat: '1000',
          credited_at: 2,
          swap: { min_out: '5', state: 'failed', amount_out: null, message: 'swap not made' },
          test_mode: true,
        },
      ],
      [
        202,
        {
          payment_hash: 'b'.repeat(64),
          state: 'pending',
          amount_sat: '10',
          fee_reserve_sat: '10',
          fee_paid_sat: null,
          preimage: null,
          created_at: 1,
          updated_at: 1,
          detail: 'outcome unknown',
          test_mode: true,
        },
      ],
    )
    const api = client(fetch)
    expect(await api.createDeposit({ amountSat: 1000n, swapMinOut: 5n })).toMatchObject({
      state: 'credited',
      creditedSat: 1000n,
      swap: { minOut: 5n, state: 'failed', amountOut: null, message: 'swap not made' },
    })
    expect(await api.withdraw({ invoice: 'lnbcrt1…' })).toMatchObject({
      state: 'pending',
      feePaidSat: null,
    })
  })
})

describe('discoverTseedApi', () => {
  it('reads tseed.api from NIP-11, resolving a path against the relay URL', async () => {
    const { fetch, calls } = fakeFetch(
      [
        200,
        {
          tseed: {
            api: '/api/v1',
            pool: 'urn:pool:TSEED:satoshi',
            lightning: 'dev',
            test_mode: true,
          },
        },
      ],
      [200, { name: 'a plain relay' }],
    )
    expect(await discoverTseedApi('wss://relay.example:444', fetch)).toEqual({
      apiUrl: 'https://relay.example:444/api/v1',
      pool: 'urn:pool:TSEED:satoshi',
      lightning: 'dev',
      testMode: true,
    })
    expect(calls[0]!.url).toBe('https://relay.example:444')
    expect((calls[0]!.init.headers as Record<string, string>).Accept).toBe('application/nostr+json')
    expect(await discoverTseedApi('ws://plain.example', fetch)).toBeNull()
  })
})

describe('readRelayInfo', () => {
  it("gives the relay's own name, cleaned for one line of the popup", async () => {
    const { fetch } = fakeFetch(
      [200, { name: '  Seed\u0000 relay\u202e ', tseed: { api: '/api/v1' } }],
      [200, { name: 'x'.repeat(200) }],
      [200, { name: 42 }],
      [200, { name: '\u200b\u0007' }],
      [200, null],
    )
    const first = await readRelayInfo('wss://relay.example', fetch)
    expect(first.name).toBe('Seed relay')
    expect(first.tseed?.apiUrl).toBe('https://relay.example/api/v1')
    const long = await readRelayInfo('wss://relay.example', fetch)
    expect(long).toEqual({ name: `${'x'.repeat(59)}…`, tseed: null })
    expect(await readRelayInfo('wss://relay.example', fetch)).toEqual({ name: null, tseed: null })
    expect(await readRelayInfo('wss://relay.example', fetch)).toEqual({ name: null, tseed: null })
    expect(await readRelayInfo('wss://relay.example', fetch)).toEqual({ name: null, tseed: null })
  })

  it('keeps the NIP-11 limits that size a REQ, and only plausible ones', async () => {
    const doc = (limitation: unknown) => [200, { tseed: { api: '/api/v1' }, limitation }] as const
    const { fetch } = fakeFetch(
      [...doc({ max_message_length: 131072, max_limit: 300, max_filters: 10 })],
      [...doc({ max_message_length: -1, max_limit: 1.5 })],
      [...doc({ max_limit: 20 })],
    )
    const limits = async () => (await readRelayInfo('wss://relay.example', fetch)).tseed?.reqLimits
    expect(await limits()).toEqual({ maxMessageLength: 131072, maxLimit: 300 })
    expect(await limits()).toBeUndefined()
    expect(await limits()).toEqual({ maxLimit: 20 })
  })
})

describe('TseedApiClient.swarmPeers', () => {
  const IH = 'ab'.repeat(20)
  const answer = (over: Record<string, unknown> = {}) => ({
    info_hash: IH,
    complete: 2,
    incomplete: 1,
    tracker: { complete: 1, incomplete: 1 },
    peers: [
      { ip: '203.0.113.5', port: 51413 },
      { ip: '2001:db8::5', port: 6881 },
    ],
    test_mode: true,
    ...over,
  })

  it('asks with NIP-98 and reads counts and peers', async () => {
    const { fetch, calls } = fakeFetch([200, answer()])
    expect(await client(fetch).swarmPeers(IH, 0n)).toEqual({
      complete: 2,
      incomplete: 1,
      peers: [
        { ip: '203.0.113.5', port: 51413 },
        { ip: '2001:db8::5', port: 6881 },
      ],
    })
    expect(calls[0]?.url).toBe(`${BASE}swarm/${IH}/peers?left=0`)
    const auth = (calls[0]?.init.headers as Record<string, string>).Authorization ?? ''
    expect(auth.startsWith('Nostr ')).toBe(true)
  })

  it('refuses a bad info hash before asking, and an answer it cannot read', async () => {
    const { fetch, calls } = fakeFetch()
    expect((await rejection(client(fetch).swarmPeers('AB'.repeat(20)))).code).toBe('invalid_input')
    expect(calls).toHaveLength(0)
    for (const bad of [
      answer({ complete: -1 }),
      answer({ incomplete: '1' }),
      answer({ peers: [{ ip: '1.2.3.4', port: 0 }] }),
      answer({ peers: [{ ip: 5, port: 1 }] }),
      answer({ peers: 'none' }),
    ]) {
      const f = fakeFetch([200, bad])
      expect((await rejection(client(f.fetch).swarmPeers(IH))).code).toBe('bad_response')
    }
  })
})
