import type { FetchLike } from '../balance/api-client'
import { createActivityLog } from './activity-log'
import { createConsent } from './consent/consent'
import { createCostEstimator } from './consent/cost-estimator'
import { heldNotification } from './consent/hold-text'
import { createAnnounceDedupe } from './announce-dedupe'
import { createAnnounceIntake } from './announce-intake'
import { createDrainScheduler, DRAIN_ALARM, type AlarmsLike } from './drain-scheduler'
import { createHandlers, type Handlers } from './handlers'
import { createIgnoredReporter } from './ignored-announces'
import type { Envelope } from './messages'
import { createOutbox, type Outbox } from './outbox'
import type { OutboxDb } from './outbox-db'
import { createPublisher } from './publisher'
import { createRelayLimits } from './relay-limits'
import { createRelayPool, type RelayLinkFactory } from './relay-pool'
import { createRouter, type SenderLike } from './router'
import { topFrameRoutes } from './content-router'
import { createSiteBadges } from './site-badges'
import { loadSessionSalt } from './session-salt'
import { createSettings } from './settings'
import { AUTO_LOCK_ALARM, createAutoLock } from './signer/auto-lock'
import { createEncryptedKeyIdentity } from './signer/encrypted-key-identity'
import { createSigningIdentity } from './signer/identity'
import type { Nip07Deps } from './signer/nip07-signer'
import type { StorageAreaLike } from './storage-item'
import { createTseedRelayDirectory, fetchWithTimeout } from './tseed-relays'
import { missingFunds } from './wallet/waiting-for-funds'
import { BALANCE_ALARM, BALANCE_REFRESH_MINUTES, createWallet } from './wallet/wallet'
import type { WebSocketImplementation } from '../nostr/nwc-client'
import { createTrackerListener, type RequestDetails } from './tracker-observer'
import { createTrackerAnswers } from './tracker-answers'
import { createDownloadBaselines } from './ws-download-baseline'
import { createWsTrackerRoute } from './ws-tracker-route'
import { WS_TRACKER_ROUTE } from '../content/ws-protocol'
import type { PlatformDeps, ReplacePlatform } from './replace/platform-types'
import { createRelaySwarmSource } from './replace/relay-swarm'
import { createReplaceMode } from './replace/replace-mode'

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
  /** For relay NIP-11 documents and API calls. */
  fetch: FetchLike
  /** The URL of a tab's top-level page (`tabs.get`), or undefined. */
  tabUrl: (tabId: number) => Promise<string | undefined>
  /** Raises (or replaces) the one system notification that announces wait for the user. */
  notify: (n: { title: string; message: string }) => void
  /** The toolbar badge: how many announces wait for the user's OK, else whether some wait for funds. */
  setBadge: (b: Badge) => void
  /** For the NWC wallet and NIP-46 bunker connections; the browser's own WebSocket. */
  WebSocket: WebSocketImplementation
  /** Runs code in a tab's MAIN world and lists http(s) tabs, for the user's NIP-07 signer. */
  nip07: Pick<Nip07Deps, 'executeInTab' | 'candidateTabs'>
  /** This browser's replace mode (DNR rules in Chrome, response filters in Firefox). */
  replacePlatform: (deps: PlatformDeps) => ReplacePlatform
}

/** What the toolbar badge says. */
export interface Badge {
  held: number
  needsFunds: boolean
}

/**
 * `interval` of a WebSocket tracker answer made in replace mode: what
 * bittorrent-tracker asks WebSocket clients for, so the page keeps its pace.
 */
const WS_REPLACED_INTERVAL_SECONDS = 120

/** Relay NIP-11 and price requests give up after this, so a dead relay cannot stall the queue. */
const RELAY_HTTP_TIMEOUT_MS = 5_000

