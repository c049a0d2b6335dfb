import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { quoteSwap, quoteSwapExactOut } from '../../src/balance/amm'
import { TseedApiError, discoverTseedApi } from '../../src/balance/api-client'
import { decodeInvoice } from '../../src/balance/bolt11'
import { createAuthHeader } from '../../src/nostr/nip98'
import { LightningError } from '../../relay/src/lightning/backend'
import type { WebSocketImplementation } from '../../src/nostr/nwc-client'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { startRelay, type RunningRelay } from '../../relay/src/transport/start-relay'
import { spawnRelay, type RelayProcess } from '../../scripts/relay-process'
import { NwcWalletService } from '../support/nwc-wallet-service'
import { rejectionOf } from '../support/rejection'
import {
  foreignInvoice,
  newUser,
  publicClient,
  quiet,
  ScriptedLightning,
  startQuietRelay,
  type TestUser,
} from '../support/tseed-relay'

const HASH = 'c'.repeat(40)

/** The error a client call rejected with. */
const apiError = (p: Promise<unknown>) => rejectionOf(p, TseedApiError)

/** A user holding `sat` sats (a dev deposit, polled once). */
async function fundedUser(relay: RunningTseedRelay, sat: bigint): Promise<TestUser> {
  const user = newUser(relay)
  const d = await user.api.createDeposit({ amountSat: sat })
  expect((await user.api.deposit(d.paymentHash)).state).toBe('credited')
  return user
}

