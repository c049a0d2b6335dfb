import type { ObservedAnnounce, RequestDetails } from '../tracker-observer'
import type { ReplacePlatform } from './platform-types'

export interface ReplaceModeDeps {
  /** The sites in replace mode, from the stored site decisions. */
  replaceSites: () => Promise<string[]>
  platform: ReplacePlatform
  /** The URL of a tab's top-level page, for an announce made in a frame. */
  tabUrl: (tabId: number) => Promise<string | undefined>
  warn: (message: string) => void
}

export interface ReplaceMode {
  /** Reads the replace-mode sites again and tells the platform; call after every change. */
  refresh(): Promise<void>
  /** Whether a site is in replace mode, as last read. */
  has(origin: string): boolean
  /** The same, after the first read from storage. */
  isOn(origin: string): Promise<boolean>
  /** A webRequest announce the observer accepted; `details` has its tab and full URL. */
  observed(o: ObservedAnnounce, details: RequestDetails): void
  tabGone(tabId: number): void
}

/** Which sites are in replace mode, kept in memory so a request never waits for storage. */
export function createReplaceMode(deps: ReplaceModeDeps): ReplaceMode {
  let sites: ReadonlySet<string> = new Set()
  let loaded: Promise<void> | undefined
  const refresh = async (): Promise<void> => {
    sites = new Set(await deps.replaceSites())
    deps.platform.sitesChanged(sites)
  }
  const load = (): Promise<void> =>
    (loaded ??= refresh().catch((e: unknown) => {
      loaded = undefined
      deps.warn(`tseed: could not read the replace-mode sites: ${(e as Error).message}`)
    }))
  return {
    refresh: () => {
      loaded = refresh()
      return loaded
    },
    has: (origin) => sites.has(origin),
    isOn: async (origin) => {
      await load()
      return sites.has(origin)
    },
    observed(o, details) {
      void (async () => {
        await load()
        if (sites.size === 0) return
        let origin = o.origin
        if (o.originFromTab !== undefined) {
          const top = await deps.tabUrl(o.originFromTab).catch(() => undefined)
          if (top === undefined) return
          origin = new URL(top).origin
        }
        if (!sites.has(origin)) return
        deps.platform.onAnnounce({
          url: details.url,
          tabId: details.tabId,
          origin,
          trackerHost: o.trackerHost,
          infoHash: o.announce.infoHash,
          left: o.announce.left ?? undefined,
        })
      })().catch((e: unknown) => {
        deps.warn(`tseed: replace mode failed on an announce: ${(e as Error).message}`)
      })
    },
    tabGone: (tabId) => {
      deps.platform.tabGone(tabId)
    },
  }
}
