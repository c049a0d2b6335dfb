import type { Kind21000Announce } from '../../nostr/kind21000'
import type { StorageItem } from '../storage-item'
import { budgetReasons } from './budget'
import type { EstimateCost } from './cost-estimator'
import type { CostEstimate, HoldReason } from './hold'
import { downloadDelta, plausibilityReasons } from './plausibility'
import type { SessionProgressStore } from './session-progress'
import type { SiteDecisions } from './site-decisions'
import type { SpendingSettings } from './spending-settings'
import type { SpendLog } from './spend-log'

/** An announce as the gate judges it. */
export interface GateCandidate {
  announce: Kind21000Announce
  /** Top-level origin of the page that made the request. */
  origin: string
  seenAt: number
}

export type GateVerdict =
  | { action: 'publish'; estimate: CostEstimate }
  | { action: 'hold'; reasons: HoldReason[]; estimate: CostEstimate }
  /** The user blocked the site: nothing is signed, nothing is kept. */
  | { action: 'drop' }

export interface AnnounceGate {
  /** Decides whether an announce may be signed without asking the user. */
  evaluate(c: GateCandidate, relays: readonly string[]): Promise<GateVerdict>
  /**
   * Records that an announce goes out: its cost counts against the site's
   * budget and its counters become the session's reference. Call it before
   * the announce can be published, so a crash can only over-count.
   */
  release(c: GateCandidate, estimate: CostEstimate, at: number): Promise<void>
}

export interface AnnounceGateDeps {
  decisions: SiteDecisions
  spending: StorageItem<SpendingSettings>
  spendLog: SpendLog
  progress: SessionProgressStore
  estimateCost: EstimateCost
  now: () => number
}

/**
 * The consent and budget check between an observed announce and the signer.
 * A page can make any request that looks like an announce, so an announce is
 * a request to sign, never consent: it goes out without a question only when
 * its site is allowed, the cost fits the site's budget and the confirmation
 * threshold, and the counters are ones a real client could report.
 */
export function createAnnounceGate(deps: AnnounceGateDeps): AnnounceGate {
  return {
    async evaluate(c, relays) {
      const rule = await deps.decisions.get(c.origin)
      if (rule?.decision === 'block') return { action: 'drop' }
      const [previous, settings] = await Promise.all([
        deps.progress.get(c.announce),
        deps.spending.get(),
      ])
      const bytes = downloadDelta(c.announce, previous)
      const estimate = await deps.estimateCost(c.announce.infoHash, bytes, relays)
      const reasons: HoldReason[] = rule === undefined ? [{ kind: 'new-site' }] : []
      reasons.push(...plausibilityReasons(c.announce, previous, c.seenAt, settings.lineMbps))
      const spent = await deps.spendLog.spentInWindow(c.origin, deps.now())
      reasons.push(
        ...budgetReasons(BigInt(estimate.tokens), spent, {
          dailyBudget: rule?.dailyBudget ?? settings.dailyBudget,
          confirmAbove: settings.confirmAbove,
        }),
      )
      return reasons.length === 0
        ? { action: 'publish', estimate }
        : { action: 'hold', reasons, estimate }
    },

    async release(c, estimate, at) {
      await deps.spendLog.record(c.origin, BigInt(estimate.tokens), at)
      await deps.progress.set(c.announce, c.seenAt)
    },
  }
}