describe('TSEED API over HTTP', () => {
  let relay: RunningTseedRelay
  let lightning: ScriptedLightning

  beforeAll(async () => {
    lightning = new ScriptedLightning()
    relay = await startQuietRelay({
      lightning,
      api: { rateLimit: { burst: 1000, perSecond: 1000 } },
    })
  })

  afterAll(async () => {
    await relay.close()
    await lightning.close()
  })

  describe('NIP-11 and CORS', () => {
    it('publishes the API, the pool, the price rule and test mode', async () => {
      const res = await fetch(relay.httpUrl, { headers: { Accept: 'application/nostr+json' } })
      const doc = (await res.json()) as { tseed: Record<string, unknown>; supported_nips: number[] }
      expect(doc.supported_nips).toContain(98)
      expect(doc.tseed).toMatchObject({
        kinds: [21000],
        api: `${relay.httpUrl}/api/v1`,
        pool: 'urn:pool:TSEED:satoshi',
        lightning: 'dev',
        test_mode: true,
        price: { unit: 'TSEED', base_tokens_per_mb: '1', bytes_per_mb: '1000000', rarity: null },
      })
      expect(doc.tseed.endpoints).toContain('POST /withdraw (NIP-98)')
      expect(doc.tseed.endpoints).toEqual(
        expect.arrayContaining(['GET /limits (NIP-98)', 'POST /limits (NIP-98)']),
      )
      expect(await discoverTseedApi(relay.url, (u, i) => fetch(u, i))).toEqual({
        apiUrl: `${relay.httpUrl}/api/v1`,
        pool: 'urn:pool:TSEED:satoshi',
        lightning: 'dev',
        testMode: true,
        reqLimits: { maxMessageLength: 131072, maxLimit: 500 },
      })
    })

    it('answers the CORS preflight and sends CORS headers on API answers', async () => {
      const pre = await fetch(`${relay.apiUrl}/balance`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'chrome-extension://abc',
          'Access-Control-Request-Headers': 'authorization',
        },
      })
      expect(pre.status).toBe(204)
      expect(pre.headers.get('access-control-allow-origin')).toBe('*')
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/)
      const res = await fetch(`${relay.apiUrl}/pool`)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('content-type')).toMatch(/application\/json/)
    })
  })

  describe('public endpoints', () => {
    it('GET /pool gives the reserves the dev relay bootstrapped', async () => {
      const pool = await publicClient(relay).pool()
      expect(pool).toMatchObject({
        url: 'urn:pool:TSEED:satoshi',
        bootstrapped: true,
        fee: '0.003',
        testMode: true,
      })
      expect(pool.reserves).toEqual(
        relay.ledger.pool() && { tseed: relay.ledger.pool()!.tseed, sat: relay.ledger.pool()!.sat },
      )
      expect(pool.k).toBe(pool.reserves!.tseed * pool.reserves!.sat)
      expect(pool.spot?.satPerTseed).toMatch(/^0\.\d{8}$/)
    })

    it('GET /quote is exactly what src/balance/amm.ts computes on the live pool', async () => {
      const api = publicClient(relay)
      const q = await api.quote({ side: 'sat_to_tseed', amountIn: 12_345n })
      const pool = { tseed: q.pool.tseed, sat: q.pool.sat }
      const local = quoteSwap(pool, 'sat_to_tseed', 12_345n)
      expect(q).toMatchObject({
        side: 'sat_to_tseed',
        exact: 'in',
        amountIn: 12_345n,
        amountOut: local.amountOut,
        fee: local.fee,
        priceImpactBps: local.priceImpactBps,
        poolAfter: local.poolAfter,
        testMode: true,
      })
      const out = await api.quote({ side: 'tseed_to_sat', amountOut: 500n })
      expect(out.exact).toBe('out')
      expect(out.amountIn).toBe(quoteSwapExactOut(pool, 'tseed_to_sat', 500n).amountIn)
    })

    it('GET /quote refuses bad input with 400 and impossible quotes with 422', async () => {
      const api = publicClient(relay)
      const raw = (q: string) => fetch(`${relay.apiUrl}/quote?${q}`)
      const bad = await raw('side=sideways&amount_in=1')
      expect(bad.status).toBe(400)
      expect(await bad.json()).toMatchObject({ error: 'invalid_query', test_mode: true })
      expect((await raw('side=sat_to_tseed&amount_in=1&amount_out=1')).status).toBe(400)
      expect((await raw('side=sat_to_tseed')).status).toBe(400)
      expect((await raw('side=sat_to_tseed&amount_in=-5')).status).toBe(400)
      expect((await raw('side=sat_to_tseed&amount_in=1.5')).status).toBe(400)
      const dust = await apiError(api.quote({ side: 'tseed_to_sat', amountIn: 1n }))
      expect([dust.status, dust.code]).toEqual([422, 'zero_output'])
      const tooMuch = await apiError(api.quote({ side: 'sat_to_tseed', amountOut: 10n ** 15n }))
      expect([tooMuch.status, tooMuch.code]).toEqual([422, 'insufficient_liquidity'])
    })

    it('GET /price gives the swarm price, seeders and leechers, and a download quote', async () => {
      const p = await publicClient(relay).price(HASH.toUpperCase(), 2_500_000n)
      expect(p).toEqual({
        infoHash: HASH,
        tokensPerMb: 1n,
        baseTokensPerMb: 1n,
        multiplier: 1n,
        rare: false,
        rarityRule: false,
        rarity: null,
        bytesPerMb: 1_000_000n,
        seeders: 0,
        leechers: 0,
        escrow: { held: 0n, claimed: 0n },
        download: { bytes: 2_500_000n, maxTokens: 3n },
        testMode: true,
      })
      expect((await fetch(`${relay.apiUrl}/price/xyz`)).status).toBe(404)
    })

    it('answers unknown paths 404 and wrong methods 405, in JSON', async () => {
      const missing = await fetch(`${relay.apiUrl}/nothing`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toMatchObject({ error: 'not_found', test_mode: true })
      const wrong = await fetch(`${relay.apiUrl}/pool`, { method: 'POST', body: '{}' })
      expect(wrong.status).toBe(405)
      expect(wrong.headers.get('allow')).toBe('GET, OPTIONS')
    })
  })

  describe('NIP-98 authentication over real HTTP', () => {
    let user: TestUser
    beforeAll(() => {
      user = newUser(relay)
    })

    let n = 0
    // Identical requests in one second are one event id: a nonce tag keeps each header distinct,
    // as the API client does.
    const header = (url: string, method: string, body?: string, now?: number) =>
      createAuthHeader({
        url,
        method,
        sign: (t) => user.sign({ ...t, tags: [...t.tags, ['nonce', String(++n)]] }),
        ...(body !== undefined ? { body: new TextEncoder().encode(body) } : {}),
        ...(now !== undefined ? { now } : {}),
      })

    async function expect401(res: Response, reason: string): Promise<void> {
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Nostr')
      expect(await res.json()).toMatchObject({ error: 'unauthorized', reason, test_mode: true })
    }

    it('accepts a correct header', async () => {
      const url = `${relay.apiUrl}/balance`
      const res = await fetch(url, { headers: { Authorization: await header(url, 'GET') } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({
        pubkey: user.pubkey,
        balances: { TSEED: '0', sat: '0' },
        tseed_value_sat: '0',
        test_mode: true,
      })
    })

    it('refuses a missing header and a wrong scheme', async () => {
      await expect401(await fetch(`${relay.apiUrl}/balance`), 'missing')
      await expect401(
        await fetch(`${relay.apiUrl}/balance`, { headers: { Authorization: 'Bearer abc' } }),
        'scheme',
      )
    })

    it('refuses a header signed for another URL: path, query, port or host', async () => {
      const url = `${relay.apiUrl}/balance`
      const others = [
        `${relay.apiUrl}/history`,
        `${url}?x=1`,
        url.replace(`:${relay.port}`, `:${relay.port + 1}`),
        url.replace('127.0.0.1', 'localhost'),
        url.replace('http:', 'https:'),
      ]
      for (const other of others) {
        await expect401(
          await fetch(url, { headers: { Authorization: await header(other, 'GET') } }),
          'url',
        )
      }
      // The query is part of the URL.
      const h = `${relay.apiUrl}/history?limit=5`
      await expect401(
        await fetch(`${relay.apiUrl}/history?limit=6`, {
          headers: { Authorization: await header(h, 'GET') },
        }),
        'url',
      )
    })

    it('refuses a header signed for another method', async () => {
      const url = `${relay.apiUrl}/deposit`
      const body = JSON.stringify({ amount_sat: '1000' })
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { Authorization: await header(url, 'GET') },
      })
      // A body without a payload tag fails too; the method check comes first.
      await expect401(res, 'method')
    })

    it('refuses a tampered body', async () => {
      const url = `${relay.apiUrl}/deposit`
      const signed = JSON.stringify({ amount_sat: '1000' })
      const res = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ amount_sat: '9000' }),
        headers: { Authorization: await header(url, 'POST', signed) },
      })
      await expect401(res, 'payload')
      expect(relay.ledger.history(user.pubkey, 10)).toEqual([])
    })

    it('refuses a stale and a future header', async () => {
      const url = `${relay.apiUrl}/balance`
      const now = Math.floor(Date.now() / 1000)
      await expect401(
        await fetch(url, {
          headers: { Authorization: await header(url, 'GET', undefined, now - 120) },
        }),
        'timestamp',
      )
      await expect401(
        await fetch(url, {
          headers: { Authorization: await header(url, 'GET', undefined, now + 120) },
        }),
        'timestamp',
      )
    })

    it('refuses a replayed header, on reads and writes alike', async () => {
      const url = `${relay.apiUrl}/balance`
      const h = await header(url, 'GET')
      expect((await fetch(url, { headers: { Authorization: h } })).status).toBe(200)
      await expect401(await fetch(url, { headers: { Authorization: h } }), 'replay')

      const swapUrl = `${relay.apiUrl}/swap`
      const body = JSON.stringify({ side: 'sat_to_tseed', amount_in: '1', min_out: '0' })
      const sh = await header(swapUrl, 'POST', body)
      const first = await fetch(swapUrl, { method: 'POST', body, headers: { Authorization: sh } })
      expect(first.status).toBe(402)
      await expect401(
        await fetch(swapUrl, { method: 'POST', body, headers: { Authorization: sh } }),
        'replay',
      )
    })

    it('refuses a bad signature', async () => {
      const url = `${relay.apiUrl}/balance`
      const h = await header(url, 'GET')
      const ev = JSON.parse(Buffer.from(h.slice(6), 'base64').toString()) as { sig: string }
      ev.sig = (ev.sig[0] === 'a' ? 'b' : 'a') + ev.sig.slice(1)
      const forged = `Nostr ${Buffer.from(JSON.stringify(ev)).toString('base64')}`
      await expect401(await fetch(url, { headers: { Authorization: forged } }), 'signature')
    })

    it('checks bodies only after authentication, then refuses bad JSON and oversized bodies', async () => {
      const url = `${relay.apiUrl}/swap`
      const body = '{"side":'
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { Authorization: await header(url, 'POST', body) },
      })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'invalid_json' })
      const big = JSON.stringify({ side: 'x'.repeat(20_000) })
      const large = await fetch(url, {
        method: 'POST',
        body: big,
        headers: { Authorization: await header(url, 'POST', big) },
      })
      expect(large.status).toBe(413)
      expect(await large.json()).toMatchObject({ error: 'body_too_large' })
    })

    it('refuses JSON numbers for amounts', async () => {
      const url = `${relay.apiUrl}/deposit`
      const body = JSON.stringify({ amount_sat: 1000 })
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { Authorization: await header(url, 'POST', body) },
      })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({
        error: 'invalid_amount',
        message: expect.stringMatching(/decimal string/) as unknown,
      })
    })
  })

  describe('balance and history', () => {
    it('values TSEED at the pool quote and lists the postings newest first', async () => {
      const user = await fundedUser(relay, 20_000n)
      const swapped = await user.api.swap({ side: 'sat_to_tseed', amountIn: 5_000n, minOut: 0n })
      const b = await user.api.balance()
      expect(b.balances).toEqual({ tseed: swapped.amountOut, sat: 15_000n })
      const pool = relay.ledger.pool()!
      expect(b.tseedValueSat).toBe(quoteSwap(pool, 'tseed_to_sat', swapped.amountOut).amountOut)
      expect(b.testMode).toBe(true)

      const h = await user.api.history()
      expect(h.map((e) => e.kind)).toEqual(['swap', 'deposit'])
      expect(h[0]!.change).toEqual({ tseed: swapped.amountOut, sat: -5_000n })
      expect(h[1]!.change).toEqual({ tseed: 0n, sat: 20_000n })
      expect(await user.api.history(1)).toHaveLength(1)
      const bad = await apiError(user.api.history(0))
      expect([bad.status, bad.code]).toEqual([400, 'invalid_query'])
    })
  })

  describe('deposits', () => {
    it('issues an invoice bound to the caller and credits it exactly once, however often polled', async () => {
      const user = newUser(relay)
      const d = await user.api.createDeposit({ amountSat: 7_000n })
      expect(d).toMatchObject({ amountSat: 7_000n, state: 'pending', swap: null, testMode: true })
      const inv = decodeInvoice(d.invoice)
      expect(inv.paymentHash).toBe(d.paymentHash)
      expect(inv.amountMsat).toBe(7_000_000n)
      expect(inv.description).toMatch(/^\[TEST MODE\] TSEED deposit/)

      const polls = await Promise.all([
        user.api.deposit(d.paymentHash),
        user.api.deposit(d.paymentHash),
      ])
      for (const p of polls) expect(p).toMatchObject({ state: 'credited', creditedSat: 7_000n })
      expect((await user.api.deposit(d.paymentHash)).state).toBe('credited')
      await relay.sweep()
      expect((await user.api.balance()).balances.sat).toBe(7_000n)
      expect((await user.api.history()).filter((e) => e.kind === 'deposit')).toHaveLength(1)

      // Someone else's payment hash is unknown to them.
      const other = newUser(relay)
      const e = await apiError(other.api.deposit(d.paymentHash))
      expect([e.status, e.code]).toEqual([404, 'not_found'])
    })

    it('swaps a deposit to TSEED with min_out', async () => {
      const user = newUser(relay)
      const pool = relay.ledger.pool()!
      const expected = quoteSwap(pool, 'sat_to_tseed', 4_000n).amountOut
      const d = await user.api.createDeposit({ amountSat: 4_000n, swapMinOut: expected })
      const done = await user.api.deposit(d.paymentHash)
      expect(done.swap).toEqual({ minOut: expected, state: 'done', amountOut: expected })
      expect((await user.api.balance()).balances).toEqual({ tseed: expected, sat: 0n })
    })

    it('keeps the sats credited when the swap misses min_out after the price moved', async () => {
      const user = newUser(relay)
      const expected = quoteSwap(relay.ledger.pool()!, 'sat_to_tseed', 3_000n).amountOut
      const d = await user.api.createDeposit({ amountSat: 3_000n, swapMinOut: expected })
      // Another user buys TSEED first; the price of TSEED rises.
      const whale = await fundedUser(relay, 500_000n)
      await whale.api.swap({ side: 'sat_to_tseed', amountIn: 400_000n, minOut: 0n })
      const done = await user.api.deposit(d.paymentHash)
      expect(done.state).toBe('credited')
      expect(done.swap).toMatchObject({ state: 'failed', amountOut: null })
      expect(done.swap?.message).toMatch(/sats stay credited.*would receive/)
      expect((await user.api.balance()).balances).toEqual({ tseed: 0n, sat: 3_000n })
      // Polling again does not retry the swap at the new price.
      expect((await user.api.deposit(d.paymentHash)).swap?.state).toBe('failed')
    })

    it('refuses up front a swap that already misses min_out, and bad amounts', async () => {
      const user = newUser(relay)
      const e = await apiError(user.api.createDeposit({ amountSat: 1_000n, swapMinOut: 10n ** 9n }))
      expect([e.status, e.code]).toEqual([409, 'slippage'])
      const zero = await apiError(user.api.createDeposit({ amountSat: 0n }))
      expect([zero.status, zero.code]).toEqual([400, 'invalid_amount'])
      const huge = await apiError(user.api.createDeposit({ amountSat: 10n ** 12n }))
      expect([huge.status, huge.code]).toEqual([400, 'amount_out_of_range'])
    })
  })

  describe('swaps', () => {
    it('swaps both ways, and refuses slippage (409) and missing funds (402) without moving anything', async () => {
      const user = await fundedUser(relay, 10_000n)
      const quote = await user.api.quote({ side: 'sat_to_tseed', amountIn: 2_000n })
      const s = await user.api.swap({
        side: 'sat_to_tseed',
        amountIn: 2_000n,
        minOut: quote.amountOut,
      })
      expect(s).toMatchObject({
        amountOut: quote.amountOut,
        replayed: false,
        balances: { tseed: quote.amountOut, sat: 8_000n },
      })

      const before = await user.api.balance()
      const poolBefore = relay.ledger.pool()
      const slip = await apiError(
        user.api.swap({ side: 'tseed_to_sat', amountIn: 1_000n, minOut: 10_000n }),
      )
      expect([slip.status, slip.code]).toEqual([409, 'slippage'])
      const poor = await apiError(
        user.api.swap({ side: 'sat_to_tseed', amountIn: 9_000n, minOut: 0n }),
      )
      expect([poor.status, poor.code, poor.need, poor.have, poor.currency]).toEqual([
        402,
        'insufficient_funds',
        9_000n,
        8_000n,
        'sat',
      ])
      expect((await user.api.balance()).balances).toEqual(before.balances)
      expect(relay.ledger.pool()).toEqual(poolBefore)

      const back = await user.api.swap({
        side: 'tseed_to_sat',
        amountIn: quote.amountOut,
        minOut: 1n,
      })
      expect(back.balances.tseed).toBe(0n)
    })

    it('replays a swap with the same ref instead of swapping twice', async () => {
      const user = await fundedUser(relay, 5_000n)
      const a = await user.api.swap({
        side: 'sat_to_tseed',
        amountIn: 1_000n,
        minOut: 0n,
        ref: 'buy-1',
      })
      const b = await user.api.swap({
        side: 'sat_to_tseed',
        amountIn: 1_000n,
        minOut: 0n,
        ref: 'buy-1',
      })
      expect(b).toMatchObject({ replayed: true, amountOut: a.amountOut })
      expect((await user.api.balance()).balances.sat).toBe(4_000n)
      const clash = await apiError(
        user.api.swap({ side: 'sat_to_tseed', amountIn: 2_000n, minOut: 0n, ref: 'buy-1' }),
      )
      expect([clash.status, clash.code]).toEqual([409, 'duplicate_reference'])
    })

    it('refuses malformed swaps with 400', async () => {
      const user = newUser(relay)
      const url = `${relay.apiUrl}/swap`
      for (const payload of [
        { side: 'sat_to_tseed', amount_in: '10' },
        { side: 'up', amount_in: '10', min_out: '0' },
        { side: 'sat_to_tseed', amount_in: '0', min_out: '0' },
        { side: 'sat_to_tseed', amount_in: '10', min_out: '0', slippage: '1' },
        { side: 'sat_to_tseed', amount_in: '10', min_out: '0', ref: 'has space' },
      ]) {
        const res = await signedPost(url, JSON.stringify(payload), user.sign)
        expect(res.status).toBe(400)
        expect(await res.json()).toMatchObject({
          error: expect.any(String) as unknown,
          message: expect.any(String) as unknown,
          test_mode: true,
        })
      }
    })
  })

  describe('spending limits', () => {
    it('sets, reads and clears limits through the client', async () => {
      const user = newUser(relay)
      const none = {
        pubkey: user.pubkey,
        perHour: null,
        perDay: null,
        chargedLastHour: 0n,
        chargedLastDay: 0n,
        testMode: true,
      }
      expect(await user.api.getLimits()).toEqual(none)
      expect(await user.api.setLimits({ perHour: 200n, perDay: 0n })).toEqual({
        ...none,
        perHour: 200n,
        perDay: 0n,
      })
      expect(await user.api.getLimits()).toMatchObject({ perHour: 200n, perDay: 0n })
      // Another key's limits are its own.
      expect(await newUser(relay).api.getLimits()).toMatchObject({ perHour: null, perDay: null })
      expect(await user.api.setLimits({ perHour: null, perDay: null })).toEqual(none)
    })

    it('refuses a malformed body with 400 naming the field, and needs NIP-98', async () => {
      const user = newUser(relay)
      await user.api.setLimits({ perHour: 7n, perDay: null })
      const url = `${relay.apiUrl}/limits`
      const post = async (body: string) => {
        const res = await signedPost(url, body, user.sign)
        return { status: res.status, body: (await res.json()) as Record<string, unknown> }
      }
      for (const [body, error, field] of [
        ['{"per_hour":"10"}', 'missing_field', 'per_day'],
        ['{"per_hour":10,"per_day":null}', 'invalid_amount', 'per_hour'],
        ['{"per_hour":null,"per_day":"-1"}', 'invalid_amount', 'per_day'],
        ['{"per_hour":"1e3","per_day":null}', 'invalid_amount', 'per_hour'],
        ['{"per_hour":null,"per_day":"4611686018427387905"}', 'amount_out_of_range', 'per_day'],
        ['{"per_hour":null,"per_day":null,"per_week":"1"}', 'unknown_field', 'per_week'],
      ] as const) {
        const res = await post(body)
        expect(res.status, body).toBe(400)
        expect(res.body, body).toMatchObject({ error, test_mode: true })
        expect(res.body.message, body).toContain(field)
      }
      expect((await post('[]')).body).toMatchObject({ error: 'invalid_json' })
      expect(await user.api.getLimits()).toMatchObject({ perHour: 7n, perDay: null })

      const anonymous = await fetch(url)
      expect(anonymous.status).toBe(401)
      const wrong = await fetch(url, { method: 'PUT', body: '{}' })
      expect(wrong.status).toBe(405)
      expect(wrong.headers.get('allow')).toBe('GET, POST, OPTIONS')
    })
  })

  describe('withdrawals', () => {
    it('pays an invoice, refunds the unused fee reserve, and never pays the same invoice twice', async () => {
      const user = await fundedUser(relay, 10_000n)
      const inv = foreignInvoice(3_000n)
      const paymentsBefore = lightning.payments
      const w = await user.api.withdraw({ invoice: inv.invoice, maxFeeSat: 50n })
      expect(w).toMatchObject({
        paymentHash: inv.paymentHash,
        state: 'completed',
        amountSat: 3_000n,
        feeReserveSat: 50n,
        feePaidSat: 0n,
        testMode: true,
      })
      expect((await user.api.balance()).balances.sat).toBe(7_000n)

      const again = await Promise.all([
        user.api.withdraw({ invoice: inv.invoice, maxFeeSat: 50n }),
        user.api.withdraw({ invoice: inv.invoice }),
      ])
      for (const a of again) expect(a.state).toBe('completed')
      expect(lightning.payments).toBe(paymentsBefore + 1)
      expect((await user.api.balance()).balances.sat).toBe(7_000n)
      expect(await user.api.withdrawal(inv.paymentHash)).toMatchObject({ state: 'completed' })

      const thief = await fundedUser(relay, 10_000n)
      const taken = await apiError(thief.api.withdraw({ invoice: inv.invoice }))
      expect([taken.status, taken.code]).toEqual([409, 'invoice_taken'])
      const e = await apiError(thief.api.withdrawal(inv.paymentHash))
      expect(e.status).toBe(404)
    })

    it('refunds everything when the payment fails', async () => {
      const user = await fundedUser(relay, 10_000n)
      const inv = foreignInvoice(4_000n)
      lightning.payErrors.push(new LightningError('PAYMENT_FAILED', 'no route'))
      const e = await apiError(user.api.withdraw({ invoice: inv.invoice }))
      expect([e.status, e.code]).toEqual([502, 'payment_failed'])
      expect(e.details).toMatchObject({
        refunded: true,
        lightning: 'PAYMENT_FAILED',
        withdrawal: { state: 'failed', amount_sat: '4000', fee_reserve_sat: '40' },
      })
      expect((await user.api.balance()).balances.sat).toBe(10_000n)
      expect(await user.api.withdrawal(inv.paymentHash)).toMatchObject({
        state: 'failed',
        detail: 'no route',
      })

      const inv2 = foreignInvoice(1_000n)
      lightning.payErrors.push(
        new LightningError('INSUFFICIENT_BALANCE', 'operator wallet is empty'),
      )
      const e2 = await apiError(user.api.withdraw({ invoice: inv2.invoice }))
      expect([e2.status, e2.code, e2.details.refunded]).toEqual([
        503,
        'lightning_unavailable',
        true,
      ])
      expect((await user.api.balance()).balances.sat).toBe(10_000n)
    })

    it('keeps a payment of unknown fate pending, then reconciles it either way', async () => {
      const user = await fundedUser(relay, 10_000n)
      const paid = foreignInvoice(2_000n)
      lightning.payErrors.push(new LightningError('TIMEOUT', 'no answer'))
      const w = await user.api.withdraw({ invoice: paid.invoice, maxFeeSat: 20n })
      expect(w.state).toBe('pending')
      expect(w.detail).toMatch(/outcome unknown/)
      expect((await user.api.balance()).balances.sat).toBe(10_000n - 2_020n)

      // The wallet says it went out after all: completed, the whole reserve kept.
      lightning.lookups.set(paid.paymentHash, { state: 'settled', amountSat: 2_000n })
      expect(await user.api.withdrawal(paid.paymentHash)).toMatchObject({
        state: 'completed',
        feePaidSat: 20n,
      })
      expect((await user.api.balance()).balances.sat).toBe(10_000n - 2_020n)

      const lost = foreignInvoice(1_000n)
      lightning.payErrors.push(new LightningError('OTHER', 'wallet crashed'))
      expect((await user.api.withdraw({ invoice: lost.invoice, maxFeeSat: 10n })).state).toBe(
        'pending',
      )
      lightning.lookups.set(lost.paymentHash, { state: 'pending', amountSat: 1_000n })
      await relay.sweep()
      expect((await user.api.withdrawal(lost.paymentHash)).state).toBe('pending')
      lightning.lookups.set(lost.paymentHash, { state: 'failed', amountSat: 1_000n })
      await relay.sweep()
      expect(await user.api.withdrawal(lost.paymentHash)).toMatchObject({ state: 'failed' })
      expect((await user.api.balance()).balances.sat).toBe(10_000n - 2_020n)
      expect(relay.ledger.audit().ok).toBe(true)
    })

    it('refuses amountless, expired, wrong-network and own invoices, and short balances', async () => {
      const user = await fundedUser(relay, 1_000n)
      const cases: [string, RegExp][] = [
        [foreignInvoice(undefined).invoice, /no amount/],
        [
          foreignInvoice(100n, {
            timestamp: Math.floor(Date.now() / 1000) - 1000,
            expirySeconds: 60,
          }).invoice,
          /expired/,
        ],
        [foreignInvoice(100n, { network: 'bitcoin' }).invoice, /bitcoin/],
        ['lnbcrt1notaninvoice', /bech32|invoice/],
      ]
      for (const [invoice, message] of cases) {
        const e = await apiError(user.api.withdraw({ invoice }))
        expect([e.status, e.code]).toEqual([422, 'invalid_invoice'])
        expect(e.message).toMatch(message)
      }
      const own = await user.api.createDeposit({ amountSat: 100n })
      const e = await apiError(user.api.withdraw({ invoice: own.invoice }))
      expect([e.status, e.code]).toEqual([422, 'invalid_invoice'])

      const poor = await apiError(user.api.withdraw({ invoice: foreignInvoice(995n).invoice }))
      expect([poor.status, poor.code, poor.need, poor.have]).toEqual([
        402,
        'insufficient_funds',
        1_005n,
        1_000n,
      ])
      expect((await user.api.balance()).balances.sat).toBe(1_000n)
    })
  })

  it('ends with a clean audit', () => {
    const audit = relay.ledger.audit()
    expect(audit.ok).toBe(true)
    expect(audit.sums).toEqual({ TSEED: 0n, sat: 0n })
  })
})

