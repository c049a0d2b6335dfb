import type { Outbox } from '../outbox'
import { createSerialQueue, type StorageAreaLike } from '../storage-item'
import { createAnnounceGate } from './announce-gate'
import type { EstimateCost } from './cost-estimator'
import { createHeldAnnounces } from './held-announces'
import { createSessionProgressStore } from './session-progress'
import { createSiteDecisions } from './site-decisions'
import { createSpendingSettings } from './spending-settings'
import { createSpendLog } from './spend-log'

export interface ConsentDeps {
  /** `storage.local`: decisions, budgets and spend survive restarts. */
  area: StorageAreaLike
  outbox: Outbox
  relays: () => Promise<string[]>
  estimateCost: EstimateCost
  now: () => number
  /** Held announces were released: get them published. */
  onReleased: () => void
  /** The set of held announces changed. */
  onChanged: () => void
  /** After any change of a site's decision, budget or replace mode. */
  onDecisionsChanged?: () => void
}

/**
 * The consent model in one piece: per-site decisions, budgets, the spend
 * log, the gate that judges announces and the handling of the user's
 * answers. New announces and answers are judged in one queue (`serial`), so
 * a budget is never spent twice.
 */
export function createConsent(d: ConsentDeps) {
  const decisions = createSiteDecisions(d.area, d.onDecisionsChanged)
  const spending = createSpendingSettings(d.area)
  const spendLog = createSpendLog(d.area)
  const gate = createAnnounceGate({
    decisions,
    spending,
    spendLog,
    progress: createSessionProgressStore(d.area),
    estimateCost: d.estimateCost,
    now: d.now,
  })
  const serial = createSerialQueue()
  const held = createHeldAnnounces({
    outbox: d.outbox,
    gate,
    decisions,
    relays: d.relays,
    serial,
    now: d.now,
    onReleased: d.onReleased,
    onChanged: d.onChanged,
  })
  return { decisions, spending, spendLog, gate, held, serial }
}

export type Consent = ReturnType<typeof createConsent>
