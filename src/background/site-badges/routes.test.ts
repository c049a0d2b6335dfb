import { describe, expect, it } from 'vitest'
import type { SiteRule } from '../consent/site-decisions'
import type { ContentContext } from '../content-router'
import { RouteParamsError } from '../route-params'
import { createSiteBadgeRoutes, lookupCost, LOOKUP_RATE, parseLinks } from './routes'
import type { RelayLookup, SwarmLookup } from './swarm-lookup'
import { createTabRateLimiter } from './tab-rate-limit'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const CTX: ContentContext = {
  tabId: 3,
  url: 'https://idx.example/top',
  origin: 'https://idx.example',
}

function setup(opts: { rule?: SiteRule; balance?: bigint | null } = {}) {
  const asked: { relays: readonly string[]; hashes: readonly string[] }[] = []
  const decided: [string, string][] = []
  const blocked: string[] = []
  const lookup: SwarmLookup = {
    lookup: (relays, hashes) => {
      asked.push({ relays, hashes })
      const answer: RelayLookup = {
        relay: 'ws://r',
        ok: true,
        testMode: true,
        pricing: { ok: true, testMode: true, config: { baseTokensPerMB: 1n, rarity: null } },
        swarms: new Map(hashes.map((h) => [h, { peers: [], torrents: [], complete: true }])),
      }
      return Promise.resolve([answer])
    },
  }
  const routes = createSiteBadgeRoutes({
    ready: Promise.resolve(),
    relays: () => Promise.resolve(['ws://r']),
    decisions: {
      get: () => Promise.resolve(opts.rule),
      decide: (origin, decision) => {
        decided.push([origin, decision])
        return Promise.resolve()
      },
    },
    onBlocked: (origin) => {
      blocked.push(origin)
      return Promise.resolve()
    },
    lookup,
    balance: () => Promise.resolve(opts.balance === undefined ? 100n : opts.balance),
    limiter: createTabRateLimiter({ ...LOOKUP_RATE, now: () => 0 }),
    now: () => 1_700_000_000_000,
  })
  return { routes, asked, decided, blocked }
}

describe('parseLinks', () => {
  it('keeps each info hash once, with the first size given', () => {
    expect(
      parseLinks({
        links: [{ infoHash: A, bytes: '10' }, { infoHash: B }, { infoHash: A, bytes: '20' }],
      }),
    ).toEqual([{ infoHash: A, bytes: 10n }, { infoHash: B }])
  })

  it.each([
    [undefined],
    [{}],
    [{ links: [] }],
    [{ links: 'x' }],
    [{ links: Array.from({ length: 1001 }, () => ({ infoHash: A })) }],
    [{ links: [null] }],
    [{ links: [{ infoHash: A.toUpperCase() }] }],
    [{ links: [{ infoHash: `${A}0` }] }],
    [{ links: [{ infoHash: A, bytes: 10 }] }],
    [{ links: [{ infoHash: A, bytes: '-1' }] }],
    [{ links: [{ infoHash: A, bytes: '18446744073709551616' }] }],
  ])('refuses %j', (params) => {
    expect(() => parseLinks(params)).toThrow(RouteParamsError)
  })

  it('takes exactly 1,000 links', () => {
    const links = Array.from({ length: 1000 }, (_, i) => ({
      infoHash: i.toString(16).padStart(40, '0'),
    }))
    expect(parseLinks({ links })).toHaveLength(1000)
  })
})

describe('createSiteBadgeRoutes', () => {
  it('answers with the badges, the balance and the relays asked', async () => {
    const { routes, asked } = setup()
    const r = await routes.siteBadges({ links: [{ infoHash: A, bytes: '1500000' }] }, CTX)
    expect(asked).toEqual([{ relays: ['ws://r'], hashes: [A] }])
    expect(r).toEqual({
      enabled: true,
      relays: 1,
      answered: 1,
      balance: '100',
      testMode: true,
      swarms: [
        {
          infoHash: A,
          seeders: 0,
          leechers: 0,
          tokensPerMb: '1',
          rare: false,
          bytes: '1500000',
          bytesFrom: 'magnet',
          cost: '2',
          title: null,
          exact: true,
        },
      ],
    })
  })

  it('tells the content script to stop on a site the user blocked, asking no relay', async () => {
    const { routes, asked } = setup({ rule: { decision: 'block', decidedAt: 1 } })
    expect(await routes.siteBadges({ links: [{ infoHash: A }] }, CTX)).toEqual({ enabled: false })
    expect(asked).toEqual([])
  })

  it('shows badges on an allowed site too, with no balance when none is known', async () => {
    const { routes } = setup({ rule: { decision: 'allow', decidedAt: 1 }, balance: null })
    const r = await routes.siteBadges({ links: [{ infoHash: A }] }, CTX)
    expect(r).toMatchObject({ enabled: true, balance: null })
  })

  it('limits a tab to three full pages at once, then says when to come back', async () => {
    const { routes } = setup()
    const full = {
      links: Array.from({ length: 1000 }, (_, i) => ({
        infoHash: i.toString(16).padStart(40, '0'),
      })),
    }
    expect(lookupCost(1000)).toBe(11)
    for (let i = 0; i < 3; i++) await routes.siteBadges(full, CTX)
    await expect(routes.siteBadges(full, CTX)).rejects.toThrow('rate limited: try again in 22 s')
    // Another tab has its own bucket.
    await expect(routes.siteBadges(full, { ...CTX, tabId: 4 })).resolves.toMatchObject({
      enabled: true,
    })
  })

  it('blocks the sender’s own site when asked to turn off, whatever the params say', async () => {
    const { routes, decided, blocked } = setup()
    expect(await routes.siteBadgesOff({ origin: 'https://victim.example' }, CTX)).toEqual({
      off: true,
    })
    expect(decided).toEqual([['https://idx.example', 'block']])
    expect(blocked).toEqual(['https://idx.example'])
  })
})
