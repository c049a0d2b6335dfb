import type { ActivityLog } from './activity-log'
import type { DrainScheduler } from './drain-scheduler'
import type { RelayView, StateView } from './messages'
import type { Outbox } from './outbox'
import type { RelayPool } from './relay-pool'
import type { Settings } from './settings'
import type { Identity } from './signer/session-key-identity'
import { buildStateView, RECENT_ANNOUNCES } from './state-view'

export interface HandlerDeps {
  /** Resolves once the key and database are loaded after a worker start. */
  ready: Promise<unknown>
  identity: Identity
  settings: Settings
  outbox: Outbox
  pool: RelayPool
  scheduler: DrainScheduler
  activity: ActivityLog
  now: () => number
}

export interface KeyInfo {
  pubkey: string
  npub: string
}

/** A route was called with parameters of the wrong shape. */
export class RouteParamsError extends Error {
  override name = 'RouteParamsError'
}

/**
 * The routes the extension's own pages may call. Each takes at most one
 * parameter object and returns JSON-safe data; the popup's client derives its
 * types from this map (`Handlers`).
 */
export function createHandlers(d: HandlerDeps) {
  const keyInfo = (): KeyInfo => {
    const pubkey = d.identity.pubkey()
    const npub = d.identity.npub()
    if (pubkey === null || npub === null) throw new Error('no key')
    return { pubkey, npub }
  }

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
    return relays
  }

  return {
    async getState(): Promise<StateView> {
      await d.ready
      const urls = await d.settings.relays.get()
      const { recent, openCount: pendingCount } = await d.outbox.snapshot(RECENT_ANNOUNCES)
      watchRelays(urls, pendingCount)
      const relays: RelayView[] = urls.map((url) => {
        const s = d.pool.status(url)
        return s.error === undefined
          ? { url, state: s.state }
          : { url, state: s.state, error: s.error }
      })
      return buildStateView({
        pubkey: d.identity.pubkey(),
        npub: d.identity.npub(),
        relays,
        recent,
        pendingCount,
        activity: d.activity.recent(20),
      })
    },

    async generateKey(): Promise<KeyInfo> {
      await d.ready
      await d.identity.generate()
      void d.scheduler.request()
      return keyInfo()
    },

    async importKey(params: { key: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.importKey(stringParam(params, 'key'))
      void d.scheduler.request()
      return keyInfo()
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

function objectParam(params: unknown): Record<string, unknown> {
  if (typeof params !== 'object' || params === null)
    throw new RouteParamsError('parameters missing')
  return params as Record<string, unknown>
}

function stringParam(params: unknown, name: string): string {
  const v = objectParam(params)[name]
  if (typeof v !== 'string') throw new RouteParamsError(`${name} must be a string`)
  if (v.length > 1_000) throw new RouteParamsError(`${name} is too long`)
  return v
}
