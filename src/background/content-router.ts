import type { Envelope, RouteMessage } from './messages'
import type { SenderLike } from './router'

/** What the background knows about a message's sender, beyond the router's fields. */
export interface ContentSender extends SenderLike {
  tab?: { id?: number }
  frameId?: number
}

/** Who sent a content-route message, as checked: never taken from the message itself. */
export interface ContentContext {
  tabId: number
  /** The sending frame's URL (the top-level page: only frame 0 is accepted). */
  url: string
  /** That page's origin, `scheme://host[:port]`. */
  origin: string
}

// Handlers are invoked with untrusted params and validate them themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ContentHandler = (params: any, ctx: ContentContext) => Promise<unknown>

export interface ContentRouterOptions {
  runtimeId: string
  /** `runtime.getURL('')`: the extension's own pages are not content scripts. */
  extensionBase: string
  warn: (message: string) => void
}

export interface ContentRouter {
  /** Whether the message names one of these routes (then only this router answers it). */
  handles(message: unknown): boolean
  route(message: unknown, sender: ContentSender): Promise<Envelope<unknown>>
}

const MAX_URL_CHARS = 8192

/**
 * The routes this extension's content scripts may call from web pages,
 * kept apart from the page routes: a message gets through only from a
 * content script of this extension (`sender.id`) in the top frame
 * (`frameId` 0) of a tab (`sender.tab.id`) showing an http(s) page
 * (`sender.url`). The sender's origin is handed to the handler, so no route
 * can act for a site other than the one the tab shows.
 */
export function createContentRouter(
  handlers: Readonly<Record<string, ContentHandler>>,
  opts: ContentRouterOptions,
): ContentRouter {
  return {
    handles: (message) => {
      const name = routeName(message)
      return name !== undefined && Object.hasOwn(handlers, name)
    },
    async route(message, sender) {
      const name = routeName(message)
      const handler =
        name !== undefined && Object.hasOwn(handlers, name) ? handlers[name] : undefined
      if (handler === undefined) return { ok: false, error: 'unknown route' }
      const ctx = contentContext(sender, opts)
      if (ctx === undefined) {
        opts.warn(`tseed: refused content route ${name ?? ''} from ${describe(sender)}`)
        return { ok: false, error: 'not allowed' }
      }
      try {
        return { ok: true, data: await handler((message as RouteMessage).params, ctx) }
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) }
      }
    },
  }
}

/**
 * One `runtime.onMessage` listener for both kinds of caller: content routes
 * go to the content router, everything else to the page router, which
 * refuses anything but the extension's own pages.
 */
export function withContentRoutes(
  pageRouter: (message: unknown, sender: SenderLike) => Promise<Envelope<unknown>>,
  content: ContentRouter,
): (message: unknown, sender: ContentSender) => Promise<Envelope<unknown>> {
  return (message, sender) =>
    content.handles(message) ? content.route(message, sender) : pageRouter(message, sender)
}

function contentContext(s: ContentSender, o: ContentRouterOptions): ContentContext | undefined {
  if (s.id !== o.runtimeId) return undefined
  const tabId = s.tab?.id
  if (typeof tabId !== 'number' || !Number.isSafeInteger(tabId) || tabId < 0) return undefined
  if (s.frameId !== 0) return undefined
  const url = s.url
  if (typeof url !== 'string' || url.length > MAX_URL_CHARS || url.startsWith(o.extensionBase)) {
    return undefined
  }
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined
  return { tabId, url, origin: u.origin }
}

function routeName(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const type = (message as { type?: unknown }).type
  return typeof type === 'string' && type.length <= 64 ? type : undefined
}

/** Origin only: a page URL may carry tokens in its path or query. */
function describe(s: ContentSender): string {
  let origin = 'unknown origin'
  try {
    if (s.url !== undefined) origin = new URL(s.url).origin
  } catch {
    origin = 'an unparsable URL'
  }
  return `${origin} (extension ${s.id ?? 'none'}, tab ${s.tab?.id ?? 'none'}, frame ${s.frameId ?? 'none'})`
}
