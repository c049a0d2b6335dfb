import { AnnounceEventError, fromTrackerAnnounce } from '../nostr/kind21000'
import type { AnnounceDedupe } from './announce-dedupe'
import type { AnnounceGate } from './consent/announce-gate'
import type { ReportIgnored } from './ignored-announces'
import type { Outbox, OutboxEntry } from './outbox'
import { httpOrigin, type ObservedAnnounce } from './tracker-observer'

export interface AnnounceIntakeDeps {
  dedupe: AnnounceDedupe
  /** The per-install salt for the session tag (session-salt.ts). */
  sessionSalt: () => Promise<Uint8Array>
  outbox: Outbox
  gate: AnnounceGate
  /** The queue gate decisions run in; shared with the user's answers to held announces. */
  serial: <T>(fn: () => Promise<T>) => Promise<T>
  relays: () => Promise<string[]>
  /** The URL of a tab's top-level page, or undefined when it cannot be read. */
  tabUrl: (tabId: number) => Promise<string | undefined>
  reportIgnored: ReportIgnored
  now: () => number
  /** Called after an announce is safely stored and free to publish. */
  onQueued: () => void
  /** Called after an announce is stored to wait for the user's decision. */
  onHeld: (entry: OutboxEntry) => void
  warn: (message: string) => void
}

/** Held announces kept per site, and in all; beyond them new ones are dropped, not stored. */
export const MAX_HELD_PER_SITE = 20
export const MAX_HELD = 200

/**
 * Takes an observed announce into the outbox: drops repeats, converts it to
 * the publishable form (which drops the tracker URL, passkey and raw
 * peer_id), asks the consent gate, and stores it before anything tries to
 * send it. Gate decisions run one at a time, so two announces arriving
 * together cannot both fit into what is left of a budget.
 */
export function createAnnounceIntake(
  deps: AnnounceIntakeDeps,
): (o: ObservedAnnounce) => Promise<void> {
  const serial = deps.serial
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
      const origin =
        o.originFromTab === undefined
          ? o.origin
          : (httpOrigin(await deps.tabUrl(o.originFromTab).catch(() => undefined)) ?? o.origin)
      const candidate = { announce, origin, seenAt: o.seenAt }
      await serial(async () => {
        const relays = await deps.relays()
        const verdict = await deps.gate.evaluate(candidate, relays)
        const site = new URL(origin).host
        if (verdict.action === 'drop') {
          deps.reportIgnored(site, 'not published: you blocked announces from this site')
          return
        }
        const entry = { announce, site, origin, trackerHost: o.trackerHost, seenAt: o.seenAt }
        if (verdict.action === 'hold') {
          // A page can invent announces without end; what waits for the user stays bounded.
          const waiting = await deps.outbox.listHeld()
          if (
            waiting.length >= MAX_HELD ||
            waiting.filter((e) => e.origin === origin).length >= MAX_HELD_PER_SITE
          ) {
            deps.reportIgnored(
              site,
              'not published: too many announces already wait for your decision',
            )
            return
          }
          const held = await deps.outbox.add(
            {
              ...entry,
              gate: {
                state: 'held',
                reasons: verdict.reasons,
                estimate: verdict.estimate,
                heldAt: deps.now(),
              },
            },
            relays,
          )
          deps.onHeld(held)
          return
        }
        await deps.gate.release(candidate, verdict.estimate, deps.now())
        await deps.outbox.add(entry, relays)
        deps.onQueued()
      })
    } catch (e) {
      deps.warn(`tseed: could not queue an announce to ${o.trackerHost}: ${(e as Error).message}`)
    }
  }
}
