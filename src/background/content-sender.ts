import { httpOrigin } from './tracker-observer'

/** The fields of `runtime.MessageSender` that tell a content script's page apart. */
export interface ContentSenderLike {
  id?: string
  url?: string
  frameId?: number
  tab?: { id?: number; url?: string }
}

export interface ContentSenderOptions {
  runtimeId: string
  /** `runtime.getURL('')`: the extension's own pages are not content scripts. */
  extensionBase: string
}

/** Where a content script's message came from, as the consent gate needs it. */
export interface ContentSite {
  tabId: number
  /** The top-level page's origin, or the frame's when only the tab knows the top. */
  origin: string
  /** Set when `origin` is the frame's: the intake asks the tab for its page. */
  originFromTab?: number
}

/**
 * Whether a message comes from one of this extension's content scripts,
 * running in a frame of a tab: our id, a tab and a frame, and a page URL
 * rather than one of our own pages. The browser fills these fields; a page
 * cannot choose them.
 */
export function isOwnContentScript(sender: ContentSenderLike, o: ContentSenderOptions): boolean {
  return (
    sender.id === o.runtimeId &&
    typeof sender.url === 'string' &&
    !sender.url.startsWith(o.extensionBase) &&
    typeof sender.tab?.id === 'number' &&
    sender.tab.id >= 0 &&
    typeof sender.frameId === 'number' &&
    sender.frameId >= 0
  )
}

/**
 * The site a content script's report belongs to: the origin of the tab's
 * top-level page, the same unit the HTTP observer uses, so one per-site
 * decision covers both. A top frame answers for itself; a frame's own origin
 * is only a fallback the intake replaces with the tab's page. about:blank and
 * srcdoc frames have no origin of their own in the URL and count only under
 * an http(s) tab. Returns undefined when no http(s) page can be named.
 */
export function contentSite(
  sender: ContentSenderLike,
  o: ContentSenderOptions,
): ContentSite | undefined {
  if (!isOwnContentScript(sender, o)) return undefined
  const tabId = sender.tab?.id ?? -1
  const url = sender.url ?? ''
  const frame = httpOrigin(url)
  const blank = /^about:(blank|srcdoc)([?#]|$)/.test(url)
  if (frame === undefined && !blank) return undefined
  const top = httpOrigin(sender.tab?.url)
  if (sender.frameId === 0) {
    const origin = frame ?? top
    return origin === undefined ? undefined : { tabId, origin }
  }
  if (top !== undefined) return { tabId, origin: top }
  return frame === undefined ? undefined : { tabId, origin: frame, originFromTab: tabId }
}