export interface Background {
  /** `webRequest.onBeforeRequest` listener. */
  onRequest: (details: RequestDetails) => void
  /** `runtime.onMessage` listener: the extension's pages, and its content scripts on http(s) pages. */
  onMessage: (message: unknown, sender: SenderLike) => Promise<Envelope<unknown>>
  /** `tabs.onRemoved`, and `tabs.onUpdated` when a tab starts loading another page. */
  onTabGone: (tabId: number) => void
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
  const localKey = createEncryptedKeyIdentity({
    localArea: deps.localArea,
    sessionArea: deps.sessionArea,
  })
  const identity = createSigningIdentity({
    local: localKey,
    area: deps.localArea,
    nip07: deps.nip07,
    bunker: { WebSocket: deps.WebSocket },
  })
  const autoLock = createAutoLock({
    identity: localKey,
    localArea: deps.localArea,
    sessionArea: deps.sessionArea,
    now: deps.now,
    warn: deps.warn,
  })
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
    drain: async (force) => {
      const result = await publisher.drain(force)
      // Refusals for funds and new charges show in the balance and the badge at once.
      wallet
        .afterPublish()
        .catch((e: unknown) => {
          deps.warn(`tseed: balance update failed: ${(e as Error).message}`)
        })
        .finally(refreshBadge)
      return result
    },
    alarms: deps.alarms,
    now: deps.now,
    setTimer: deps.setTimer,
    clearTimer: deps.clearTimer,
    warn: deps.warn,
  })

  const reportIgnored = createIgnoredReporter({ activity, warn: deps.warn, now: deps.now })
  const fetch = fetchWithTimeout(deps.fetch, RELAY_HTTP_TIMEOUT_MS)
  const refreshBadge = (): void => {
    Promise.all([outbox.listHeld(), missingFunds(outbox)]).then(
      ([held, missing]) => {
        deps.setBadge({ held: held.length, needsFunds: missing.size > 0 })
      },
      (e: unknown) => {
        deps.warn(`tseed: could not update the badge: ${(e as Error).message}`)
      },
    )
  }
  const directory = createTseedRelayDirectory({ fetch, now: deps.now })
  const relayLimits = createRelayLimits({
    directory,
    fetch,
    relays: () => settings.relays.get(),
    signer: () => identity.signer(),
    pubkey: () => identity.pubkey(),
    area: deps.localArea,
    now: deps.now,
    warn: deps.warn,
  })
  const wallet = createWallet({
    tabs: deps.nip07,
    localArea: deps.localArea,
    sessionArea: deps.sessionArea,
    directory,
    fetch,
    WebSocket: deps.WebSocket,
    relays: () => settings.relays.get(),
    identity,
    outbox,
    now: deps.now,
    onReleased: () => void scheduler.request(),
    onFundsMissing: (missing) => {
      const total = missing.reduce((a, m) => a + m.tseed, 0n)
      deps.notify({
        title: 'Top up to keep downloading',
        message: `A relay refused a download: ${total} TSEED more are needed. The announce is published once your balance covers it. Open TSEED to top up.`,
      })
    },
    warn: deps.warn,
  })
  const applyDefaultRelayLimits = (): void => {
    relayLimits.ensureDefaults().catch((e: unknown) => {
      deps.warn(`tseed: could not set the default relay spending limit: ${(e as Error).message}`)
    })
  }
  const consent = createConsent({
    area: deps.localArea,
    outbox,
    relays: () => settings.relays.get(),
    estimateCost: createCostEstimator({ directory, fetch }),
    now: deps.now,
    onReleased: () => void scheduler.request(),
    onChanged: refreshBadge,
    // Blocking a site anywhere (settings, the prompt, a badge) ends its replace mode at once.
    onDecisionsChanged: () => void replaceMode.refresh(),
  })
  const intake = createAnnounceIntake({
    dedupe: createAnnounceDedupe({ now: deps.now }),
    sessionSalt,
    outbox,
    gate: consent.gate,
    serial: consent.serial,
    relays: () => settings.relays.get(),
    tabUrl: deps.tabUrl,
    reportIgnored,
    now: deps.now,
    onQueued: () => void scheduler.request(),
    onHeld: (entry) => {
      if (entry.gate?.state === 'held') {
        deps.notify(heldNotification(entry.site, entry.gate.reasons, entry.gate.estimate))
      }
      refreshBadge()
    },
    warn: deps.warn,
  })
  const replaceReport = createIgnoredReporter({
    activity,
    warn: deps.warn,
    now: deps.now,
    kind: 'replace',
  })
  const relaySwarm = createRelaySwarmSource({
    directory,
    fetch,
    relays: () => settings.relays.get(),
    signer: () => identity.signer(),
    now: deps.now,
  })
  const replaceMode = createReplaceMode({
    replaceSites: () => consent.decisions.replaceSites(),
    platform: deps.replacePlatform({
      swarm: relaySwarm,
      extensionBase: deps.extensionBase,
      now: deps.now,
      setTimer: deps.setTimer,
      clearTimer: deps.clearTimer,
      report: replaceReport,
      warn: deps.warn,
    }),
    tabUrl: deps.tabUrl,
    warn: deps.warn,
  })
  const trackerAnswers = createTrackerAnswers()
  // WebSocket tracker announces, reported by the content scripts, join the same intake.
  const wsTrackerRoute = createWsTrackerRoute({
    runtimeId: deps.runtimeId,
    extensionBase: deps.extensionBase,
    intake,
    answers: trackerAnswers,
    baselines: createDownloadBaselines(deps.sessionArea),
    reportIgnored,
    now: deps.now,
    replaceCounts: async (origin, infoHash, left, trackerHost) => {
      if (!(await replaceMode.isOn(origin))) return null
      try {
        const swarm = await relaySwarm(infoHash, left ?? undefined)
        return {
          interval: WS_REPLACED_INTERVAL_SECONDS,
          complete: swarm.complete,
          incomplete: swarm.incomplete,
        }
      } catch (e) {
        replaceReport(trackerHost, `replace mode: TSEED relay: ${(e as Error).message}`)
        return null
      }
    },
  })
  const onRequest = createTrackerListener({
    extensionBase: deps.extensionBase,
    now: deps.now,
    onAnnounce: (o, details) => {
      void intake(o)
      replaceMode.observed(o, details)
    },
    reportIgnored,
    warn: deps.warn,
  })

  const siteBadges = createSiteBadges({
    ready,
    relays: () => settings.relays.get(),
    decisions: consent.decisions,
    onBlocked: (origin) => consent.held.reconsider(origin),
    balance: async () => {
      const total = (await wallet.view()).total
      return total === null ? null : BigInt(total.tseed)
    },
    directory,
    fetch,
    WebSocket: deps.WebSocket,
    setTimer: deps.setTimer,
    clearTimer: deps.clearTimer,
    now: deps.now,
  })
  const handlers = createHandlers({
    ready,
    identity,
    settings,
    outbox,
    pool,
    scheduler,
    activity,
    consent,
    autoLock,
    wallet,
    relayLimits,
    applyDefaultRelayLimits,
    directory,
    trackerAnswers,
    fetch,
    now: deps.now,
  })
  const onMessage = createRouter(handlers, {
    runtimeId: deps.runtimeId,
    extensionBase: deps.extensionBase,
    warn: deps.warn,
    contentRoutes: { [WS_TRACKER_ROUTE]: wsTrackerRoute, ...topFrameRoutes(siteBadges, deps) },
  })

  return {
    onRequest,
    onMessage,
    onTabGone: (tabId) => {
      replaceMode.tabGone(tabId)
    },
    onAlarm: (alarm) => {
      if (alarm.name === DRAIN_ALARM) void scheduler.request()
      if (alarm.name === AUTO_LOCK_ALARM) {
        ready
          .then(async () => {
            // The NWC wallet is opened with the key, and locks with it.
            if (await autoLock.check()) await wallet.locked()
          })
          .catch((e: unknown) => {
            deps.warn(`tseed: auto-lock check failed: ${(e as Error).message}`)
          })
      }
      if (alarm.name === BALANCE_ALARM) {
        ready
          .then(() => wallet.refresh('alarm'))
          .catch((e: unknown) => {
            deps.warn(`tseed: balance refresh failed: ${(e as Error).message}`)
          })
      }
    },
    start: async () => {
      try {
        await ready
      } catch (e) {
        deps.warn(`tseed: background failed to start: ${(e as Error).message}`)
        return
      }
      refreshBadge()
      void replaceMode.refresh()
      void deps.alarms.create(AUTO_LOCK_ALARM, { periodInMinutes: 1 })
      void deps.alarms.create(BALANCE_ALARM, { periodInMinutes: BALANCE_REFRESH_MINUTES })
      await autoLock.check()
      if (identity.signer() !== null) applyDefaultRelayLimits()
      await scheduler.request()
    },
    handlers,
  }
}

/** An Outbox whose every call first waits for the real one. */
function lazyOutbox(ready: Promise<Outbox>): Outbox {
  let real: Outbox | null = null
  ready.then(
    (o) => {
      real = o
    },
    () => undefined,
  )
  return {
    add: async (...a) => (await ready).add(...a),
    get: async (...a) => (await ready).get(...a),
    listOpen: async () => (await ready).listOpen(),
    listHeld: async () => (await ready).listHeld(),
    countOpen: async () => (await ready).countOpen(),
    snapshot: async (...a) => (await ready).snapshot(...a),
    update: async (...a) => (await ready).update(...a),
    prune: async (...a) => (await ready).prune(...a),
    findRefused: async (...a) => (await ready).findRefused(...a),
    requeue: async (...a) => (await ready).requeue(...a),
    // Before the outbox opens nothing has been read from it, so any number unlike its own will do.
    revision: () => real?.revision() ?? -1,
  }
}
