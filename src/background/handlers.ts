import type { ActivityLog } from './activity-log'
import {
  createConsentRoutes,
  siteViews,
  spendingView,
  type ConsentRouteDeps,
} from './consent-routes'
import type { DrainScheduler } from './drain-scheduler'
import { createKeyRoutes, type KeyRouteDeps } from './key-routes'
import type { RelayView, StateView } from './messages'
import type { Outbox } from './outbox'
import type { RelayPool } from './relay-pool'
import { objectParam, RouteParamsError, stringParam } from './route-params'
import type { Settings } from './settings'
import { buildStateView, RECENT_ANNOUNCES } from './state-view'
import { createTrackerRoutes, type TrackerRouteDeps } from './tracker-routes'
import type { RelayKind, TseedRelayDirectory } from './tseed-relays'
import { createTrackerAnswerRoutes, type TrackerAnswerRouteDeps } from './tracker-answer-routes'
import { createWalletRoutes, type WalletRouteDeps } from './wallet-routes'

export interface HandlerDeps
  extends
    KeyRouteDeps,
    ConsentRouteDeps,
    WalletRouteDeps,
    TrackerAnswerRouteDeps,
    Omit<TrackerRouteDeps, 'identity'> {
  /** Resolves once the key and database are loaded after a worker start. */
  ready: Promise<unknown>
  settings: Settings
  outbox: Outbox
  pool: RelayPool
  scheduler: DrainScheduler
  activity: ActivityLog
  directory: TseedRelayDirectory
  now: () => number
}

/**
 * The routes the extension's own pages may call. Each takes at most one
 * parameter object and returns JSON-safe data; the popup's client derives its
 * types from this map (`Handlers`).
 */
export function createHandlers(d: HandlerDeps) {
  /** Keeps the relay list's live state honest while a page is watching. */
  const watchRelays = (relays: readonly string[], pendingCount: number): void => {
    const now = d.now()
    for (const url of relays) {
      if (d.pool.isConnected(url) || d.pool.nextConnectAt(url) > now) continue
      if (d.pool.status(url).state === 'connecting') continue
      void d.pool.connect(url).then((r) => {
        // A relay that just came back gets its queue at once, not at the next backoff step.
        if (r.ok && pendingCount > 0) void d.scheduler.request(true)
      })
    }
  }

  const afterRelayChange = (relays: string[]): string[] => {
    d.pool.retain(relays)
    void d.scheduler.request()
    d.applyDefaultRelayLimits()
    void d.wallet.refresh('relays')
    return relays
  }

  return {
    ...createKeyRoutes(d),
    ...createConsentRoutes(d),
    ...createWalletRoutes(d),
    ...createTrackerAnswerRoutes(d),
    ...createTrackerRoutes(d),

    async getState(): Promise<StateView> {
      await d.ready
      d.autoLock.touch()
      const urls = await d.settings.relays.get()
      const { recent, openCount: pendingCount } = await d.outbox.snapshot(RECENT_ANNOUNCES)
      watchRelays(urls, pendingCount)
      const [held, sites, spending, autoLockMinutes, wallet] = await Promise.all([
        d.outbox.listHeld(),
        siteViews(d),
        d.consent.spending.get(),
        d.autoLock.minutes.get(),
        d.wallet.view(),
      ])
      const relays: RelayView[] = urls.map((url) => {
        const s = d.pool.status(url)
        // The state answers at once from cache; a stale or missing entry is fetched for the next poll.
        void d.directory.lookup(url)
        return {
          url,
          state: s.state,
          ...(s.error === undefined ? {} : { error: s.error }),
          ...relayKindView(d.directory.peek(url)),
        }
      })
      return buildStateView({
        pubkey: d.identity.pubkey(),
        npub: d.identity.npub(),
        keyState: d.identity.state(),
        signerKind: d.identity.kind(),
        nostrConnect: d.identity.nostrConnect(),
        autoLockMinutes,
        relays,
        recent,
        pendingCount,
        activity: d.activity.recent(20),
        held,
        allowedOrigins: new Set(sites.filter((x) => x.decision === 'allow').map((x) => x.origin)),
        sites,
        spending: spendingView(spending),
        relayLimits: d.relayLimits.view(),
        wallet,
      })
    },

    async setRelays(params: { relays: string[] }): Promise<string[]> {
      const relays = objectParam(params).relays
      if (!Array.isArray(relays) || !relays.every((r) => typeof r === 'string')) {
        throw new RouteParamsError('relays must be a list of URLs')
      }
      return afterRelayChange(await d.settings.setRelays(relays))
    },

    async addRelay(params: { url: string }): Promise<string[]> {
      return afterRelayChange(await d.settings.addRelay(stringParam(params, 'url')))
    },

    async removeRelay(params: { url: string }): Promise<string[]> {
      return afterRelayChange(await d.settings.removeRelay(stringParam(params, 'url')))
    },

    async retryNow(): Promise<{ pendingCount: number }> {
      await d.ready
      await d.scheduler.request(true)
      return { pendingCount: await d.outbox.countOpen() }
    },
  }
}

export type Handlers = ReturnType<typeof createHandlers>

function relayKindView(k: RelayKind | undefined): Pick<RelayView, 'kind' | 'name' | 'testMode'> {
  if (k === undefined) return { kind: 'checking' }
  const name = k.kind !== 'unknown' && k.name !== undefined ? { name: k.name } : {}
  if (k.kind === 'tseed') return { kind: 'tseed', ...name, testMode: k.info.testMode }
  return { kind: k.kind, ...name }
}
