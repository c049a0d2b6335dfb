/**
 * Turns what the relays said into what each badge shows: counts over all of
 * the user's TSEED relays (a key announcing to two relays is one peer), the
 * price and cost summed over them (each charges on its own ledger, as the
 * consent prompt's estimate does), priced per relay from that relay's own
 * count with the code it charges with.
 */
import { quoteDownload, swarmPrice } from '../../balance/pricing'
import { countSwarms, type PeerAnnounce } from '../../nostr/swarm-stats'
import type { SwarmBadgeView } from './protocol'
import type { RelayLookup } from './swarm-lookup'

export interface AskedLink {
  infoHash: string
  /** From the magnet's `xl=`. */
  bytes?: bigint
}

/**
 * @param now unix seconds, for the one-hour liveness window
 */
export function composeBadges(
  links: readonly AskedLink[],
  lookups: readonly RelayLookup[],
  now: number,
): SwarmBadgeView[] {
  const answered = lookups.filter((l) => l.ok)
  const allPeers: PeerAnnounce[] = []
  const perRelay = answered.map((l) => {
    const peers = [...l.swarms.values()].flatMap((s) => s.peers)
    allPeers.push(...peers)
    return { lookup: l, stats: countSwarms(peers, now) }
  })
  const union = countSwarms(allPeers, now)
  const failed = answered.length < lookups.length

  return links.map((link): SwarmBadgeView => {
    const ih = link.infoHash
    const swarms = answered.map((l) => l.swarms.get(ih))
    const size =
      link.bytes !== undefined ? { bytes: link.bytes, from: 'magnet' as const } : nip35Size(swarms)
    let tokensPerMb: bigint | null = answered.length > 0 ? 0n : null
    let cost: bigint | null = size === null ? null : 0n
    let rare = false
    for (const { lookup, stats } of perRelay) {
      if (!lookup.pricing.ok) {
        tokensPerMb = null
        cost = null
        break
      }
      const price = swarmPrice(stats.get(ih) ?? { seeders: 0, leechers: 0 }, lookup.pricing.config)
      rare ||= price.rare
      if (tokensPerMb !== null) tokensPerMb += price.tokensPerMB
      if (cost !== null && size !== null) cost += quoteDownload(size.bytes, price).tokens
    }
    const counted = union.get(ih) ?? { seeders: 0, leechers: 0 }
    const title = swarms.flatMap((s) => s?.torrents ?? []).find((t) => t.title !== undefined)?.title
    return {
      infoHash: ih,
      seeders: answered.length > 0 ? counted.seeders : null,
      leechers: answered.length > 0 ? counted.leechers : null,
      tokensPerMb: tokensPerMb?.toString() ?? null,
      rare,
      bytes: size?.bytes.toString() ?? null,
      bytesFrom: size?.from ?? null,
      cost: cost?.toString() ?? null,
      title: title ?? null,
      exact: answered.length > 0 && !failed && swarms.every((s) => s?.complete === true),
    }
  })
}

/**
 * The size NIP-35 events give, when every event that gives one agrees:
 * anyone may publish one, so a disagreement shows no size rather than a
 * guess.
 */
function nip35Size(
  swarms: readonly ({ torrents: readonly { size?: bigint }[] } | undefined)[],
): { bytes: bigint; from: 'nip35' } | null {
  const sizes = new Set(
    swarms.flatMap((s) => s?.torrents ?? []).flatMap((t) => (t.size === undefined ? [] : [t.size])),
  )
  const [only] = sizes
  return sizes.size === 1 && only !== undefined ? { bytes: only, from: 'nip35' } : null
}
