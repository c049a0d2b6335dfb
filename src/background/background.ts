import { createActivityLog } from './activity-log'
import { createAnnounceDedupe } from './announce-dedupe'
import { createAnnounceIntake } from './announce-intake'
import { createDrainScheduler, DRAIN_ALARM, type AlarmsLike } from './drain-scheduler'
import { createHandlers, type Handlers } from './handlers'
import { createIgnoredReporter } from './ignored-announces'
import type { Envelope } from './messages'
import { createOutbox, type Outbox } from './outbox'
import type { OutboxDb } from './outbox-db'
import { createPublisher } from './publisher'
import { createRelayPool, type RelayLinkFactory } from './relay-pool'
import { createRouter, type SenderLike } from './router'
import { loadSessionSalt } from './session-salt'
import { createSettings } from './settings'
import { createSessionKeyIdentity } from './signer/session-key-identity'
import type { StorageAreaLike } from './storage-item'
import { createTrackerListener, type RequestDetails } from './tracker-observer'

/** Everything the background needs from the browser, injected so it runs in tests. */
export interface BackgroundDeps {
  runtimeId: string
  /** `runtime.getURL('')` */
  extensionBase: string
  localArea: StorageAreaLike
  /** Holds the secret key; cleared when the browser closes. */
  sessionArea: StorageAreaLike
  openDb: () => Promise<OutboxDb>
  relayFactory: RelayLinkFactory
  alarms: AlarmsLike
  now: () => number
  random: () => number
  randomBytes: (n: number) => Uint8Array
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (handle: unknown) => void
  warn: (message: string) => void
}

export interface Background {
  /** `webRequest.onBeforeRequest` listener. */
  onRequest: (details: RequestDetails) => void
  /** `runtime.onMessage` listener. */
  onMessage: (message: unknown, sender: SenderLike) => Promise<Envelope<unknown>>
  /** `alarms.onAlarm` listener. */
  onAlarm: (alarm: { name: string }) => void
  /** Loads state and drains what a previous worker left in the outbox. */
  start: () => Promise<void>
  handlers: Handlers
}

/**
 * Wires the pipeline: tracker observer → dedupe → outbox → signer → relay
 * pool, plus the message router for the popup. Construction is synchronous
 * so the listeners can be registered in the worker's first turn; the parts
 * that need storage wait for `ready`.
 */
export function createBackground(deps: BackgroundDeps): Background {
  const activity = createActivityLog()
  const settings = createSettings(deps.localArea)
  const identity = createSessionKeyIdentity({ sessionArea: deps.sessionArea })
  const pool = createRelayPool({ factory: deps.relayFactory, now: deps.now, random: deps.random })

  let saltPromise: Promise<Uint8Array> | undefined
  const sessionSalt = (): Promise<Uint8Array> =>
    (saltPromise ??= loadSessionSalt(deps.localArea, deps.randomBytes).catch((e: unknown) => {
      saltPromise = undefined
      throw e
    }))

  const ready = (async () => {
    const [db] = await Promise.all([deps.openDb(), identity.load()])
    return createOutbox(db, deps.warn)
  })()
  // Each use awaits the outbox, so a slow database open delays but never drops work.
  const outbox: Outbox = lazyOutbox(ready)

  const publisher = createPublisher({
    outbox,
    pool,
    relays: () => settings.relays.get(),
    signer: () => identity.signer(),
    now: deps.now,
    random: deps.random,
    warn: deps.warn,
  })
  const scheduler = createDrainScheduler({
    drain: (force) => publisher.drain(force),
    alarms: deps.alarms,
    now: deps.now,
    setTimer: deps.setTimer,
    clearTimer: deps.clearTimer,
    warn: deps.warn,
  })

  const reportIgnored = createIgnoredReporter({ activity, warn: deps.warn, now: deps.now })
  const intake = createAnnounceIntake({
    dedupe: createAnnounceDedupe({ now: deps.now }),
    sessionSalt,
    outbox,
    relays: () => settings.relays.get(),
    reportIgnored,
    onQueued: () => void scheduler.request(),
    warn: deps.warn,
  })
  const onRequest = createTrackerListener({
    extensionBase: deps.extensionBase,
    now: deps.now,
    onAnnounce: (o) => void intake(o),
    reportIgnored,
    warn: deps.warn,
  })

  const handlers = createHandlers({
    ready,
    identity,
    settings,
    outbox,
    pool,
    scheduler,
    activity,
    now: deps.now,
  })
  const onMessage = createRouter(handlers, {
    runtimeId: deps.runtimeId,
    extensionBase: deps.extensionBase,
    warn: deps.warn,
  })

  return {
    onRequest,
    onMessage,
    onAlarm: (alarm) => {
      if (alarm.name === DRAIN_ALARM) void scheduler.request()
    },
    start: async () => {
      try {
        await ready
      } catch (e) {
        deps.warn(`tseed: background failed to start: ${(e as Error).message}`)
        return
      }
      await scheduler.request()
    },
    handlers,
  }
}

/** An Outbox whose every call first waits for the real one. */
function lazyOutbox(ready: Promise<Outbox>): Outbox {
  return {
    add: async (...a) => (await ready).add(...a),
    get: async (...a) => (await ready).get(...a),
    listOpen: async () => (await ready).listOpen(),
    countOpen: async () => (await ready).countOpen(),
    snapshot: async (...a) => (await ready).snapshot(...a),
    update: async (...a) => (await ready).update(...a),
    prune: async (...a) => (await ready).prune(...a),
    findRefused: async (...a) => (await ready).findRefused(...a),
    requeue: async (...a) => (await ready).requeue(...a),
  }
}
