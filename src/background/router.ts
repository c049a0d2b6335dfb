import { isOwnContentScript, type ContentSenderLike } from './content-sender'
import type { Envelope, RouteMessage } from './messages'

/** The fields of `runtime.MessageSender` the router checks. */
export interface SenderLike extends ContentSenderLike {
  id?: string
  url?: string
}

/** A route for this extension's content scripts: it gets the sender to tell the page apart. */
export type ContentHandler = (params: unknown, sender: SenderLike) => Promise<unknown>

// Handlers are invoked with untrusted params and validate them themselves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (params: any) => Promise<unknown>

export interface RouterOptions {
  runtimeId: string
  /** `runtime.getURL('')`: only pages under it may call routes. */
  extensionBase: string
  warn: (message: string) => void
  /**
   * Routes only this extension's content scripts may call (from a frame of a
   * tab, at a web page URL); the extension's pages may not, and content
   * scripts may call nothing else.
   */
  contentRoutes?: Readonly<Record<string, ContentHandler>>
}

/**
 * One message listener for every route. Only the extension's own pages get
 * through: a content script shares the extension id but runs on a web page
 * URL, and other extensions and pages have other ids. Anything else gets an
 * error reply and a warning. Handler errors come back as `{ok:false}`, never
 * as an unhandled rejection.
 */
export function createRouter(
  handlers: Readonly<Record<string, AnyHandler>>,
  opts: RouterOptions,
): (message: unknown, sender: SenderLike) => Promise<Envelope<unknown>> {
  return async (message, sender) => {
    const route = routeName(message)
    const content = opts.contentRoutes
    if (route !== undefined && content !== undefined && Object.hasOwn(content, route)) {
      if (!isOwnContentScript(sender, opts)) {
        opts.warn(`tseed: refused message ${route} from ${describeSender(sender)}`)
        return { ok: false, error: 'not allowed' }
      }
      try {
        return { ok: true, data: await content[route]?.((message as RouteMessage).params, sender) }
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) }
      }
    }
    if (!isOwnPage(sender, opts)) {
      opts.warn(`tseed: refused message ${route ?? '(malformed)'} from ${describeSender(sender)}`)
      return { ok: false, error: 'not allowed' }
    }
    if (route === undefined) return { ok: false, error: 'malformed message' }
    const handler = Object.hasOwn(handlers, route) ? handlers[route] : undefined
    if (handler === undefined) return { ok: false, error: `unknown route ${route}` }
    try {
      return { ok: true, data: await handler((message as RouteMessage).params) }
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) }
    }
  }
}

function routeName(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const type = (message as { type?: unknown }).type
  return typeof type === 'string' && type.length <= 64 ? type : undefined
}

function isOwnPage(sender: SenderLike, opts: RouterOptions): boolean {
  return (
    sender.id === opts.runtimeId &&
    typeof sender.url === 'string' &&
    sender.url.startsWith(opts.extensionBase)
  )
}

/** Origin only: a page URL may carry tokens in its path or query. */
function describeSender(sender: SenderLike): string {
  let origin = 'unknown origin'
  if (sender.url !== undefined) {
    try {
      origin = new URL(sender.url).origin
    } catch {
      origin = 'an unparsable URL'
    }
  }
  return `${origin} (extension ${sender.id ?? 'none'})`
}