describe('API configuration', () => {
  const running: RunningTseedRelay[] = []
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close()
  })

  it('says so on every endpoint when the pool is empty', async () => {
    const relay = await startQuietRelay({ autoBootstrapDevPool: false })
    running.push(relay)
    const pool = await publicClient(relay).pool()
    expect(pool).toMatchObject({ bootstrapped: false, reserves: null, k: null, spot: null })
    const q = await apiError(publicClient(relay).quote({ side: 'sat_to_tseed', amountIn: 10n }))
    expect([q.status, q.code]).toEqual([503, 'pool_not_bootstrapped'])
    expect(q.message).toMatch(/bootstrap-pool/)
    const user = await fundedUser(relay, 5_000n)
    const s = await apiError(user.api.swap({ side: 'sat_to_tseed', amountIn: 10n, minOut: 0n }))
    expect([s.status, s.code]).toEqual([503, 'pool_not_bootstrapped'])
    const d = await apiError(user.api.createDeposit({ amountSat: 10n, swapMinOut: 0n }))
    expect([d.status, d.code]).toEqual([503, 'pool_not_bootstrapped'])
    expect((await user.api.balance()).tseedValueSat).toBeNull()
  })

  it('rebuilds the public URL from X-Forwarded-* only with trustProxy', async () => {
    const user = newUser({ apiUrl: 'https://relay.example/api/v1' })
    const publicUrl = 'https://relay.example/api/v1/balance'
    const forwarded = async (relay: RunningTseedRelay) =>
      fetch(`${relay.httpUrl}/api/v1/balance`, {
        headers: {
          Authorization: await createAuthHeader({ url: publicUrl, method: 'GET', sign: user.sign }),
          'X-Forwarded-Proto': 'https',
          'X-Forwarded-Host': 'relay.example',
        },
      })
    const trusting = await startQuietRelay({ trustProxy: true, publicUrl: 'https://relay.example' })
    const wary = await startQuietRelay()
    running.push(trusting, wary)
    expect(trusting.apiUrl).toBe('https://relay.example/api/v1')
    expect((await forwarded(trusting)).status).toBe(200)
    const res = await forwarded(wary)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ reason: 'url' })
  })

  it('limits requests per address with 429', async () => {
    const relay = await startQuietRelay({ api: { rateLimit: { burst: 3, perSecond: 0.001 } } })
    running.push(relay)
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${relay.apiUrl}/pool`)).status)
    expect(statuses).toEqual([200, 200, 200, 429, 429])
  })

  it('caps open deposit invoices per pubkey with 429', async () => {
    const lightning = new ScriptedLightning()
    const relay = await startQuietRelay({
      lightning,
      api: { deposits: { maxPendingPerPubkey: 2 } },
    })
    running.push(relay)
    const user = newUser(relay)
    await user.api.createDeposit({ amountSat: 10n })
    await user.api.createDeposit({ amountSat: 10n })
    const e = await apiError(user.api.createDeposit({ amountSat: 10n }))
    expect([e.status, e.code]).toEqual([429, 'too_many_pending_deposits'])
    await lightning.close()
  })
})

describe('NWC backend wired through the command line', () => {
  let nwcRelay: RunningRelay
  let wallet: NwcWalletService
  let cli: RelayProcess | undefined
  let dir: string

  beforeAll(async () => {
    nwcRelay = await startRelay({ host: '127.0.0.1', port: 0, logger: quiet })
    wallet = await NwcWalletService.start({
      relayUrl: nwcRelay.url,
      WebSocket: WebSocket as unknown as WebSocketImplementation,
      balanceMsat: 50_000_000n,
    })
    dir = mkdtempSync(join(tmpdir(), 'tseed-nwc-'))
  })

  afterAll(async () => {
    if (cli !== undefined && cli.child.exitCode === null) cli.child.kill('SIGKILL')
    await wallet.stop()
    await nwcRelay.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('credits a deposit invoice the wallet service issued, once the wallet settles it', async () => {
    const db = join(dir, 'relay.sqlite')
    cli = await spawnRelay(
      [
        '--port',
        '0',
        '--db',
        db,
        '--lightning',
        'nwc',
        '--nwc-timeout',
        '5000',
        '--network',
        'regtest',
      ],
      { env: { ...process.env, TSEED_NWC_URI: wallet.createConnection().uri }, timeoutMs: 15_000 },
    )
    const out = cli.output()
    expect(out).toContain(`lightning: nwc (wallet ${wallet.walletPubkey})`)
    expect(out).toMatch(/pool urn:pool:TSEED:satoshi: empty/)
    expect(out).not.toContain('secret=')
    const { url } = cli
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)

    const info = await discoverTseedApi(url, (u, i) => fetch(u, i))
    expect(info).toMatchObject({ lightning: 'nwc', testMode: false })
    const user = newUser({ apiUrl: info!.apiUrl })

    const d = await user.api.createDeposit({ amountSat: 2_500n })
    expect(d.testMode).toBe(false)
    expect(decodeInvoice(d.invoice).description).toMatch(/^TSEED deposit of 2500 sat/)
    expect(wallet.handled.some((h) => h.method === 'make_invoice')).toBe(true)
    expect((await user.api.deposit(d.paymentHash)).state).toBe('pending')

    wallet.settleInvoice(d.paymentHash)
    const credited = await user.api.deposit(d.paymentHash)
    expect(credited).toMatchObject({ state: 'credited', creditedSat: 2_500n })
    expect((await user.api.deposit(d.paymentHash)).creditedSat).toBe(2_500n)
    expect((await user.api.balance()).balances).toEqual({ tseed: 0n, sat: 2_500n })

    // With nwc the pool stays empty until the operator funds it.
    const s = await apiError(user.api.swap({ side: 'sat_to_tseed', amountIn: 100n, minOut: 0n }))
    expect(s.code).toBe('pool_not_bootstrapped')

    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })
})

/** A POST with a raw body and its NIP-98 header, for bodies the typed client would never send. */
async function signedPost(url: string, body: string, sign: TestUser['sign']): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    body,
    headers: {
      Authorization: await createAuthHeader({
        url,
        method: 'POST',
        body: new TextEncoder().encode(body),
        sign,
      }),
    },
  })
}
