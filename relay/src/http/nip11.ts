import pkg from '../../../package.json' with { type: 'json' }
import { TORRENT_ANNOUNCE } from '../../../src/nostr/kinds'
import type { RelayLimits } from '../core/limits'

/** The NIP-11 relay information document, with the `tseed` extension. */
export interface RelayInfoDocument {
  name: string
  description: string
  pubkey?: string
  contact?: string
  supported_nips: number[]
  software: string
  version: string
  limitation: Record<string, number | boolean>
  /** Lets the extension recognise a TSEED relay; the ledger adds its API and pool here. */
  tseed: { kinds: number[]; announce_ttl: number } & Record<string, unknown>
  [field: string]: unknown
}

/** Operator-supplied parts of the document; everything is optional. */
export interface RelayInfoOptions {
  name?: string
  description?: string
  /** Admin contact pubkey (64 hex). */
  pubkey?: string
  contact?: string
  /** Added to the NIPs the core supports. */
  extraNips?: number[]
  /** Merged into `limitation`, e.g. `payment_required: true` once a ledger charges. */
  limitation?: Record<string, number | boolean>
  /** Merged into the `tseed` object. */
  tseed?: Record<string, unknown>
  /** Merged into `tseed.limits`: limits NIP-11 has no name for (connections, API, tracker). */
  limits?: Record<string, unknown>
  /** Other top-level NIP-11 fields (`icon`, `terms_of_service`, `payments_url`, …). */
  extra?: Record<string, unknown>
}

/** NIPs the core implements: basic protocol, this document, expiration. */
export const CORE_NIPS: readonly number[] = [1, 11, 40]

export const SOFTWARE = 'tseed-relay'
export const VERSION: string = pkg.version

/**
 * Builds the NIP-11 document from the limits the core enforces, so the
 * published numbers can never drift from the enforced ones.
 *
 * @example
 * buildRelayInfo(relay.limits, relay.announceTtlSeconds, { tseed: { api: '/api' } })
 */
export function buildRelayInfo(
  limits: RelayLimits,
  announceTtlSeconds: number,
  opts: RelayInfoOptions = {},
): RelayInfoDocument {
  const doc: RelayInfoDocument = {
    ...opts.extra,
    name: opts.name ?? 'TSEED relay',
    description:
      opts.description ??
      'Keeps the current swarm of kind 21000 torrent announces and forwards ephemeral events.',
    supported_nips: [...new Set([...CORE_NIPS, ...(opts.extraNips ?? [])])].sort((a, b) => a - b),
    software: SOFTWARE,
    version: VERSION,
    limitation: {
      max_message_length: limits.maxMessageBytes,
      max_subscriptions: limits.maxSubscriptions,
      max_filters: limits.maxFilters,
      max_limit: limits.maxLimit,
      default_limit: limits.defaultLimit,
      max_subid_length: limits.maxSubIdLength,
      max_event_tags: limits.maxEventTags,
      max_content_length: limits.maxContentLength,
      created_at_upper_limit: limits.maxFutureSeconds,
      auth_required: false,
      payment_required: false,
      // Writes are limited to announces and ephemeral kinds.
      restricted_writes: true,
      ...opts.limitation,
    },
    tseed: {
      kinds: [TORRENT_ANNOUNCE],
      announce_ttl: announceTtlSeconds,
      ...opts.tseed,
      limits: {
        ...opts.limits,
        max_filters: limits.maxFilters,
        max_filter_values: limits.maxFilterValues,
        ephemeral_max_age: limits.ephemeralMaxAgeSeconds,
        rate_limit: { burst: limits.rateLimitBurst, per_second: limits.rateLimitPerSecond },
      },
    },
  }
  if (opts.pubkey !== undefined) doc.pubkey = opts.pubkey
  if (opts.contact !== undefined) doc.contact = opts.contact
  return doc
}
