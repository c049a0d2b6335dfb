import { AnnounceEventError, fromTrackerAnnounce } from '../nostr/kind21000'
import type { AnnounceDedupe } from './announce-dedupe'
import type { ReportIgnored } from './ignored-announces'
import type { Outbox } from './outbox'
import type { ObservedAnnounce } from './tracker-observer'

export interface AnnounceIntakeDeps {
  dedupe: AnnounceDedupe
  /** The per-install salt for the session tag (session-salt.ts). */
  sessionSalt: () => Promise<Uint8Array>
  outbox: Outbox
  relays: () => Promise<string[]>
  reportIgnored: ReportIgnored
  /** Called after an announce is safely stored, to get it published. */
  onQueued: () => void
  warn: (message: string) => void
}

/**
 * Takes an observed announce into the outbox: drops repeats, converts it to
 * the publishable form (which drops the tracker URL, passkey and raw
 * peer_id), and stores it before anything tries to send it.
 */
export function createAnnounceIntake(
  deps: AnnounceIntakeDeps,
): (o: ObservedAnnounce) => Promise<void> {
  return async (o) => {
    // Checked before the first await, so two copies arriving together cannot both pass.
    if (deps.dedupe.seenRecently(o.announce)) return
    try {
      const salt = await deps.sessionSalt()
      let announce
      try {
        announce = fromTrackerAnnounce(o.announce, { sessionSalt: salt })
      } catch (e) {
        if (!(e instanceof AnnounceEventError)) throw e
        deps.reportIgnored(o.trackerHost, e.message)
        return
      }
      await deps.outbox.add(
        { announce, site: o.site, trackerHost: o.trackerHost, seenAt: o.seenAt },
        await deps.relays(),
      )
      deps.onQueued()
    } catch (e) {
      deps.warn(`tseed: could not queue an announce to ${o.trackerHost}: ${(e as Error).message}`)
    }
  }
}
