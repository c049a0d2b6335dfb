/**
 * Which announces a prebuilt database holds (`--stored N`): pure and
 * deterministic, so the generating workers, the builder and the tests agree
 * on the swarm of every announce without sharing state.
 */
import { DEFAULT_ANNOUNCE_TTL_SECONDS } from '../relay/src/core/limits'
import { DEFAULT_ANNOUNCE_LIMITS } from '../relay/src/ledger/announce-accounting'
import { swarmHash } from './plan'

export interface StoredPlan {
  /** Live kind 21000 announces in the database. */
  announces: number
  /** Distinct info hashes; swarm i is `swarmHash(i)`, the same hashes the ingest load uses. */
  swarms: number
  /** The first `hotSwarms` swarms share one announce in `hotEvery`: a few swarms with many announces. */
  hotSwarms: number
  hotEvery: number
  /** Announces per pubkey, each in its own session. */
  perKey: number
  /** Build time, unix seconds; `created_at` spreads over the `spreadSeconds` before it. */
  now: number
  spreadSeconds: number
  /**
   * The ledger remembers event ids this long (its `created_at` window) and
   * prunes older ones; only announces this recent get a seen-id row.
   */
  seenWindowSeconds: number
}

export function defaultStoredPlan(announces: number, now: number): StoredPlan {
  return {
    announces,
    swarms: Math.min(100_000, announces),
    hotSwarms: 5,
    hotEvery: 20,
    perKey: 100,
    now,
    // As if they had arrived steadily over the last hour: all still inside the
    // relay's 2 h announce TTL, one in six inside the ledger's seen-id window.
    spreadSeconds: 3600,
    seenWindowSeconds: DEFAULT_ANNOUNCE_LIMITS.maxPastSeconds,
  }
}

/** The swarm index of the g-th announce (0 ≤ g < announces). */
export function storedSwarmOf(p: StoredPlan, g: number): number {
  const hot = Math.min(p.hotSwarms, p.swarms)
  if (hot > 0 && (g % p.hotEvery === 0 || hot === p.swarms)) {
    return Math.floor(g / p.hotEvery) % hot
  }
  return hot + (g % (p.swarms - hot))
}

export function storedKeyCount(p: StoredPlan): number {
  return Math.ceil(p.announces / p.perKey)
}

/** What the g-th announce says: half seed (left 0), half leech; counters at zero. */
export function storedAnnounceFields(
  p: StoredPlan,
  g: number,
): { infoHash: string; left: bigint; createdAt: number; expiresAt: number } {
  // A multiplicative hash, not g itself: the announces of a hot swarm (every
  // hotEvery-th g) would otherwise share a handful of seconds.
  const createdAt = p.now - ((Math.imul(g, 0x9e3779b1) >>> 0) % p.spreadSeconds)
  return {
    infoHash: swarmHash(storedSwarmOf(p, g)),
    left: g % 2 === 0 ? 0n : 50_000_000n,
    createdAt,
    expiresAt: createdAt + DEFAULT_ANNOUNCE_TTL_SECONDS,
  }
}

/** How many announces each swarm holds, by swarm index. */
export function storedSwarmCounts(p: StoredPlan): Uint32Array {
  const counts = new Uint32Array(p.swarms)
  for (let g = 0; g < p.announces; g++) counts[storedSwarmOf(p, g)]!++
  return counts
}
