/**
 * What every API handler receives, and what it returns. Handlers are plain
 * functions over these types, so each endpoint is testable on its own and the
 * router stays a table.
 */
import type { Ledger } from '../ledger/ledger'
import type { TrackerCredentials } from '../tracker/credentials'
import type { SwarmPeerSource } from './swarm-peers'
import type { Deposits } from './deposits'
import type { JsonObject } from './json'
import type { Withdrawals } from './withdrawals'

/** The services behind the API; one set per relay. */
export interface ApiServices {
  ledger: Ledger
  deposits: Deposits
  withdrawals: Withdrawals
  /** Unix seconds. */
  now: () => number
  /** True with the `dev` Lightning backend: no real money moves, and every answer says so. */
  testMode: boolean
  /** The Lightning backend's name, e.g. `dev` or `nwc`. */
  lightning: string
  /** Personal tracker URLs for desktop clients. */
  trackerCredentials: TrackerCredentials
  /** The operator's `--public-url`; when absent, URLs are built on the request's own origin. */
  publicUrl?: string
  /** The HTTP tracker's peer list, for `/swarm/{info_hash}/peers`; absent without a tracker. */
  swarmPeers?: SwarmPeerSource
}

/** One request, after routing and (where required) NIP-98 authentication. */
export interface ApiRequest {
  url: URL
  /** The capture groups of the route's path pattern. */
  params: readonly string[]
  /** The authenticated caller; set on every authenticated route. */
  pubkey: string
  /** The NIP-98 event id, unique per request. */
  authId: string
  /** The parsed body of a POST. */
  body: JsonObject
  /** `scheme://host[:port]` the client reached the relay at (as NIP-98 checks it). */
  origin: string
}

/** A handler's answer; the router adds `test_mode`. */
export interface ApiReply {
  status?: number
  body: Record<string, unknown>
}

export type ApiHandler = (services: ApiServices, req: ApiRequest) => ApiReply | Promise<ApiReply>

/** Two amounts, TSEED and sats, as the API writes them. */
export function pair(tseed: bigint, sat: bigint): { TSEED: string; sat: string } {
  return { TSEED: tseed.toString(), sat: sat.toString() }
}
