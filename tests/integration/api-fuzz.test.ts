/**
 * The relay's HTTP API under random and mutated requests: every route, with
 * missing, malformed and forged NIP-98 headers, wrong methods and content
 * types, bad and huge bodies. Every answer must be a documented JSON error or
 * a success, never a 500 or a crash. `FUZZ_SEED=<n>` replays a run.
 */
import { connect } from 'node:net'
import { finalizeEvent } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_BODY_BYTES } from '../../relay/src/api/http'
import { apiRequestGenerator } from '../../relay/src/fuzz/api-requests'
import { runApiFuzz } from '../../relay/src/fuzz/api-fuzzer'
import { fuzzSeed, seeded } from '../../relay/src/fuzz/prng'
import { probeRelay } from '../../relay/src/fuzz/probe'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { newUser, startQuietRelay, type TestUser } from '../support/tseed-relay'

const SEED = fuzzSeed()
const SLICES = 3
const REQUESTS_PER_SLICE = 1_000

let relay: RunningTseedRelay
let funded: TestUser

beforeAll(async () => {
  console.info(`API fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it)`)
  relay = await startQuietRelay({
    // The rate limit is exercised by its own test; here it would answer 429 to most requests.
    api: { rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } },
  })
  funded = newUser(relay)
  const d = await funded.api.createDeposit({ amountSat: 50_000n, swapMinOut: 1n })
  await funded.api.deposit(d.paymentHash)
})

afterAll(() => relay.close())

describe('HTTP API fuzz', () => {
  it(`answers ${SLICES} slices of ${REQUESTS_PER_SLICE} random requests with documented JSON, and keeps serving`, async () => {
    const next = apiRequestGenerator(seeded(SEED), {
      origin: relay.httpUrl,
      sign: (t) => finalizeEvent(t, funded.sk),
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      now: () => Math.floor(Date.now() / 1000),
    })
    for (let slice = 0; slice < SLICES; slice++) {
      const r = await runApiFuzz({
        origin: relay.httpUrl,
        count: REQUESTS_PER_SLICE,
        parallel: 8,
        next,
      })
      console.info(
        `API slice ${slice}: ${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s, answers ${JSON.stringify(r.answers)}`,
      )
      expect(r.examples, `seed ${SEED}`).toEqual([])
      expect(r.violations).toBe(0)
      expect((await fetch(`${relay.apiUrl}/pool`)).status).toBe(200)
      await expect(probeRelay(relay.url)).resolves.toBeGreaterThan(0)
    }
    expect(relay.ledger.audit().ok).toBe(true)
  }, 60_000)

  // What the fuzz found: each of these was a 500 (or Node's bare status line) before.
  it('answers absolute-form targets, a bad Host, oversized headers and junk with JSON 400/431', async () => {
    const { port } = new URL(relay.httpUrl)
    const raw = (request: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve) => {
        const s = connect(Number(port), '127.0.0.1', () => s.write(request))
        let out = ''
        s.on('data', (d: Buffer) => (out += d.toString('latin1')))
        s.on('close', () => {
          // The JSON object, with or without chunked framing around it.
          const body = out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)
          resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0), body })
        })
      })
    const cases: [string, number, string][] = [
      ['GET http://127.0.0.1/api/v1/pool HTTP/1.1\r\nHost: 127.0.0.1\r\n', 400, 'bad_request'],
      ['GET http://[x/api/v1/pool HTTP/1.1\r\nHost: 127.0.0.1\r\n', 400, 'bad_request'],
      ['GET /api/v1/pool HTTP/1.1\r\nHost: [\r\n', 400, 'bad_request'],
      [
        `GET /api/v1/pool HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n`,
        431,
        'headers_too_large',
      ],
      ['BREW /api/v1/pool HTTP/1.1\r\nHost: x\r\n', 400, 'bad_request'],
    ]
    for (const [head, status, error] of cases) {
      const r = await raw(`${head}Connection: close\r\n\r\n`)
      expect(r.status, head.slice(0, 40)).toBe(status)
      expect(JSON.parse(r.body), head.slice(0, 40)).toMatchObject({ error })
    }
    expect((await fetch(`${relay.apiUrl}/pool`)).status).toBe(200)
  })
})
