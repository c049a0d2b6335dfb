import type { Outbox, OutboxEntry } from '../outbox'
import type { AnnounceGate, GateCandidate } from './announce-gate'
import type { DropReason } from './hold'
import type { SiteDecisions } from './site-decisions'

/** The user's answer to a held announce. */
export type HeldChoice = 'allow-site' | 'allow-once' | 'block-site' | 'decline'

export const HELD_CHOICES: readonly HeldChoice[] = [
  'allow-site',
  'allow-once',
  'block-site',
  'decline',
]

export interface HeldAnnouncesDeps {
  outbox: Outbox
  gate: AnnounceGate
  decisions: SiteDecisions
  relays: () => Promise<string[]>
  /** The queue the announce intake judges in, so decisions and new announces never interleave. */
  serial: <T>(fn: () => Promise<T>) => Promise<T>
  now: () => number
  /** Announces were released: get them published. */
  onReleased: () => void
  /** The set of held announces changed (badge). */
  onChanged: () => void
}

export interface HeldAnnounces {
  /** @throws Error when the announce is not waiting for a decision any more */
  decide(id: number, choice: HeldChoice): Promise<{ released: number; dropped: number }>
  /** Judges a site's held announces again after its rule or budget changed. */
  reconsider(origin: string): Promise<{ released: number; dropped: number }>
}

/** An announce the user has already answered about, or that a newer one replaced. */
export class NotHeldError extends Error {
  override name = 'NotHeldError'
}

/**
 * Carries out the user's answers to held announces. Released announces are
 * signed fresh by the publisher (they were never signed); dropped ones stay
 * in the activity view as "not published" and are never signed.
 */
export function createHeldAnnounces(deps: HeldAnnouncesDeps): HeldAnnounces {
  const candidate = (e: OutboxEntry): GateCandidate => ({
    announce: e.announce,
    origin: e.origin,
    seenAt: e.seenAt,
  })

  const release = async (e: OutboxEntry): Promise<void> => {
    if (e.gate?.state !== 'held') return
    await deps.gate.release(candidate(e), e.gate.estimate, deps.now())
    await deps.outbox.update(e.id, (cur) =>
      cur.gate?.state === 'held' ? withoutGate(cur) : undefined,
    )
  }

  const drop = (e: OutboxEntry, reason: DropReason): Promise<unknown> =>
    deps.outbox.update(e.id, (cur) =>
      cur.gate?.state === 'held'
        ? { ...cur, gate: { state: 'dropped', reason, at: deps.now() } }
        : undefined,
    )

  /** Runs the gate again on every held announce of `origin` except `skip`. */
  const rejudge = async (
    origin: string,
    skip?: number,
  ): Promise<{ released: number; dropped: number }> => {
    const relays = await deps.relays()
    let released = 0
    let dropped = 0
    for (const e of await deps.outbox.listHeld()) {
      if (e.origin !== origin || e.id === skip) continue
      const verdict = await deps.gate.evaluate(candidate(e), relays)
      if (verdict.action === 'publish') {
        await release(e)
        released++
      } else if (verdict.action === 'drop') {
        await drop(e, 'site-blocked')
        dropped++
      } else {
        await deps.outbox.update(e.id, (cur) =>
          cur.gate?.state === 'held'
            ? {
                ...cur,
                gate: { ...cur.gate, reasons: verdict.reasons, estimate: verdict.estimate },
              }
            : undefined,
        )
      }
    }
    return { released, dropped }
  }

  const finish = (r: {
    released: number
    dropped: number
  }): { released: number; dropped: number } => {
    if (r.released > 0) deps.onReleased()
    deps.onChanged()
    return r
  }

  return {
    decide: (id, choice) =>
      deps.serial(async () => {
        const e = await deps.outbox.get(id)
        if (e?.gate?.state !== 'held') {
          // A newer announce of the same download can replace the one on screen
          // while the user clicks (a WebTorrent seed sends completed and started
          // together). An answer about the site still answers the question shown;
          // the newer announce is judged under it, not released, as its cost was not shown.
          const siteWide = choice === 'allow-site' || choice === 'block-site'
          if (e?.gate?.state === 'dropped' && e.gate.reason === 'superseded' && siteWide) {
            await deps.decisions.decide(
              e.origin,
              choice === 'allow-site' ? 'allow' : 'block',
              deps.now(),
            )
            return finish(await rejudge(e.origin))
          }
          throw new NotHeldError('This announce is no longer waiting for a decision')
        }
        switch (choice) {
          case 'allow-once':
            await release(e)
            return finish({ released: 1, dropped: 0 })
          case 'decline':
            await drop(e, 'declined')
            return finish({ released: 0, dropped: 1 })
          case 'allow-site': {
            await deps.decisions.decide(e.origin, 'allow', deps.now())
            // The user saw this announce's cost and warnings on the screen they answered.
            await release(e)
            const rest = await rejudge(e.origin, e.id)
            return finish({ released: rest.released + 1, dropped: rest.dropped })
          }
          case 'block-site':
            await deps.decisions.decide(e.origin, 'block', deps.now())
            return finish(await rejudge(e.origin))
        }
      }),
    reconsider: (origin) => deps.serial(async () => finish(await rejudge(origin))),
  }
}

function withoutGate(e: OutboxEntry): OutboxEntry {
  const next = { ...e }
  delete next.gate
  return next
}
