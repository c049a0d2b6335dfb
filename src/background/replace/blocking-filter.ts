import { isAnnounceUrl, parseHttpAnnounce } from '../../nostr/bep3-http-announce'
import { ANNOUNCE_REQUEST_FILTER, pageOrigin, type RequestDetails } from '../tracker-observer'
import type { ReplacePlatform } from './platform-types'
import type { FetchRelaySwarm } from './relay-swarm'
import { rewriteAnnounceResponse, type StreamFilterLike } from './response-filter'

type BlockingListener = (details: RequestDetails & { requestId: string }) => Record<string, never>

/** The parts of Firefox's `browser.webRequest` the rewrite needs. */
export interface BlockingWebRequestLike {
  onBeforeRequest: {
    addListener(cb: BlockingListener, filter: { urls: string[] }, extra: ['blocking']): void
    removeListener(cb: BlockingListener): void
  }
  filterResponseData(requestId: string): StreamFilterLike
}

export interface BlockingFilterDeps {
  webRequest: BlockingWebRequestLike
  swarm: FetchRelaySwarm
  /** `runtime.getURL('')`: the extension's own requests are never touched. */
  extensionBase: string
  report: (trackerHost: string, reason: string) => void
  warn: (message: string) => void
}

/**
 * Firefox's replace mode: a blocking `onBeforeRequest` listener that
 * attaches a response filter to each announce of a replace-mode site. The
 * listener exists only while some site has replace mode on, so no other
 * request ever waits on the extension.
 */
export function createBlockingFilterReplacer(deps: BlockingFilterDeps): ReplacePlatform {
  const own = deps.extensionBase.replace(/\/$/, '')
  let sites: ReadonlySet<string> = new Set()
  let registered = false

  const listener: BlockingListener = (details) => {
    try {
      if ([details.originUrl, details.documentUrl].some((u) => u?.startsWith(own) === true)) {
        return {}
      }
      const origin = pageOrigin(details)?.origin
      if (origin === undefined || !sites.has(origin) || !isAnnounceUrl(details.url)) return {}
      const announce = parseHttpAnnounce(details.url)
      const trackerHost = new URL(details.url).host
      rewriteAnnounceResponse(
        deps.webRequest.filterResponseData(details.requestId),
        { infoHash: announce.infoHash, left: announce.left ?? undefined, trackerHost },
        { swarm: deps.swarm, report: deps.report },
      )
    } catch (e) {
      // The request goes on untouched; the observer reports announces it cannot read.
      deps.warn(`tseed: replace mode skipped a request: ${e instanceof Error ? e.name : 'unknown'}`)
    }
    return {}
  }

  return {
    onAnnounce: () => undefined,
    sitesChanged(next) {
      sites = new Set(next)
      if (sites.size > 0 && !registered) {
        deps.webRequest.onBeforeRequest.addListener(listener, ANNOUNCE_REQUEST_FILTER, ['blocking'])
        registered = true
      } else if (sites.size === 0 && registered) {
        deps.webRequest.onBeforeRequest.removeListener(listener)
        registered = false
      }
    },
    tabGone: () => undefined,
    settled: () => Promise.resolve(),
  }
}
