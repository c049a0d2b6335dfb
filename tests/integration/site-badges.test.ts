/**
 * The torrent-site badges against the real TSEED relay, rarity rule on and
 * torrent index on: the background's lookup counts each swarm from the REQ
 * answer and prices it locally, and every figure must equal what the relay's
 * own `GET /price/{ih}?bytes=` says, the price the ledger charges.
 */
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { readRelayInfo } from '../../src/balance/api-client'
import { DEFAULT_RARITY } from '../../src/balance/pricing'
import type { WebSocketImplementation } from '../../src/nostr/nwc-client'
import { createSiteBadges } from '../../src/background/site-badges'
import type { SiteBadgesAnswer } from '../../src/background/site-badges/protocol'
import { createTseedRelayDirectory } from '../../src/background/tseed-relays'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import {
  connectNostr,
  publicClient,
  publish,
  signAnnounce,
  startQuietRelay,
} from '../support/tseed-relay'

const SCARCE = 'a1'.repeat(20)
const HEALTHY = 'b2'.repeat(20)
const EMPTY = 'c3'.repeat(20)
let relay: RunningTseedRelay
let conn: AbstractRelay

beforeAll(async () => {
  relay = await startQuietRelay({
    pricing: { baseTokensPerMB: 3n, rarity: DEFAULT_RARITY },
    torrentIndex: true,
  })
  conn = await connectNostr(relay.url)
  const keys = Array.from({ length: 8 }, () => generateSecretKey())
  // SCARCE: one seeder, five leechers (fewer than one seeder per four): ×2.
  // HEALTHY: two seeders and one leecher: ×1.
  const plan: [string, number, bigint][] = [
    [SCARCE, 0, 0n],
    ...[1, 2, 3, 4, 5].map((k): [string, number, bigint] => [SCARCE, k, 500n]),
    [HEALTHY, 6, 0n],
    [HEALTHY, 7, 0n],
    [HEALTHY, 1, 9n],
  ]
  for (const [infoHash, k, left] of plan) {
    const r = await publish(conn, signAnnounce(keys[k]!, { infoHash, left }))
    expect(r).toEqual({ ok: true, message: '' })
  }
  const meta = finalizeEvent(
    {
      kind: 2003,
      created_at: Math.floor(Date.now() / 1000),
      tags: [
        ['title', 'Scarce swarm'],
        ['x', SCARCE],
        ['file', 'a.bin', '7000001'],
      ],
      content: 'A test torrent',
    },
    generateSecretKey(),
  )
  expect(await publish(conn, JSON.parse(JSON.stringify(meta)) as NostrEvent)).toEqual({
    ok: true,
    message: '',
  })
})

afterAll(async () => {
  conn.close()
  await relay.close()
})

describe('site badges against the TSEED relay', () => {
  it('publishes kind 2003 in NIP-11 when the torrent index is on', async () => {
    const info = (await fetch(relay.httpUrl, {
      headers: { Accept: 'application/nostr+json' },
    }).then((r) => r.json())) as { supported_nips: number[]; tseed: { kinds: number[] } }
    expect(info.supported_nips).toContain(35)
    expect(info.tseed.kinds).toEqual([21000, 2003])
    expect((await readRelayInfo(relay.url, (u, i) => fetch(u, i))).tseed?.reqLimits).toEqual({
      maxMessageLength: 131072,
      maxLimit: 500,
    })
  })

  it('counts, prices and quotes every swarm exactly as the relay charges', async () => {
    const priceCalls: string[] = []
    const routes = createSiteBadges({
      ready: Promise.resolve(),
      relays: () => Promise.resolve([relay.url]),
      decisions: { get: () => Promise.resolve(undefined), decide: () => Promise.resolve() },
      onBlocked: () => Promise.resolve(),
      balance: () => Promise.resolve(1_000n),
      directory: createTseedRelayDirectory({ fetch: (u, i) => fetch(u, i), now: () => Date.now() }),
      fetch: (u, i) => {
        if (u.includes('/price/')) priceCalls.push(u)
        return fetch(u, i)
      },
      WebSocket: WebSocket as unknown as WebSocketImplementation,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => {
        clearTimeout(h as ReturnType<typeof setTimeout>)
      },
      now: () => Date.now(),
    })
    const ctx = { tabId: 1, url: 'https://idx.example/', origin: 'https://idx.example' }
    const answer = (await routes.siteBadges(
      {
        links: [
          { infoHash: SCARCE },
          { infoHash: HEALTHY, bytes: '2500000' },
          { infoHash: EMPTY, bytes: '1' },
        ],
      },
      ctx,
    )) as Extract<SiteBadgesAnswer, { enabled: true }>
    expect(answer).toMatchObject({
      enabled: true,
      relays: 1,
      answered: 1,
      balance: '1000',
      testMode: true,
    })
    // One price request for the whole page, whatever the number of links.
    expect(priceCalls).toHaveLength(1)

    const api = publicClient(relay)
    const [scarce, healthy, empty] = answer.swarms
    const sizes = [7_000_001n, 2_500_000n, 1n]
    for (const [i, badge] of [scarce!, healthy!, empty!].entries()) {
      const p = await api.price(badge.infoHash, sizes[i])
      expect(badge.seeders).toBe(p.seeders)
      expect(badge.leechers).toBe(p.leechers)
      expect(badge.tokensPerMb).toBe(p.tokensPerMb.toString())
      expect(badge.cost).toBe(p.download?.maxTokens.toString())
      expect(badge.rare).toBe(p.rare)
      expect(badge.exact).toBe(true)
    }
    expect(scarce).toMatchObject({
      seeders: 1,
      leechers: 5,
      tokensPerMb: '6',
      bytes: '7000001',
      bytesFrom: 'nip35',
      cost: '43',
      title: 'Scarce swarm',
    })
    expect(healthy).toMatchObject({ seeders: 2, leechers: 1, tokensPerMb: '3', cost: '8' })
    expect(empty).toMatchObject({ seeders: 0, leechers: 0, title: null })
  })
})
