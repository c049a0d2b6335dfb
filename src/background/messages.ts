/**
 * Shapes that cross from the background to the extension pages. Everything
 * here must survive JSON (Chrome serialises messages), so counters are
 * decimal strings, not BigInts.
 */
import type { ActivityEntry } from './activity-log'
import type { RelayResult } from './relay-result'
import type { RelayConnState } from './relay-pool'

/** Every reply of the router. The popup client turns `ok: false` into a thrown Error. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: string }

/** A route call: `type` names the handler, `params` is its single argument. */
export interface RouteMessage {
  type: string
  params?: unknown
}

export interface RelayView {
  url: string
  state: RelayConnState
  error?: string
}

export interface AnnounceView {
  id: number
  infoHash: string
  uploaded: string
  downloaded: string
  left: string
  event?: string
  seenAt: number
  site: string
  /** One per relay asked, configured relays first, in their configured order. */
  results: { relay: string; result: RelayResult }[]
}

export interface StateView {
  pubkey: string | null
  npub: string | null
  relays: RelayView[]
  /** The newest announces, newest first. */
  announces: AnnounceView[]
  /** Announces still waiting for at least one relay. */
  pendingCount: number
  /** Announces wait because there is no key to sign them. */
  waitingForKey: boolean
  /** Announces seen but not published (e.g. malformed), newest first. */
  activity: ActivityEntry[]
}
