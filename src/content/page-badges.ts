/**
 * The badges of one page: finds torrent links (now and as the page adds
 * them), asks the background about all their info hashes in batches, and
 * puts a badge after each link once the answer is in and the link is near
 * the viewport, so a page of a thousand links pays for the few dozen badges
 * on screen and the rest as it scrolls, with no further request. A site the
 * user switched off, or a user without TSEED relays, gets nothing, and the
 * script stops.
 */
import type { Envelope } from '../background/messages'
import {
  MAX_LINKS_PER_LOOKUP,
  SITE_BADGE_ROUTES,
  type BadgeLink,
  type SiteBadgesAnswer,
  type SwarmBadgeView,
} from '../background/site-badges/protocol'
import type { BadgeContext } from './badge-text'
import { BADGE_TAG, createBadge, type BadgeView } from './badge-view'
import { createBatcher, type SendOutcome } from './batcher'
import type { TorrentLink } from './magnet'
import { candidateAnchors, torrentLinkOf, type ScanRoot } from './scan'
import { createWorkQueue } from './work-queue'

export interface PageBadgesDeps {
  document: Document
  call: <T>(type: string, params: unknown) => Promise<Envelope<T>>
  MutationObserver: typeof MutationObserver
  IntersectionObserver: typeof IntersectionObserver
  setTimer: (fn: () => void, ms: number) => void
  now: () => number
}

/** Links tracked per page at most; a page with more is not a torrent listing we can help with. */
const MAX_ANCHORS = 10_000
/** Added nodes are scanned at most this often. */
const RESCAN_MS = 250
/** Milliseconds of badge placing per task before the page gets the thread back. */
const SLICE_MS = 8
/** Links read per job of the scan. */
const SCAN_CHUNK = 200
/** Badges are placed this far ahead of the viewport, so they are there before the row is seen. */
const AHEAD = '600px 0px'

interface Tracked {
  infoHash: string
  /** The link is within {@link AHEAD} of the viewport. */
  near: boolean
  badge?: BadgeView
}

