import { describe, expect, it } from 'vitest'
import type { FetchLike } from '../../balance/api-client'
import { createRelayPricing } from './relay-pricing'

const API = 'https://relay.example/api/v1'
const IH = 'c'.repeat(40)

function priceAnswer(fields: Record<string, unknown>) {
  return {
    info_hash: IH,
    tokens_per_mb: '3',
    base_tokens_per_mb: '3',
    multiplier: '1',
    rare: false,
    rarity_rule: false,
    rarity: null,
    bytes_per_mb: '1000000',
    seeders: 0,
    leechers: 0,
    escrow: { held: '0', claimed: '0' },
    test_mode: true,
    ...fields,
  }
}

function fetchFrom(...bodies: unknown[]): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = []
  return {
    urls,
    fetch: (url) => {
      urls.push(url)
      const body = bodies.shift()
      return Promise.resolve(
        body === undefined
          ? new Response('{"error":"internal","message":"down"}', { status: 500 })
          : new Response(JSON.stringify(body), { status: 200 }),
      )
    },
  }
}

describe('createRelayPricing', () => {
  it('reads the whole config from one price answer and asks again only after a minute', async () => {
    let now = 0
    const rule = { leechers_per_seeder: 4, scarce_multiplier: '2', no_seeder_multiplier: '4' }
    const { fetch, urls } = fetchFrom(
      priceAnswer({ rarity_rule: true, rarity: rule }),
      priceAnswer({}),
    )
    const pricing = createRelayPricing({ fetch, now: () => now })
    const first = await Promise.all([pricing.config(API, IH), pricing.config(API, 'd'.repeat(40))])
    expect(first[0]).toEqual({
      ok: true,
      testMode: true,
      config: {
        baseTokensPerMB: 3n,
        rarity: { leechersPerSeeder: 4, scarceMultiplier: 2n, noSeederMultiplier: 4n },
      },
    })
    expect(first[1]).toBe(first[0])
    expect(urls).toEqual([`${API}/price/${IH}`])
    now = 59_999
    await pricing.config(API, IH)
    expect(urls).toHaveLength(1)
    now = 60_000
    expect(await pricing.config(API, IH)).toMatchObject({ ok: true, config: { rarity: null } })
    expect(urls).toHaveLength(2)
  })

  it('says so when the rule is on but its parameters are not published', async () => {
    const { fetch } = fetchFrom(priceAnswer({ rarity_rule: true, rarity: undefined }))
    expect(await createRelayPricing({ fetch, now: () => 0 }).config(API, IH)).toMatchObject({
      ok: false,
      unpublished: true,
    })
  })

  it('remembers a failure for 15 s so a dead API is not asked for every page', async () => {
    let now = 0
    const { fetch, urls } = fetchFrom()
    const pricing = createRelayPricing({ fetch, now: () => now })
    expect(await pricing.config(API, IH)).toMatchObject({ ok: false, error: 'down' })
    now = 14_999
    await pricing.config(API, IH)
    expect(urls).toHaveLength(1)
    now = 15_000
    await pricing.config(API, IH)
    expect(urls).toHaveLength(2)
  })
})
