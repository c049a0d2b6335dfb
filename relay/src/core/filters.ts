import type { NostrEvent } from 'nostr-tools/core'
import type { RelayLimits } from './limits'

/**
 * A validated NIP-01 filter. Sets make matching O(1) per field; `tags` maps a
 * single letter to the accepted first values of that tag.
 */
export interface Filter {
  ids?: ReadonlySet<string>
  authors?: ReadonlySet<string>
  kinds?: ReadonlySet<number>
  tags: ReadonlyMap<string, ReadonlySet<string>>
  since?: number
  until?: number
  /** Already capped at the relay's maximum. */
  limit?: number
}

/** Why a filter was refused; the message follows `invalid: ` in CLOSED. */
export class FilterError extends Error {
  override name = 'FilterError'
}

const HEX64 = /^[0-9a-f]{64}$/
const TAG_KEY = /^#[a-zA-Z]$/
const MAX_KIND = 65535
const MAX_TAG_VALUE_LENGTH = 1024

/**
 * Validates one filter object from a REQ. Unknown fields are refused rather
 * than ignored: ignoring one (say NIP-50 `search`) would silently widen the
 * result.
 *
 * @example
 * parseFilter({ kinds: [21000], '#i': [infoHash] }, limits)
 */
export function parseFilter(value: unknown, limits: RelayLimits): Filter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FilterError('filter must be a JSON object')
  }
  const tags = new Map<string, ReadonlySet<string>>()
  const filter: Filter = { tags }
  for (const [key, raw] of Object.entries(value)) {
    switch (key) {
      case 'ids':
      case 'authors':
        filter[key] = stringSet(key, raw, limits, (s) => HEX64.test(s), '64 lowercase hex chars')
        break
      case 'kinds':
        filter.kinds = new Set(
          list(key, raw, limits).map((k) => {
            if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > MAX_KIND) {
              throw new FilterError(`kinds must hold integers from 0 to ${MAX_KIND}`)
            }
            return k
          }),
        )
        break
      case 'since':
      case 'until':
        filter[key] = timestamp(key, raw)
        break
      case 'limit':
        if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
          throw new FilterError('limit must be a non-negative integer')
        }
        filter.limit = Math.min(raw, limits.maxLimit)
        break
      default:
        if (!TAG_KEY.test(key))
          throw new FilterError(`unsupported filter field ${JSON.stringify(key)}`)
        tags.set(
          key.slice(1),
          stringSet(key, raw, limits, (s) => s.length <= MAX_TAG_VALUE_LENGTH, 'short strings'),
        )
    }
  }
  return filter
}

/** NIP-01 matching: every present field must match; `#x` looks at the first value of each `x` tag. */
export function matchFilter(filter: Filter, ev: NostrEvent): boolean {
  if (filter.ids !== undefined && !filter.ids.has(ev.id)) return false
  if (filter.authors !== undefined && !filter.authors.has(ev.pubkey)) return false
  if (filter.kinds !== undefined && !filter.kinds.has(ev.kind)) return false
  if (filter.since !== undefined && ev.created_at < filter.since) return false
  if (filter.until !== undefined && ev.created_at > filter.until) return false
  for (const [letter, values] of filter.tags) {
    if (!ev.tags.some((t) => t[0] === letter && t[1] !== undefined && values.has(t[1]))) {
      return false
    }
  }
  return true
}

/** Filters in one REQ are ORed. */
export function matchAnyFilter(filters: readonly Filter[], ev: NostrEvent): boolean {
  return filters.some((f) => matchFilter(f, ev))
}

function list(key: string, raw: unknown, limits: RelayLimits): unknown[] {
  if (!Array.isArray(raw)) throw new FilterError(`${key} must be an array`)
  if (raw.length > limits.maxFilterValues) {
    throw new FilterError(`${key} has ${raw.length} values, limit ${limits.maxFilterValues}`)
  }
  return raw as unknown[]
}

function stringSet(
  key: string,
  raw: unknown,
  limits: RelayLimits,
  ok: (s: string) => boolean,
  what: string,
): Set<string> {
  return new Set(
    list(key, raw, limits).map((s) => {
      if (typeof s !== 'string' || !ok(s)) throw new FilterError(`${key} must hold ${what}`)
      return s
    }),
  )
}

function timestamp(key: string, raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw new FilterError(`${key} must be a non-negative integer (unix seconds)`)
  }
  return raw
}
