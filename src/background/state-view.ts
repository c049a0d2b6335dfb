import type { ActivityEntry } from './activity-log'
import type { AnnounceView, RelayView, StateView } from './messages'
import type { OutboxEntry } from './outbox'

export const RECENT_ANNOUNCES = 50

export interface StateInputs {
  pubkey: string | null
  npub: string | null
  relays: RelayView[]
  recent: OutboxEntry[]
  pendingCount: number
  activity: ActivityEntry[]
}

/** Builds the popup's view of the background, in a JSON-safe form. */
export function buildStateView(i: StateInputs): StateView {
  const configured = i.relays.map((r) => r.url)
  return {
    pubkey: i.pubkey,
    npub: i.npub,
    relays: i.relays,
    announces: i.recent.map((e) => announceView(e, configured)),
    pendingCount: i.pendingCount,
    waitingForKey: i.pubkey === null && i.pendingCount > 0,
    activity: i.activity,
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
  const view: AnnounceView = {
    id: e.id,
    infoHash: e.announce.infoHash,
    uploaded: e.announce.uploaded.toString(),
    downloaded: e.announce.downloaded.toString(),
    left: e.announce.left.toString(),
    seenAt: e.seenAt,
    site: e.site,
    results,
  }
  if (e.announce.event !== undefined) view.event = e.announce.event
  return view
}
