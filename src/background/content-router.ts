import {
  isOwnContentScript,
  type ContentSenderLike,
  type ContentSenderOptions,
} from './content-sender'
import type { ContentHandler } from './router'
import { HTTP_SCHEMES, parseUrlWithScheme } from '../nostr/url-scheme'

/** Who sent a top-frame content route's message, as checked: never taken from the message itself. */
export interface ContentContext {
  tabId: number
  /** The sending page's URL (the top-level page: only frame 0 is accepted). */
  url: string
  /** That page's origin, `scheme://host[:port]`. */
  origin: string
}

// Handlers are invoked with untrusted params and validate them themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TopFrameHandler = (params: any, ctx: ContentContext) => Promise<unknown>

const MAX_URL_CHARS = 8192

/**
 * Content routes that act for the page a tab shows, such as the torrent-site
 * badges: on top of the router's own check (this extension's content script,
 * in a tab), only the top frame (`frameId` 0) of an http(s) page gets
 * through, and the handler is given that page's origin, so no route can act
 * for a site other than the one the tab shows.
 */
export function topFrameRoutes(
  handlers: Readonly<Record<string, TopFrameHandler>>,
  opts: ContentSenderOptions,
): Record<string, ContentHandler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      (params: unknown, sender: ContentSenderLike) => {
        const ctx = topFrameContext(sender, opts)
        if (ctx === undefined) {
          return Promise.reject(new Error('not allowed: only the top frame of an http(s) page'))
        }
        return handler(params, ctx)
      },
    ]),
  )
}

export function topFrameContext(
  s: ContentSenderLike,
  o: ContentSenderOptions,
): ContentContext | undefined {
  if (!isOwnContentScript(s, o) || s.frameId !== 0) return undefined
  const tabId = s.tab?.id
  const url = s.url
  if (tabId === undefined || url === undefined || url.length > MAX_URL_CHARS) return undefined
  const u = parseUrlWithScheme(url, HTTP_SCHEMES)
  return u === undefined ? undefined : { tabId, url, origin: u.origin }
}
