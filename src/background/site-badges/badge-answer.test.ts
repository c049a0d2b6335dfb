import { describe, expect, it } from 'vitest'
import { DEFAULT_RARITY, type PricingConfig } from '../../balance/pricing'
import type { PeerAnnounce } from '../../nostr/swarm-stats'
import { composeBadges } from './badge-answer'
import type { RelayLookup, RelaySwarm } from './swarm-lookup'

const NOW = 1_700_000_000
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const pk = (n: number) => n.toString(16).padStart(64, '0')
let n = 0
const peer = (pubkey: string, left: bigint, infoHash = A): PeerAnnounce => ({
  pubkey,
  infoHash,
  session: '',
  createdAt: NOW - 60,
  id: (++n).toString(16).padStart(64, '0'),
  left,
  stopped: false,
})

function relay(
  url: string,
  swarms: Record<string, Partial<RelaySwarm>>,
  config: PricingConfig | null = { baseTokensPerMB: 1n, rarity: null },
): RelayLookup {
  return {
    relay: url,
    ok: true,
    testMode: true,
    pricing: config === null ? { ok: false, error: 'down' } : { ok: true, config, testMode: true },
    swarms: new Map(
      Object.entries(swarms).map(([ih, s]) => [
        ih,
        { peers: [], torrents: [], complete: true, ...s },
      ]),
    ),
  }
}

describe('composeBadges', () => {
  it('counts, prices from the counts and quotes the whole download', () => {
    const rarity = { baseTokensPerMB: 1n, rarity: DEFAULT_RARITY }
    // One seeder, five leechers: scarce, so the rarity rule doubles the price.
    const peers = [peer(pk(1), 0n), ...[2, 3, 4, 5, 6].map((i) => peer(pk(i), 10n))]
    const [badge] = composeBadges(
      [{ infoHash: A, bytes: 2_500_000n }],
      [relay('wss://one', { [A]: { peers } }, rarity)],
      NOW,
    )
    expect(badge).toEqual({
      infoHash: A,
      seeders: 1,
      leechers: 5,
      tokensPerMb: '2',
      rare: true,
      bytes: '2500000',
      bytesFrom: 'magnet',
      cost: '5',
      title: null,
      exact: true,
    })
  })

  it('counts a key on two relays once but adds up what each relay charges', () => {
    const both = peer(pk(1), 0n)
    const badges = composeBadges(
      [{ infoHash: A, bytes: 1_000_001n }],
      [
        relay('wss://one', { [A]: { peers: [both, peer(pk(2), 5n)] } }),
        relay('wss://two', { [A]: { peers: [both] } }, { baseTokensPerMB: 3n, rarity: null }),
      ],
      NOW,
    )
    expect(badges[0]).toMatchObject({ seeders: 1, leechers: 1, tokensPerMb: '4', cost: '6' })
  })

  it('takes the size and title from NIP-35 events, and no size when they disagree', () => {
    const badges = composeBadges(
      [{ infoHash: A }, { infoHash: B }],
      [
        relay('wss://one', {
          [A]: { torrents: [{ infoHash: A, files: 1, size: 3_000_000n, title: 'Debian' }] },
          [B]: {
            torrents: [
              { infoHash: B, files: 1, size: 1n },
              { infoHash: B, files: 1, size: 2n, title: 'Older title' },
            ],
          },
        }),
      ],
      NOW,
    )
    expect(badges[0]).toMatchObject({
      bytes: '3000000',
      bytesFrom: 'nip35',
      cost: '3',
      title: 'Debian',
    })
    expect(badges[1]).toMatchObject({
      bytes: null,
      bytesFrom: null,
      cost: null,
      title: 'Older title',
    })
  })

  it('shows no price when a relay’s pricing is unknown, and marks partial answers inexact', () => {
    const badges = composeBadges(
      [{ infoHash: A, bytes: 5n }, { infoHash: B }],
      [
        relay('wss://one', { [A]: {}, [B]: { complete: false } }, null),
        { relay: 'wss://down', ok: false, error: 'timeout' },
      ],
      NOW,
    )
    expect(badges[0]).toMatchObject({
      seeders: 0,
      leechers: 0,
      tokensPerMb: null,
      cost: null,
      exact: false,
    })
    expect(badges[1]!.exact).toBe(false)
  })

  it('has no counts at all when no relay answered', () => {
    const [badge] = composeBadges(
      [{ infoHash: A }],
      [{ relay: 'wss://x', ok: false, error: 'e' }],
      NOW,
    )
    expect(badge).toMatchObject({ seeders: null, leechers: null, tokensPerMb: null, exact: false })
  })
})
