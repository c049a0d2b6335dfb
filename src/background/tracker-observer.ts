import { isAnnounceUrl, parseHttpAnnounce } from '../nostr/bep3-http-announce'
import { AnnounceParseError, type TrackerAnnounce } from '../nostr/tracker-announce'
import type { ReportIgnored } from './ignored-announces'
import { HTTP_SCHEMES, parseUrlWithScheme } from '../nostr/url-scheme'

/**
 * The fields of a webRequest event this code reads. `initiator` is Chrome's,
 * `originUrl` and `documentUrl` are Firefox's.
 */
export interface RequestDetails {
  url: string
  initiator?: string
  originUrl?: string
  documentUrl?: string
  tabId?: number
  /** 0 for a tab's top-level document, more for a frame inside it. */
  frameId?: number
  /** Firefox: the frames above the requesting one, the top-level document last. */
  frameAncestors?: { url: string }[]
}

/** An announce seen leaving the browser, before it is turned into an event. */
export interface ObservedAnnounce {
  announce: TrackerAnnounce
  /**
   * Origin of the top-level page that made the request (the web torrent
   * site), else of the tracker itself: the unit the user allows or blocks.
   */
  origin: string
  /**
   * Set when the request came from a frame whose top-level page only the tab
   * knows (Chrome gives a frame's own origin): `origin` is then the frame's,
   * to be replaced by the tab's.
   */
  originFromTab?: number
  trackerHost: string
  seenAt: number
}

export interface TrackerObserverDeps {
  /** `runtime.getURL('')`, e.g. `chrome-extension://<id>/`. */
  extensionBase: string
  now: () => number
  /** `details` carries the tab and the full URL, for replace mode; never store the URL. */
  onAnnounce: (observed: ObservedAnnounce, details: RequestDetails) => void
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
      const tracker = new URL(details.url)
      const trackerHost = tracker.host
      let announce: TrackerAnnounce
      try {
        announce = parseHttpAnnounce(details.url)
      } catch (e) {
        if (!(e instanceof AnnounceParseError)) throw e
        deps.reportIgnored(trackerHost, e.message)
        return
      }
      const page = pageOrigin(details)
      const observed: ObservedAnnounce = {
        announce,
        origin: page?.origin ?? tracker.origin,
        trackerHost,
        seenAt: deps.now(),
      }
      if (page?.fromTab !== undefined) observed.originFromTab = page.fromTab
      deps.onAnnounce(observed, details)
    } catch (e) {
      // A listener that throws would be logged by the browser with the URL;
      // this one must never break or leak, whatever a page sends.
      deps.warn(`tseed: tracker observer error: ${e instanceof Error ? e.name : 'unknown'}`)
    }
  }
}

/** The top-level page's origin, or the requesting frame's with the tab to ask for the top. */
export function pageOrigin(
  details: RequestDetails,
): { origin: string; fromTab?: number } | undefined {
  const ancestors = details.frameAncestors
  const top = ancestors?.[ancestors.length - 1]
  if (top !== undefined) {
    const origin = httpOrigin(top.url)
    return origin === undefined ? undefined : { origin }
  }
  for (const u of [details.initiator, details.documentUrl, details.originUrl]) {
    const origin = httpOrigin(u)
    if (origin === undefined) continue
    const inFrame = (details.frameId ?? 0) > 0 && (details.tabId ?? -1) >= 0
    return inFrame ? { origin, fromTab: details.tabId } : { origin }
  }
  return undefined
}

/** The origin of an http(s) URL; undefined for anything else, e.g. an opaque "null" initiator. */
export function httpOrigin(u: string | undefined): string | undefined {
  return u === undefined ? undefined : parseUrlWithScheme(u, HTTP_SCHEMES)?.origin
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
