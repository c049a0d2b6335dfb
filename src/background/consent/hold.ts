/**
 * Why an announce waits for the user instead of being signed. Shapes cross to
 * the popup, so amounts are decimal strings.
 */
export type HoldReason =
  /** The page's site has not been allowed or blocked yet. */
  | { kind: 'new-site' }
  /** Publishing would take the site past its daily budget. */
  | { kind: 'over-budget'; spent: string; budget: string }
  /** The announce alone costs more than the user confirms without asking. */
  | { kind: 'above-confirm'; threshold: string }
  /** The download grew faster than the configured line speed allows. */
  | { kind: 'too-fast'; bytes: string; seconds: string; lineMbps: string }
  /** A `started` announce cannot have downloaded anything yet. */
  | { kind: 'started-with-download' }

/** What publishing an announce is expected to cost, summed over the user's TSEED relays. */
export interface CostEstimate {
  /** Whole TSEED, rounded up; decimal string. */
  tokens: string
  /** The bytes the relays will charge for: the download since the session's last published announce. */
  bytes: string
  /** false when a relay's price could not be read and the default price was assumed. */
  exact: boolean
}

/** The gate's state on an outbox entry. Absent: the entry is free to publish. */
export type GateState =
  | { state: 'held'; reasons: HoldReason[]; estimate: CostEstimate; heldAt: number }
  | { state: 'dropped'; reason: DropReason; at: number }

export type DropReason = 'site-blocked' | 'declined' | 'superseded'

/** Validates a gate state read back from storage; undefined when it is not one. */
export function parseGateState(raw: unknown): GateState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const g = raw as Record<string, unknown>
  if (g.state === 'dropped') {
    const reason = g.reason
    if (reason !== 'site-blocked' && reason !== 'declined' && reason !== 'superseded')
      return undefined
    return typeof g.at === 'number' ? { state: 'dropped', reason, at: g.at } : undefined
  }
  if (g.state !== 'held' || !Array.isArray(g.reasons) || typeof g.heldAt !== 'number') {
    return undefined
  }
  if (!g.reasons.every(isHoldReason)) return undefined
  const e = g.estimate as Record<string, unknown> | null
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.tokens !== 'string' ||
    typeof e.bytes !== 'string' ||
    typeof e.exact !== 'boolean'
  ) {
    return undefined
  }
  return {
    state: 'held',
    reasons: g.reasons,
    estimate: { tokens: e.tokens, bytes: e.bytes, exact: e.exact },
    heldAt: g.heldAt,
  }
}

const REASON_FIELDS: Record<HoldReason['kind'], readonly string[]> = {
  'new-site': [],
  'over-budget': ['spent', 'budget'],
  'above-confirm': ['threshold'],
  'too-fast': ['bytes', 'seconds', 'lineMbps'],
  'started-with-download': [],
}

function isHoldReason(raw: unknown): raw is HoldReason {
  if (typeof raw !== 'object' || raw === null) return false
  const r = raw as Record<string, unknown>
  if (typeof r.kind !== 'string' || !Object.hasOwn(REASON_FIELDS, r.kind)) return false
  return REASON_FIELDS[r.kind as HoldReason['kind']].every((f) => typeof r[f] === 'string')
}
