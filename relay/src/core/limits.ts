/**
 * Limits the relay enforces. Each one is published in the NIP-11 document, so
 * clients can learn them before they hit them.
 */
export interface RelayLimits {
  /** Largest accepted WebSocket text frame, in UTF-8 bytes. */
  maxMessageBytes: number
  /** Open subscriptions per connection. */
  maxSubscriptions: number
  /** Filters per REQ. */
  maxFilters: number
  /** Values per filter array (`ids`, `authors`, `kinds`, each `#x`). */
  maxFilterValues: number
  /** Ceiling for a filter's `limit`; larger values are lowered to it. */
  maxLimit: number
  /** Stored events returned for a filter that has no `limit`. */
  defaultLimit: number
  maxSubIdLength: number
  maxEventTags: number
  /** In UTF-16 code units, as JavaScript measures strings. */
  maxContentLength: number
  /** How far `created_at` may lie ahead of the relay's clock. */
  maxFutureSeconds: number
  /** How old an ephemeral event (other than an announce) may be when it arrives. */
  ephemeralMaxAgeSeconds: number
  /** Token bucket per connection: every client message costs one token. */
  rateLimitBurst: number
  rateLimitPerSecond: number
}

export const DEFAULT_LIMITS: Readonly<RelayLimits> = Object.freeze({
  // A REQ for every info hash of a 1,000-link torrent page, asking both kinds
  // (21000 by `#i` and 2003 by `#x`), is about 87 KB; strfry's default frame
  // limit is the same 128 KiB.
  maxMessageBytes: 128 * 1024,
  maxSubscriptions: 20,
  maxFilters: 10,
  maxFilterValues: 1000,
  maxLimit: 500,
  defaultLimit: 500,
  maxSubIdLength: 64,
  maxEventTags: 100,
  maxContentLength: 60 * 1024,
  maxFutureSeconds: 900,
  ephemeralMaxAgeSeconds: 300,
  // An extension that starts with many torrents announces them all at once.
  rateLimitBurst: 120,
  rateLimitPerSecond: 30,
})

/** Default time an announce stays in the swarm after its `created_at`. */
export const DEFAULT_ANNOUNCE_TTL_SECONDS = 2 * 60 * 60

/**
 * Merges overrides into the defaults and rejects values that would disable a
 * limit by accident (zero, negative, fractional).
 */
export function resolveLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits) as [keyof RelayLimits, number][]) {
    const min = name === 'maxFutureSeconds' ? 0 : 1
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`relay limit ${name} must be an integer >= ${min}, got ${value}`)
    }
  }
  if (limits.defaultLimit > limits.maxLimit) {
    throw new RangeError('relay limit defaultLimit must not exceed maxLimit')
  }
  return limits
}
