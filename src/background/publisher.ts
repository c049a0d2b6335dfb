import type { NostrEvent } from 'nostr-tools/core'
import { toEventTemplate } from '../nostr/kind21000'
import { retryDelayMs } from './backoff'
import { withResult, type Outbox, type OutboxEntry } from './outbox'
import type { PublishOutcome } from './publish-outcome'
import { isUnfinished, type RelayResult, type RelayResults } from './relay-result'
import type { RelayPool } from './relay-pool'
import { createSessionClock, type SessionClock } from './session-clock'
import type { Signer } from './signer/signer'

/**
 * Ephemeral events are refused by relays once their `created_at` is old
 * (strfry: 60 s), so an event that waited longer than this is signed again
 * with a fresh timestamp before a retry.
 */
export const RESIGN_AFTER_MS = 120_000

export interface PublisherDeps {
  outbox: Outbox
  pool: RelayPool
  /** The configured relays, read on every drain so settings changes apply at once. */
  relays: () => Promise<string[]>
  /** null while the user has no key: announces then wait in the outbox. */
  signer: () => Signer | null
  now: () => number
  random: () => number
  warn: (message: string) => void
}

export interface DrainResult {
  /** When the next retry or reconnection probe is due; null when nothing waits on time. */
  nextWakeAt: number | null
  /** Announces are queued but there is no key to sign them. */
  waitingForKey: boolean
}

export interface Publisher {
  /**
   * Sends every due announce to every relay that still has to answer. Not
   * re-entrant: callers go through the drain scheduler.
   *
   * @param force treat every retry as due now ("retry now")
   */
  drain(force?: boolean): Promise<DrainResult>
}

/**
 * Publishes the outbox. Per relay, announces go out oldest first, over one
 * connection. A relay that is down is probed again within seconds (the
 * pool's connection backoff) and, once it answers, gets everything queued
 * for it at once, whatever each announce's own retry time says.
 */
export function createPublisher(deps: PublisherDeps): Publisher {
  const sessionClock = createSessionClock()
  return {
    async drain(force = false) {
      const relays = await deps.relays()
      deps.pool.retain(relays)
      const open = await syncRelays(deps.outbox, await deps.outbox.listOpen(), relays)
      const work = open.filter((e) => Object.values(e.results).some(isUnfinished))
      if (work.length === 0) return { nextWakeAt: null, waitingForKey: false }
      const signer = deps.signer()
      if (signer === null) return { nextWakeAt: null, waitingForKey: true }
      if (force) deps.pool.resetBackoff()
      const sign = createEntrySigner(deps, signer, sessionClock)
      const wakes = await Promise.all(relays.map((url) => drainRelay(deps, url, work, sign, force)))
      await deps.outbox.prune()
      const pending = wakes.filter((w): w is number => w !== null)
      return {
        nextWakeAt: pending.length === 0 ? null : Math.min(...pending),
        waitingForKey: false,
      }
    },
  }
}

type EntrySigner = {
  event(e: OutboxEntry): Promise<NostrEvent>
  auth: (t: Parameters<Signer['signEvent']>[0]) => Promise<NostrEvent>
}

/**
 * Signs each entry at most once per drain, however many relays want it, and
 * only when a relay is actually reachable, so the timestamp is fresh.
 */
function createEntrySigner(
  deps: PublisherDeps,
  signer: Signer,
  sessionClock: SessionClock,
): EntrySigner {
  const inFlight = new Map<number, Promise<NostrEvent>>()
  return {
    auth: (t) => signer.signEvent(t),
    event(e) {
      let p = inFlight.get(e.id)
      if (p === undefined) {
        p = (async () => {
          const pubkey = await signer.getPublicKey()
          const now = deps.now()
          const kept = e.signed
          if (
            kept !== undefined &&
            kept.event.pubkey === pubkey &&
            now - kept.signedAt <= RESIGN_AFTER_MS
          ) {
            return kept.event
          }
          const createdAt = sessionClock.next(e.announce, Math.floor(now / 1000))
          const event = await signer.signEvent(toEventTemplate(e.announce, createdAt))
          await deps.outbox.update(e.id, (cur) => ({ ...cur, signed: { event, signedAt: now } }))
          return event
        })()
        inFlight.set(e.id, p)
      }
      return p
    },
  }
}

