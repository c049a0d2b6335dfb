import { createTokenBucket, type TokenBucket } from '../content/token-bucket'
import { BRIDGE_BURST, BRIDGE_REFILL_PER_SECOND, type ReplaceCounts } from '../content/ws-protocol'
import { AnnounceParseError } from '../nostr/tracker-announce'
import { contentSite, type ContentSenderOptions } from './content-sender'
import type { ReportIgnored } from './ignored-announces'
import type { ContentHandler } from './router'
import type { TrackerAnswers } from './tracker-answers'
import type { ObservedAnnounce } from './tracker-observer'
import type { DownloadBaselines } from './ws-download-baseline'
import { parseHookReport } from './ws-hook-report'

export interface WsTrackerRouteDeps extends ContentSenderOptions {
  /** The same intake HTTP announces go through (dedupe, consent gate, outbox). */
  intake: (o: ObservedAnnounce) => Promise<void>
  answers: TrackerAnswers
  /** WebTorrent's `downloaded` made relative to the session's start, as BEP 3 counts it. */
  baselines: DownloadBaselines
  reportIgnored: ReportIgnored
  now: () => number
  /**
   * Replace mode: the TSEED relays' counts for an announce of this site, or
   * null when the site is not in replace mode (or the relays failed).
   */
  replaceCounts?: (
    origin: string,
    infoHash: string,
    left: bigint | null,
    trackerHost: string,
  ) => Promise<ReplaceCounts | null>
}

/** Tabs whose rate is tracked at once; beyond it the oldest is forgotten (and starts full again). */
const MAX_TRACKED_TABS = 1_000

/**
 * The route the content bridge calls with a report of the page's WebSocket
 * tracker traffic. Nothing from the page is trusted: the sender must be our
 * content script in a tab, the site is what the browser says the tab shows,
 * each tab is rate-limited again here (a compromised renderer is not bound
 * by the bridge's limit), and the report is parsed again. An announce then
 * takes the HTTP announces' path, so the same per-site decision, budget and
 * plausibility checks apply.
 */
export function createWsTrackerRoute(d: WsTrackerRouteDeps): ContentHandler {
  const buckets = new Map<number, TokenBucket>()
  const allow = (tabId: number): boolean => {
    let bucket = buckets.get(tabId)
    if (bucket === undefined) {
      bucket = createTokenBucket({
        capacity: BRIDGE_BURST,
        refillPerSecond: BRIDGE_REFILL_PER_SECOND,
        now: d.now,
      })
      buckets.set(tabId, bucket)
      for (const oldest of buckets.keys()) {
        if (buckets.size <= MAX_TRACKED_TABS) break
        buckets.delete(oldest)
      }
    }
    return bucket.take()
  }

  return async (params, sender) => {
    const site = contentSite(sender, d)
    if (site === undefined) throw new Error('not allowed: no http(s) page')
    if (!allow(site.tabId)) throw new Error('rate-limited: too many tracker reports from this tab')
    const siteHost = new URL(site.origin).host
    let report
    try {
      report = parseHookReport(params)
    } catch (e) {
      if (!(e instanceof AnnounceParseError)) throw e
      d.reportIgnored(siteHost, `WebSocket tracker report: ${e.message}`)
      throw e
    }
    const seenAt = d.now()
    if (report.kind === 'answer') {
      d.answers.record({
        ...report.answer,
        site: siteHost,
        trackerHost: report.trackerHost,
        at: seenAt,
      })
      return null
    }
    const observed: ObservedAnnounce = {
      announce: await d.baselines.rebase(report.announce),
      origin: site.origin,
      trackerHost: report.trackerHost,
      seenAt,
    }
    if (site.originFromTab !== undefined) observed.originFromTab = site.originFromTab
    await d.intake(observed)
    // A frame's announce is answered only when the frame's own site is known to be the tab's.
    if (d.replaceCounts === undefined || site.originFromTab !== undefined) return null
    const counts = await d.replaceCounts(
      site.origin,
      observed.announce.infoHash,
      observed.announce.left,
      report.trackerHost,
    )
    return counts === null ? null : { replace: counts }
  }
}
