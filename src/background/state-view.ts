import type { ActivityEntry } from './activity-log'
import type {
  AnnounceView,
  HeldView,
  RelayView,
  SiteView,
  SpendingView,
  StateView,
} from './messages'
import type { OutboxEntry } from './outbox'
import type { RelayLimitsView } from './relay-limits'
import type { NostrConnectView, SignerKind } from './signer/identity'
import { canSign, type IdentityState } from './signer/identity-state'
import type { WalletView } from './wallet/wallet'

export const RECENT_ANNOUNCES = 50

export interface StateInputs {
  pubkey: string | null
  npub: string | null
  keyState: IdentityState
  signerKind: SignerKind
  nostrConnect: NostrConnectView | null
  autoLockMinutes: number
  relays: RelayView[]
  recent: OutboxEntry[]
  pendingCount: number
  activity: ActivityEntry[]
  held: OutboxEntry[]
  /** Origins the user allowed; their held announces ask only about budget or plausibility. */
  allowedOrigins: ReadonlySet<string>
  sites: SiteView[]
  spending: SpendingView
  relayLimits: RelayLimitsView[]
  wallet: WalletView
}

/** Builds the popup's view of the background, in a JSON-safe form. */
export function buildStateView(i: StateInputs): StateView {
  const configured = i.relays.map((r) => r.url)
  return {
    pubkey: i.pubkey,
    npub: i.npub,
    keyState: i.keyState,
    signerKind: i.signerKind,
    nostrConnect: i.nostrConnect,
    autoLockMinutes: i.autoLockMinutes,
    relays: i.relays,
    announces: i.recent.map((e) => announceView(e, configured)),
    pendingCount: i.pendingCount,
    waitingForKey: !canSign(i.keyState) && i.pendingCount > 0,
    activity: i.activity,
    held: i.held.flatMap((e) => heldView(e, i.allowedOrigins)),
    sites: i.sites,
    spending: i.spending,
    relayLimits: i.relayLimits,
    wallet: i.wallet,
  }
}

function heldView(e: OutboxEntry, allowed: ReadonlySet<string>): HeldView[] {
  if (e.gate?.state !== 'held') return []
  const view: HeldView = {
    id: e.id,
    origin: e.origin,
    site: e.site,
    ...counters(e),
    seenAt: e.seenAt,
    reasons: e.gate.reasons,
    estimate: e.gate.estimate,
    siteAllowed: allowed.has(e.origin),
  }
  if (e.announce.event !== undefined) view.event = e.announce.event
  return [view]
}

function counters(
  e: OutboxEntry,
): Pick<AnnounceView, 'infoHash' | 'uploaded' | 'downloaded' | 'left'> {
  return {
    infoHash: e.announce.infoHash,
    uploaded: e.announce.uploaded.toString(),
    downloaded: e.announce.downloaded.toString(),
    left: e.announce.left.toString(),
  }
}

function announceView(e: OutboxEntry, configured: readonly string[]): AnnounceView {
  const order = (url: string): number => {
    const i = configured.indexOf(url)
    return i === -1 ? configured.length : i
  }
  const results = Object.entries(e.results)
    .map(([relay, result]) => ({ relay, result }))
    .sort((a, b) => order(a.relay) - order(b.relay))
  const view: AnnounceView = { id: e.id, ...counters(e), seenAt: e.seenAt, site: e.site, results }
  if (e.announce.event !== undefined) view.event = e.announce.event
  if (e.gate !== undefined) view.gate = e.gate.state === 'held' ? 'held' : e.gate.reason
  return view
}
