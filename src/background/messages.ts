/**
 * Shapes that cross from the background to the extension pages. Everything
 * here must survive JSON (Chrome serialises messages), so counters are
 * decimal strings, not BigInts.
 */
import type { ActivityEntry } from './activity-log'
import type { CostEstimate, DropReason, HoldReason } from './consent/hold'
import type { RelayLimitsView } from './relay-limits'
import type { NostrConnectView, SignerKind } from './signer/identity'
import type { IdentityState } from './signer/identity-state'
import type { WalletView } from './wallet/wallet'
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
  /** From the relay's NIP-11 document: `checking` until it has answered once. */
  kind: 'tseed' | 'plain' | 'unknown' | 'checking'
  /** The relay's own name, from NIP-11. */
  name?: string
  /** A TSEED relay whose tokens are play money. */
  testMode?: boolean
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
  /** Absent once released for publishing. */
  gate?: 'held' | DropReason
  /** One per relay asked, configured relays first, in their configured order. */
  results: { relay: string; result: RelayResult }[]
}

/** An announce waiting for the user's decision: the consent prompt. */
export interface HeldView extends Pick<
  AnnounceView,
  'id' | 'site' | 'infoHash' | 'uploaded' | 'downloaded' | 'left' | 'event' | 'seenAt'
> {
  origin: string
  reasons: HoldReason[]
  estimate: CostEstimate
  /** Whether the site is already allowed (then only its budget or plausibility is in question). */
  siteAllowed: boolean
}

export interface SiteView {
  origin: string
  decision: 'allow' | 'block'
  decidedAt: number
  /** TSEED per 24 hours; decimal string. */
  dailyBudget: string
  /** The site has its own budget rather than the default. */
  customBudget: boolean
  /** TSEED spent in the last 24 hours; decimal string. */
  spentToday: string
  /** Replace mode: the site's tracker announces get peers from the TSEED relays. */
  replace: boolean
}

export interface SpendingView {
  dailyBudget: string
  confirmAbove: string
  lineMbps: number
}

export interface StateView {
  pubkey: string | null
  npub: string | null
  keyState: IdentityState
  signerKind: SignerKind
  /** A `nostrconnect://` connection waiting for the user's signer app, or how it failed. */
  nostrConnect: NostrConnectView | null
  /** 0: the key locks only when the browser closes. */
  autoLockMinutes: number
  relays: RelayView[]
  /** The newest announces, newest first. */
  announces: AnnounceView[]
  /** Announces still waiting for at least one relay. */
  pendingCount: number
  /** Announces wait because there is no unlocked key to sign them. */
  waitingForKey: boolean
  /** Announces seen but not published (e.g. malformed), newest first. */
  activity: ActivityEntry[]
  /** Announces waiting for the user's decision, oldest first. */
  held: HeldView[]
  /** Sites the user allowed or blocked, most recent decision first. */
  sites: SiteView[]
  spending: SpendingView
  /** The relay-enforced spending limit of the current key, per TSEED relay (last known). */
  relayLimits: RelayLimitsView[]
  wallet: WalletView
}
