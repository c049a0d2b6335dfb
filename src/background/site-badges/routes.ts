/**
 * The content routes behind the torrent-site badges. Everything in `params`
 * comes from a web page's DOM (through our content script) and is checked
 * here: at most 1,000 links, each a lowercase hex info hash with an optional
 * decimal size. The site is the sender's, as the content router checked it.
 */
import type { SiteDecisions } from '../consent/site-decisions'
import type { ContentContext } from '../content-router'
import { objectParam, RouteParamsError } from '../route-params'
import { composeBadges, type AskedLink } from './badge-answer'
import { MAX_LINKS_PER_LOOKUP, SITE_BADGE_ROUTES, type SiteBadgesAnswer } from './protocol'
import type { SwarmLookup } from './swarm-lookup'
import type { TabRateLimiter } from './tab-rate-limit'

export interface SiteBadgeRouteDeps {
  /** Resolves once storage is loaded after a worker start. */
  ready: Promise<unknown>
  relays: () => Promise<string[]>
  decisions: Pick<SiteDecisions, 'get' | 'decide'>
  /** A site was blocked from its badge: its held announces are judged again (dropped). */
  onBlocked: (origin: string) => Promise<unknown>
  lookup: SwarmLookup
  /** The user's TSEED over their TSEED relays, from the last balance read; null when unknown. */
  balance: () => Promise<bigint | null>
  limiter: TabRateLimiter
  /** Milliseconds. */
  now: () => number
}

const HEX40 = /^[0-9a-f]{40}$/
const BYTES = /^(0|[1-9][0-9]{0,19})$/
const MAX_BYTES = (1n << 64n) - 1n

/** A lookup costs one token plus one per hundred links; see {@link LOOKUP_RATE}. */
export const lookupCost = (links: number): number => 1 + Math.ceil(links / 100)
/** Per tab: three full 1,000-link lookups at once, then one every 22 s. */
export const LOOKUP_RATE = { capacity: 33, perSecond: 0.5 } as const

export function createSiteBadgeRoutes(d: SiteBadgeRouteDeps) {
  const limit = (ctx: ContentContext, cost: number): void => {
    const r = d.limiter.take(ctx.tabId, cost)
    if (!r.ok) {
      throw new RouteParamsError(`rate limited: try again in ${Math.ceil(r.retryAfterMs / 1000)} s`)
    }
  }
  return {
    async [SITE_BADGE_ROUTES.lookup](
      params: unknown,
      ctx: ContentContext,
    ): Promise<SiteBadgesAnswer> {
      const links = parseLinks(params)
      await d.ready
      // A blocked site is the user's "off" switch for everything TSEED does there.
      if ((await d.decisions.get(ctx.origin))?.decision === 'block') return { enabled: false }
      limit(ctx, lookupCost(links.length))
      const lookups = await d.lookup.lookup(
        await d.relays(),
        links.map((l) => l.infoHash),
      )
      const balance = await d.balance()
      const answered = lookups.flatMap((l) => (l.ok ? [l] : []))
      return {
        enabled: true,
        relays: lookups.length,
        answered: answered.length,
        balance: balance?.toString() ?? null,
        testMode: answered.length > 0 && answered.every((l) => l.testMode),
        swarms: composeBadges(links, lookups, Math.floor(d.now() / 1000)),
      }
    },

    /** "Turn off on this site" in a badge's panel: the same as Block in the popup. */
    async [SITE_BADGE_ROUTES.off](_params: unknown, ctx: ContentContext): Promise<{ off: true }> {
      limit(ctx, 1)
      await d.ready
      await d.decisions.decide(ctx.origin, 'block', d.now())
      await d.onBlocked(ctx.origin)
      return { off: true }
    },
  }
}

/** The links of one lookup, checked and without repeats (the first size given wins). */
export function parseLinks(params: unknown): AskedLink[] {
  const raw = objectParam(params).links
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LINKS_PER_LOOKUP) {
    throw new RouteParamsError(`links must be a list of 1 to ${MAX_LINKS_PER_LOOKUP} links`)
  }
  const out = new Map<string, AskedLink>()
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null)
      throw new RouteParamsError('a link must be an object')
    const { infoHash, bytes } = item as { infoHash?: unknown; bytes?: unknown }
    if (typeof infoHash !== 'string' || !HEX40.test(infoHash)) {
      throw new RouteParamsError('infoHash must be 40 lowercase hex characters')
    }
    let size: bigint | undefined
    if (bytes !== undefined) {
      if (typeof bytes !== 'string' || !BYTES.test(bytes) || BigInt(bytes) > MAX_BYTES) {
        throw new RouteParamsError('bytes must be a decimal number of bytes')
      }
      size = BigInt(bytes)
    }
    if (!out.has(infoHash))
      out.set(infoHash, size === undefined ? { infoHash } : { infoHash, bytes: size })
  }
  return [...out.values()]
}
