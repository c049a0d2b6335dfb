/**
 * `GET /api/v1/swarm/{info_hash}/peers?left=N`: the peers the relay's HTTP
 * tracker lists for a swarm, for the extension's replace mode (a page's
 * tracker announce answered with peers that announced here). NIP-98, so
 * only a key with an account asks, and rate-limited like every API route.
 */
import type { Swarms } from '../tracker/swarm'
import type { ApiHandler, ApiReply } from './context'
import { ApiError } from './errors'
import { queryAmount, queryInteger } from './json'

/** Most addresses in one answer; BEP 3 clients ask for 50 by default. */
export const MAX_SWARM_PEERS = 50

/** What the endpoint reads of the tracker's peer list. */
export type SwarmPeerSource = Pick<Swarms, 'select' | 'counts'>

export const getSwarmPeers: ApiHandler = (s, req): ApiReply => {
  const source = s.swarmPeers
  if (source === undefined) {
    throw new ApiError(503, 'no_tracker', 'this relay runs no HTTP tracker, so it lists no peers')
  }
  const infoHash = (req.params[0] ?? '').toLowerCase()
  const left = queryAmount(req.url.searchParams, 'left')
  const numwant = queryInteger(req.url.searchParams, 'numwant', 1, MAX_SWARM_PEERS, MAX_SWARM_PEERS)
  const now = s.now()
  const stats = s.ledger.swarmStats(infoHash, now)
  const listed = source.counts(infoHash, now)
  // A seeder has nothing to get from another seeder; `left` absent counts as a leecher.
  const picked = source.select(infoHash, '', numwant, left === 0n, now)
  const peers: { ip: string; port: number }[] = []
  for (const p of picked) {
    for (const a of [p.v4, p.v6]) {
      if (a !== undefined && peers.length < numwant) peers.push({ ip: a.ip, port: a.port })
    }
  }
  return {
    body: {
      info_hash: infoHash,
      // The relay's own count over every announcer, Nostr and HTTP: what prices the swarm.
      complete: stats.seeders,
      incomplete: stats.leechers,
      tracker: { complete: listed.complete, incomplete: listed.incomplete },
      peers,
    },
  }
}
