import { isAnnounceUrl, parseHttpAnnounce } from '../nostr/bep3-http-announce'
import { AnnounceParseError, type TrackerAnnounce } from '../nostr/tracker-announce'
import type { ReportIgnored } from './ignored-announces'

/**
 * The fields of a webRequest event this code reads. `initiator` is Chrome's,
 * `originUrl` and `documentUrl` are Firefox's.
 */
export interface RequestDetails {
  url: string
  initiator?: string
  originUrl?: string
  documentUrl?: string
}

/** An announce seen leaving the browser, before it is turned into an event. */
export interface ObservedAnnounce {
  announce: TrackerAnnounce
  /** Host of the page that made the request (the web torrent site), else of the tracker. */
  site: string
  trackerHost: string
  seenAt: number
}

export interface TrackerObserverDeps {
  /** `runtime.getURL('')`, e.g. `chrome-extension://<id>/`. */
  extensionBase: string
  now: () => number
  onAnnounce: (observed: ObservedAnnounce) => void
  reportIgnored: ReportIgnored
  warn: (message: string) => void
}

/**
 * The webRequest filter. The path test is loose on purpose (`/a/<passkey>/announce.php`);
 * {@link isAnnounceUrl} makes the real decision.
 */
export const ANNOUNCE_REQUEST_FILTER = { urls: ['*://*/*announce*'] }

/**
 * Builds the `onBeforeRequest` listener. It only observes: it returns
 * nothing, so the page's request goes on untouched. `details.url` carries the
 * query exactly as sent, which the byte-exact parser needs.
 */
export function createTrackerListener(
  deps: TrackerObserverDeps,
): (details: RequestDetails) => void {
  const ownOrigin = deps.extensionBase.replace(/\/$/, '')
  const isOwn = (u: string | undefined): boolean =>
    u !== undefined && (u === ownOrigin || u.startsWith(ownOrigin + '/'))

  return (details) => {
    try {
      if (isOwn(details.initiator) || isOwn(details.originUrl) || isOwn(details.documentUrl)) return
      if (!details.url.startsWith('http://') && !details.url.startsWith('https://')) return
      if (!isAnnounceUrl(details.url)) return
      const trackerHost = new URL(details.url).host
      let announce: TrackerAnnounce
      try {
        announce = parseHttpAnnounce(details.url)
      } catch (e) {
        if (!(e instanceof AnnounceParseError)) throw e
        deps.reportIgnored(trackerHost, e.message)
        return
      }
      deps.onAnnounce({
        announce,
        site: pageHost(details) ?? trackerHost,
        trackerHost,
        seenAt: deps.now(),
      })
    } catch (e) {
      // A listener that throws would be logged by the browser with the URL;
      // this one must never break or leak, whatever a page sends.
      deps.warn(`tseed: tracker observer error: ${e instanceof Error ? e.name : 'unknown'}`)
    }
  }
}

function pageHost(details: RequestDetails): string | undefined {
  for (const u of [details.initiator, details.documentUrl, details.originUrl]) {
    if (u === undefined) continue
    try {
      const parsed = new URL(u)
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.host
    } catch {
      // An opaque initiator ("null") says nothing about the site.
    }
  }
  return undefined
}

/** The subset of `browser.webRequest` needed to register the observer. */
export interface WebRequestLike {
  onBeforeRequest: {
    addListener(callback: (details: RequestDetails) => void, filter: { urls: string[] }): void
  }
}

/**
 * Registers the listener. Call it synchronously at the top level of the
 * background script: only listeners added in the first turn wake a stopped
 * service worker or event page.
 */
export function registerTrackerObserver(
  webRequest: WebRequestLike,
  listener: (details: RequestDetails) => void,
): void {
  webRequest.onBeforeRequest.addListener(listener, ANNOUNCE_REQUEST_FILTER)
}
