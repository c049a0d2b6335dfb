import { TseedApiClient, type FetchLike, type SwarmPeers } from '../../balance/api-client'
import type { TrackerPeer } from '../../nostr/compact-peers'
import type { Signer } from '../signer/signer'
import type { TseedRelayDirectory } from '../tseed-relays'

/** What replace mode hands a page: the TSEED relays' view of one swarm. */
export interface RelaySwarm {
  complete: number
  incomplete: number
  peers: TrackerPeer[]
}

/** Most peers in one answer, as a tracker gives by default. */
export const MAX_REPLACE_PEERS = 50
/** One swarm is asked of the relays at most this often per (info hash, seeder or not). */
const CACHE_MS = 10_000

export interface RelaySwarmDeps {
  directory: TseedRelayDirectory
  fetch: FetchLike
  relays: () => Promise<string[]>
  signer: () => Signer | null
  now: () => number
}

/** Why no swarm could be read; the message is shown in Activity and as the tracker failure. */
export class RelaySwarmError extends Error {
  override name = 'RelaySwarmError'
}

export type FetchRelaySwarm = (infoHash: string, left: bigint | undefined) => Promise<RelaySwarm>

/**
 * Asks each of the user's TSEED relays for a swarm's peers
 * (`GET /swarm/{info_hash}/peers`, NIP-98 signed by the user's signer).
 * Peers are merged without repeats; the counts are the largest any relay
 * gives, since one key announcing to two relays is one peer. A relay that
 * fails is skipped while another answers; when none does, the error says why.
 */
export function createRelaySwarmSource(deps: RelaySwarmDeps): FetchRelaySwarm {
  const cache = new Map<string, { at: number; value: Promise<RelaySwarm> }>()
  return (infoHash, left) => {
    const key = `${infoHash}/${left === 0n ? 'seed' : 'leech'}`
    const hit = cache.get(key)
    if (hit !== undefined && deps.now() - hit.at < CACHE_MS) return hit.value
    if (cache.size > 200) cache.clear()
    const value = ask(deps, infoHash, left)
    cache.set(key, { at: deps.now(), value })
    value.catch(() => {
      // A failure is not kept: the next announce asks again.
      if (cache.get(key)?.value === value) cache.delete(key)
    })
    return value
  }
}

async function ask(
  deps: RelaySwarmDeps,
  infoHash: string,
  left: bigint | undefined,
): Promise<RelaySwarm> {
  const signer = deps.signer()
  if (signer === null) throw new RelaySwarmError('no key to sign the request to your TSEED relays')
  const relays = await deps.relays()
  const errors: string[] = []
  const answers: SwarmPeers[] = []
  await Promise.all(
    relays.map(async (relay) => {
      const kind = await deps.directory.lookup(relay)
      if (kind.kind === 'plain') return
      if (kind.kind === 'unknown') {
        errors.push(`${relay}: ${kind.error}`)
        return
      }
      try {
        const client = new TseedApiClient({
          baseUrl: kind.info.apiUrl,
          fetch: deps.fetch,
          sign: (t) => signer.signEvent(t),
        })
        answers.push(await client.swarmPeers(infoHash, left))
      } catch (e) {
        errors.push(`${relay}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }),
  )
  if (answers.length === 0) {
    throw new RelaySwarmError(
      errors.length === 0 ? 'no TSEED relay is configured' : errors.join('; '),
    )
  }
  const seen = new Set<string>()
  const peers: TrackerPeer[] = []
  for (const a of answers) {
    for (const p of a.peers) {
      const k = `${p.ip}|${p.port}`
      if (seen.has(k) || peers.length >= MAX_REPLACE_PEERS) continue
      seen.add(k)
      peers.push(p)
    }
  }
  return {
    complete: Math.max(...answers.map((a) => a.complete)),
    incomplete: Math.max(...answers.map((a) => a.incomplete)),
    peers,
  }
}