export function startPageBadges(d: PageBadgesDeps): { stop(): void } {
  const tracked = new WeakMap<Element, Tracked>()
  const byHash = new Map<string, Element[]>()
  const answers = new Map<string, SwarmBadgeView>()
  const badges = new Set<BadgeView>()
  let count = 0
  let stopped = false
  let context: BadgeContext = { balance: null, relays: 0, answered: 0, testMode: false }
  const work = createWorkQueue({ sliceMs: SLICE_MS, now: d.now, setTimer: d.setTimer })

  const stop = (): void => {
    if (stopped) return
    stopped = true
    mutations.disconnect()
    visibility.disconnect()
    for (const b of badges) b.remove()
    badges.clear()
    byHash.clear()
  }

  const turnOff = (): void => {
    void d.call(SITE_BADGE_ROUTES.off, {}).then((r) => {
      if (r.ok) stop()
    })
  }

  /** Places or updates the badge of a link that is near the viewport and has an answer. */
  const render = (anchor: Element): void => {
    const t = tracked.get(anchor)
    const view = t === undefined ? undefined : answers.get(t.infoHash)
    if (stopped || t === undefined || view === undefined || !anchor.isConnected) return
    if (t.badge === undefined) {
      if (!t.near) return
      t.badge = createBadge(anchor, { context: () => context, onTurnOff: turnOff })
      badges.add(t.badge)
      // Placed once; from now on answers update it wherever it is.
      visibility.unobserve(anchor)
    }
    t.badge.show(view)
  }
  const queueRender = (anchor: Element): void => {
    work.push(() => {
      render(anchor)
    })
  }

  const visibility = new d.IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const t = tracked.get(e.target)
        if (t === undefined) continue
        t.near = e.isIntersecting
        if (t.near && answers.has(t.infoHash)) queueRender(e.target)
      }
    },
    { rootMargin: AHEAD },
  )

  const send = async (links: BadgeLink[]): Promise<SendOutcome> => {
    const reply = await d.call<SiteBadgesAnswer>(SITE_BADGE_ROUTES.lookup, { links })
    if (stopped) return { kind: 'stop' }
    if (!reply.ok) {
      const wait = /^rate limited: try again in (\d+) s$/.exec(reply.error)?.[1]
      if (wait !== undefined) return { kind: 'retry', afterMs: Number(wait) * 1000 }
      // The background could not answer (the extension was updated, say): no badges, no noise.
      return { kind: 'stop' }
    }
    const a = reply.data
    if (!a.enabled || a.relays === 0) {
      stop()
      return { kind: 'stop' }
    }
    context = { balance: a.balance, relays: a.relays, answered: a.answered, testMode: a.testMode }
    for (const view of a.swarms) {
      answers.set(view.infoHash, view)
      for (const anchor of byHash.get(view.infoHash) ?? []) {
        const t = tracked.get(anchor)
        if (t?.near === true || t?.badge !== undefined) queueRender(anchor)
      }
    }
    return { kind: 'done' }
  }

  const batcher = createBatcher<BadgeLink>({
    send,
    maxBatch: MAX_LINKS_PER_LOOKUP,
    delayMs: 50,
    minIntervalMs: 1_000,
    setTimer: d.setTimer,
    now: d.now,
  })

  /** Tracks one link; returns what to ask the background, if its hash is new. */
  const register = (anchor: HTMLAnchorElement, link: TorrentLink): BadgeLink | undefined => {
    const known = tracked.get(anchor)
    if (known?.infoHash === link.infoHash) return undefined
    if (known?.badge !== undefined) {
      // The page pointed the link at another torrent: its old badge is wrong now.
      known.badge.remove()
      badges.delete(known.badge)
    }
    if (known === undefined && ++count > MAX_ANCHORS) return undefined
    tracked.set(anchor, { infoHash: link.infoHash, near: false })
    visibility.observe(anchor)
    const list = byHash.get(link.infoHash)
    if (list === undefined) byHash.set(link.infoHash, [anchor])
    else list.push(anchor)
    if (answers.has(link.infoHash)) return undefined
    return link.bytes === undefined
      ? { infoHash: link.infoHash }
      : { infoHash: link.infoHash, bytes: link.bytes }
  }

  /**
   * Reads the links under `root` in slices, then hands all new hashes to the
   * batcher at once, so a page's links go out in one lookup however long the
   * slices took.
   */
  const scan = (root: Document | Element): void => {
    // Only anchors match the selector, so the elements found have `href`.
    const anchors = candidateAnchors(root as unknown as ScanRoot<HTMLAnchorElement>)
    const asks: BadgeLink[] = []
    for (let i = 0; i < anchors.length; i += SCAN_CHUNK) {
      const chunk = anchors.slice(i, i + SCAN_CHUNK)
      work.push(() => {
        for (const anchor of chunk) {
          const link = torrentLinkOf(anchor)
          const ask = link === null ? undefined : register(anchor, link)
          if (ask !== undefined) asks.push(ask)
        }
      })
    }
    work.push(() => {
      for (const ask of asks) batcher.add(ask.infoHash, ask)
    })
  }

  // Nodes the page adds are gathered and scanned together, at most every RESCAN_MS.
  let pending = new Set<Element>()
  let rescanSet = false
  const rescan = (): void => {
    rescanSet = false
    const roots = pending
    pending = new Set()
    if (stopped) return
    for (const root of roots) if (root.isConnected) scan(root)
  }
  const mutations = new d.MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') {
        if (r.target instanceof Element) pending.add(r.target)
        continue
      }
      for (const node of r.addedNodes) {
        if (node instanceof Element && node.localName !== BADGE_TAG) pending.add(node)
      }
    }
    if (pending.size > 0 && !rescanSet) {
      rescanSet = true
      d.setTimer(rescan, RESCAN_MS)
    }
  })

  mutations.observe(d.document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['href'],
  })
  scan(d.document)
  return { stop }
}
