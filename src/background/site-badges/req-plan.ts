/**
 * How the info hashes of a page are split into REQs: as few as fit the
 * relay's message size and filter-value limits, and, when a filter's answer
 * fills the relay's `limit` (so it may be cut short), into halves asked
 * again, so every count stays exact. Pure: the socket is in req-batch.ts.
 */
import { TORRENT_ANNOUNCE, TORRENT_METADATA } from '../../nostr/kinds'

/** What one REQ asks about a set of info hashes. */
export type QueryPart = 'announces' | 'torrents'

export interface QueryUnit {
  hashes: readonly string[]
  parts: readonly QueryPart[]
}

export interface PlanLimits {
  /** Bytes of one client message (NIP-11 `max_message_length`). */
  maxMessageLength: number
  /** Values in one filter list (the TSEED relay's `maxFilterValues`; not in NIP-11). */
  maxFilterValues: number
  /** The most stored events one filter returns (NIP-11 `max_limit`). */
  maxLimit: number
}

/** The TSEED relay's defaults, assumed when a relay does not publish its own. */
export const DEFAULT_PLAN_LIMITS: Readonly<PlanLimits> = Object.freeze({
  maxMessageLength: 64 * 1024,
  maxFilterValues: 1000,
  maxLimit: 500,
})

/** Subscription ids are short: they count against the message size too. */
export const SUB_ID_CHARS = 8

/** The filters of one REQ; `since` bounds the announces to the counting window. */
export function unitFilters(
  unit: QueryUnit,
  since: number,
  limit: number,
): Record<string, unknown>[] {
  const filters: Record<string, unknown>[] = []
  const hashes = [...unit.hashes]
  if (unit.parts.includes('announces')) {
    filters.push({ kinds: [TORRENT_ANNOUNCE], '#i': hashes, since, limit })
  }
  if (unit.parts.includes('torrents')) {
    filters.push({ kinds: [TORRENT_METADATA], '#x': hashes, limit })
  }
  return filters
}

/** The REQ frame as it goes on the wire. */
export function reqFrame(subId: string, unit: QueryUnit, since: number, limit: number): string {
  return JSON.stringify(['REQ', subId, ...unitFilters(unit, since, limit)])
}

/**
 * The first REQs for `hashes`, asking both parts: one REQ when it fits,
 * else the fewest equal halvings that do.
 *
 * @example
 * planUnits(thousandHashes, now - 3600, { maxMessageLength: 131072, maxFilterValues: 1000, maxLimit: 500 })
 * // one unit of 1,000 hashes: about 87 KB
 */
export function planUnits(
  hashes: readonly string[],
  since: number,
  limits: PlanLimits,
): QueryUnit[] {
  const out: QueryUnit[] = []
  const parts: QueryPart[] = ['announces', 'torrents']
  const fits = (unit: QueryUnit): boolean =>
    unit.hashes.length <= limits.maxFilterValues &&
    utf8Length(reqFrame('x'.repeat(SUB_ID_CHARS), unit, since, limits.maxLimit)) <=
      limits.maxMessageLength
  const place = (slice: readonly string[]): void => {
    const unit = { hashes: slice, parts }
    if (slice.length <= 1 || fits(unit)) {
      if (slice.length > 0) out.push(unit)
      return
    }
    const [a, b] = halves(slice)
    place(a)
    place(b)
  }
  place(hashes)
  return out
}

/**
 * What to ask again after a unit's answer: each part whose answer reached
 * `limit` may be missing events, so it is asked again for each half of the
 * hashes. A single hash cannot be split: it is reported as `saturated`.
 */
export function followUps(
  unit: QueryUnit,
  received: Readonly<Record<QueryPart, number>>,
  limit: number,
): { units: QueryUnit[]; saturated: QueryPart[] } {
  const full = unit.parts.filter((p) => received[p] >= limit)
  if (full.length === 0) return { units: [], saturated: [] }
  if (unit.hashes.length === 1) return { units: [], saturated: full }
  const [a, b] = halves(unit.hashes)
  return {
    units: [
      { hashes: a, parts: full },
      { hashes: b, parts: full },
    ],
    saturated: [],
  }
}

function halves(xs: readonly string[]): [readonly string[], readonly string[]] {
  const mid = Math.ceil(xs.length / 2)
  return [xs.slice(0, mid), xs.slice(mid)]
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length
}
