/**
 * Asks each of the user's TSEED relays about a page's info hashes: one
 * batched lookup per relay (req-batch.ts) for what is not cached, the
 * relay's pricing config once (relay-pricing.ts), and every event read with
 * the shared codecs. Answers are cached per (relay, info hash) for a minute,
 * so a page that adds links, or a second tab on the same site, asks only
 * for what is new.
 */
import type { NostrEvent } from 'nostr-tools/core'
import { parseTorrentEvent, type TorrentMetadata } from '../../nostr/nip35'
import { peerAnnounce, PEER_TTL_SECONDS, type PeerAnnounce } from '../../nostr/swarm-stats'
import type { TseedRelayDirectory } from '../tseed-relays'
import type { BatchAnswer, BatchQuery } from './req-batch'
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from './req-plan'
import type { RelayPricing, RelayPricingAnswer } from './relay-pricing'

/** What one relay said about one info hash. */
export interface RelaySwarm {
  peers: PeerAnnounce[]
  /** Valid NIP-35 events for the hash, newest first. */
  torrents: TorrentMetadata[]
  /** False when the relay's answer may have left some announces out. */
  complete: boolean
}

export type RelayLookup =
  | {
      relay: string
      ok: true
      /** The relay's tokens are play money (NIP-11 `tseed.test_mode`). */
      testMode: boolean
      pricing: RelayPricingAnswer
      swarms: Map<string, RelaySwarm>
    }
  | { relay: string; ok: false; error: string }

export interface SwarmLookupDeps {
  directory: TseedRelayDirectory
  pricing: RelayPricing
  query: (q: BatchQuery) => Promise<BatchAnswer>
  /** Milliseconds. */
  now: () => number
}

export interface SwarmLookup {
  /**
   * One entry per configured relay that is (or may be) a TSEED relay, in
   * the given order; plain relays are left out, they keep no swarm.
   */
  lookup(relays: readonly string[], infoHashes: readonly string[]): Promise<RelayLookup[]>
}

export const CACHE_MS = 60_000
const MAX_CACHED = 20_000
/** A relay may publish a larger `max_limit`; more per answer than this is not worth holding. */
const MAX_LIMIT_CEILING = 5_000

export function createSwarmLookup(deps: SwarmLookupDeps): SwarmLookup {
  const cache = new Map<string, { at: number; swarm: RelaySwarm }>()
  const key = (relay: string, ih: string): string => `${relay}\u0000${ih}`
  const remember = (relay: string, ih: string, swarm: RelaySwarm): void => {
    const k = key(relay, ih)
    // Re-inserted, so the Map's order is oldest-written first and eviction takes the oldest.
    cache.delete(k)
    cache.set(k, { at: deps.now(), swarm })
    while (cache.size > MAX_CACHED) {
      const oldest = cache.keys().next().value
      if (oldest === undefined) break
      cache.delete(oldest)
    }
  }

  const one = async (relay: string, hashes: readonly string[]): Promise<RelayLookup | null> => {
    const kind = await deps.directory.lookup(relay)
    if (kind.kind === 'plain') return null
    if (kind.kind === 'unknown') return { relay, ok: false, error: kind.error }
    const now = deps.now()
    const swarms = new Map<string, RelaySwarm>()
    const stale: string[] = []
    for (const ih of hashes) {
      const hit = cache.get(key(relay, ih))
      if (hit !== undefined && now - hit.at < CACHE_MS) swarms.set(ih, hit.swarm)
      else stale.push(ih)
    }
    const probe = hashes[0]
    const pricing =
      probe === undefined
        ? Promise.resolve<RelayPricingAnswer>({ ok: false, error: 'nothing asked' })
        : deps.pricing.config(kind.info.apiUrl, probe)
    if (stale.length > 0) {
      let answer: BatchAnswer
      try {
        answer = await deps.query({
          url: relay,
          infoHashes: stale,
          since: Math.floor(now / 1000) - PEER_TTL_SECONDS,
          limits: planLimits(kind.info.reqLimits),
        })
      } catch (e) {
        return { relay, ok: false, error: e instanceof Error ? e.message : String(e) }
      }
      const fresh = readAnswer(stale, answer)
      for (const [ih, swarm] of fresh) {
        swarms.set(ih, swarm)
        // An incomplete answer is asked again next time rather than kept.
        if (swarm.complete) remember(relay, ih, swarm)
      }
    }
    return { relay, ok: true, testMode: kind.info.testMode, pricing: await pricing, swarms }
  }

  return {
    async lookup(relays, infoHashes) {
      const all = await Promise.all(relays.map((r) => one(r, infoHashes)))
      return all.filter((r): r is RelayLookup => r !== null)
    },
  }
}

function planLimits(
  published: { maxMessageLength?: number; maxLimit?: number } | undefined,
): PlanLimits {
  return {
    maxMessageLength: published?.maxMessageLength ?? DEFAULT_PLAN_LIMITS.maxMessageLength,
    maxFilterValues: DEFAULT_PLAN_LIMITS.maxFilterValues,
    maxLimit: Math.min(published?.maxLimit ?? DEFAULT_PLAN_LIMITS.maxLimit, MAX_LIMIT_CEILING),
  }
}

/** Groups a relay's answer by info hash; events that fail the shared codecs are dropped. */
function readAnswer(hashes: readonly string[], answer: BatchAnswer): Map<string, RelaySwarm> {
  const out = new Map<string, RelaySwarm>()
  for (const ih of hashes) {
    out.set(ih, { peers: [], torrents: [], complete: !answer.incomplete.has(ih) })
  }
  for (const ev of answer.announces) {
    const peer = tryRead(() => peerAnnounce(ev))
    if (peer !== undefined) out.get(peer.infoHash)?.peers.push(peer)
  }
  const newestFirst = [...answer.torrents].sort(
    (a: NostrEvent, b: NostrEvent) => b.created_at - a.created_at,
  )
  for (const ev of newestFirst) {
    const meta = tryRead(() => parseTorrentEvent(ev))
    if (meta !== undefined) out.get(meta.infoHash)?.torrents.push(meta)
  }
  return out
}

function tryRead<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
