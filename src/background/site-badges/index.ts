import type { FetchLike } from '../../balance/api-client'
import type { WebSocketImplementation } from '../../nostr/nwc-client'
import type { TseedRelayDirectory } from '../tseed-relays'
import { queryBatch } from './req-batch'
import { createRelayPricing } from './relay-pricing'
import { createSiteBadgeRoutes, LOOKUP_RATE, type SiteBadgeRouteDeps } from './routes'
import { createSwarmLookup } from './swarm-lookup'
import { createTabRateLimiter } from './tab-rate-limit'

export interface SiteBadgesDeps extends Pick<
  SiteBadgeRouteDeps,
  'ready' | 'relays' | 'decisions' | 'onBlocked' | 'balance' | 'now'
> {
  directory: TseedRelayDirectory
  /** For the relays' price endpoint; with a timeout. */
  fetch: FetchLike
  WebSocket: WebSocketImplementation
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (handle: unknown) => void
}

/** The content routes of the torrent-site badges, wired to the relays (docs/sites.md). */
export function createSiteBadges(d: SiteBadgesDeps) {
  return createSiteBadgeRoutes({
    ...d,
    lookup: createSwarmLookup({
      directory: d.directory,
      pricing: createRelayPricing({ fetch: d.fetch, now: d.now }),
      query: (q) =>
        queryBatch(q, { WebSocket: d.WebSocket, setTimer: d.setTimer, clearTimer: d.clearTimer }),
      now: d.now,
    }),
    limiter: createTabRateLimiter({ ...LOOKUP_RATE, now: d.now }),
  })
}