async function drainRelay(
  deps: PublisherDeps,
  url: string,
  entries: OutboxEntry[],
  sign: EntrySigner,
  force: boolean,
): Promise<number | null> {
  const latest = new Map<number, RelayResult>()
  const work = entries.filter((e) => {
    const r = e.results[url]
    if (r === undefined || !isUnfinished(r)) return false
    latest.set(e.id, r)
    return true
  })
  if (work.length === 0) return null

  const now = deps.now()
  const isDue = (e: OutboxEntry): boolean => {
    const r = latest.get(e.id)
    return force || r?.state === 'pending' || (r?.state === 'retry' && r.nextAttemptAt <= now)
  }

  const record = async (
    e: OutboxEntry,
    outcome: PublishOutcome,
    eventId: string,
  ): Promise<void> => {
    const at = deps.now()
    const prev = latest.get(e.id)
    const result = toResult(outcome, eventId, at, prev, deps.random())
    latest.set(e.id, result)
    await deps.outbox.update(e.id, (cur) => withResult(cur, url, result))
  }

  let batch: OutboxEntry[]
  if (deps.pool.isConnected(url)) {
    batch = work.filter(isDue)
  } else {
    if (!force && deps.pool.nextConnectAt(url) > now) return nextWake(deps, url, latest)
    const c = await deps.pool.connect(url)
    if (!c.ok) {
      for (const e of work.filter(isDue)) await record(e, { kind: 'retry', error: c.error }, '')
      return nextWake(deps, url, latest)
    }
    // The relay is back: whatever waited for it goes now.
    batch = work
  }

  for (const e of batch) {
    let event: NostrEvent
    try {
      event = await sign.event(e)
    } catch (err) {
      deps.warn(`tseed: signing announce ${e.id} failed: ${(err as Error).message}`)
      await record(e, { kind: 'retry', error: `signing failed: ${(err as Error).message}` }, '')
      continue
    }
    await record(e, await deps.pool.publish(url, event, sign.auth), event.id)
  }
  return nextWake(deps, url, latest)
}

function nextWake(
  deps: PublisherDeps,
  url: string,
  latest: Map<number, RelayResult>,
): number | null {
  let wake: number | null = null
  let waiting = false
  for (const r of latest.values()) {
    if (!isUnfinished(r)) continue
    waiting = true
    const at = r.state === 'retry' ? r.nextAttemptAt : deps.now()
    wake = wake === null ? at : Math.min(wake, at)
  }
  if (waiting && !deps.pool.isConnected(url)) {
    const probe = Math.max(deps.pool.nextConnectAt(url), deps.now())
    wake = wake === null ? probe : Math.min(wake, probe)
  }
  return wake
}

function toResult(
  outcome: PublishOutcome,
  eventId: string,
  at: number,
  prev: RelayResult | undefined,
  random: number,
): RelayResult {
  switch (outcome.kind) {
    case 'ok':
      return { state: 'ok', message: outcome.message, eventId, at }
    case 'refused':
      return { state: 'refused', message: outcome.message, at }
    case 'retry': {
      const attempts = (prev?.state === 'retry' ? prev.attempts : 0) + 1
      return {
        state: 'retry',
        error: outcome.error,
        attempts,
        nextAttemptAt: at + retryDelayMs(attempts, random),
      }
    }
  }
}

/**
 * Aligns unfinished entries with the relay list: a relay added since gets a
 * pending result, a relay removed loses its unfinished one (its final
 * answers stay, as history). Entries nothing was configured for pick up the
 * current relays.
 */
async function syncRelays(
  outbox: Outbox,
  entries: OutboxEntry[],
  relays: readonly string[],
): Promise<OutboxEntry[]> {
  const out: OutboxEntry[] = []
  for (const e of entries) {
    const next = alignResults(e.results, relays)
    if (next === e.results) {
      out.push(e)
      continue
    }
    const updated = await outbox.update(e.id, (cur) => ({
      ...cur,
      results: alignResults(cur.results, relays),
    }))
    if (updated !== undefined) out.push(updated)
  }
  return out
}

function alignResults(results: RelayResults, relays: readonly string[]): RelayResults {
  let changed = false
  const next: RelayResults = {}
  for (const [url, r] of Object.entries(results)) {
    if (!relays.includes(url) && isUnfinished(r)) {
      changed = true
      continue
    }
    next[url] = r
  }
  for (const url of relays) {
    if (next[url] === undefined) {
      next[url] = { state: 'pending' }
      changed = true
    }
  }
  return changed ? next : results
}
