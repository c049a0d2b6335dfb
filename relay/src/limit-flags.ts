/**
 * Every limit the relay enforces, as operator flags (`--max-connections-per-ip 50`)
 * and config-file keys of the same name. One table drives the flags, their
 * range checks, the `--help` text and the mapping onto `startTseedRelay`, so a
 * limit cannot be settable in one place and fixed in another.
 */
import { DEFAULT_API_RATE_LIMIT } from './api/router'
import { DEFAULT_MAX_BODY_BYTES } from './api/http'
import { integerFlag, type CliFlag } from './cli-options'
import { DEFAULT_LIMITS, type RelayLimits } from './core/limits'
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from './tracker/tracker'
import { START_RELAY_DEFAULTS } from './transport/start-relay'

/** Every limit an operator sets: the relay core's, and the transport's, API's and tracker's. */
export interface LimitCliOptions extends RelayLimits {
  maxConnectionsPerIp: number
  maxBufferedBytes: number
  apiRateBurst: number
  apiRatePerSecond: number
  apiMaxBodyBytes: number
  trackerRateBurst: number
  trackerRatePerSecond: number
  trackerDefaultNumwant: number
  trackerMaxNumwant: number
  trackerMaxPeers: number
}

/** One limit: its flag (also its config-file key), range, default and what exceeding it does. */
export interface LimitSpec {
  key: keyof LimitCliOptions
  flag: string
  valueName: string
  min: number
  max: number
  default: number
  /** What it bounds, for `--help`. */
  description: string
  /** What a client that goes over it gets; for the docs table. */
  exceeded: string
}

const MIB = 1024 * 1024
const trackerRate = DEFAULT_TRACKER_OPTIONS.rateLimit ?? { burst: 500, perSecond: 50 }

/** The limits in `--help` order. */
export const LIMIT_SPECS: readonly LimitSpec[] = [
  {
    key: 'maxConnectionsPerIp',
    flag: 'max-connections-per-ip',
    valueName: '<n>',
    min: 1,
    max: 1_000_000,
    default: START_RELAY_DEFAULTS.maxConnectionsPerIp,
    description: 'open WebSocket connections per client address',
    exceeded: 'the upgrade is refused with HTTP 429',
  },
  {
    key: 'rateLimitBurst',
    flag: 'rate-burst',
    valueName: '<messages>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_LIMITS.rateLimitBurst,
    description: 'messages a connection may send at once before the rate applies',
    exceeded: '`OK false "rate-limited: …"` (EVENT), `CLOSED` (REQ), else `NOTICE`',
  },
  {
    key: 'rateLimitPerSecond',
    flag: 'rate-per-second',
    valueName: '<messages>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_LIMITS.rateLimitPerSecond,
    description: 'messages per second per connection after the burst',
    exceeded: 'as `rate-burst`',
  },
  {
    key: 'maxSubscriptions',
    flag: 'max-subscriptions',
    valueName: '<n>',
    min: 1,
    max: 100_000,
    default: DEFAULT_LIMITS.maxSubscriptions,
    description: 'open subscriptions per connection',
    exceeded: '`CLOSED "rate-limited: …"`',
  },
  {
    key: 'maxFilters',
    flag: 'max-filters',
    valueName: '<n>',
    min: 1,
    max: 10_000,
    default: DEFAULT_LIMITS.maxFilters,
    description: 'filters per REQ',
    exceeded: '`CLOSED "invalid: …"`',
  },
  {
    key: 'maxFilterValues',
    flag: 'max-filter-values',
    valueName: '<n>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_LIMITS.maxFilterValues,
    description: 'values per filter list (ids, authors, kinds, #x)',
    exceeded: '`CLOSED "invalid: …"`',
  },
  {
    key: 'maxLimit',
    flag: 'max-limit',
    valueName: '<n>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_LIMITS.maxLimit,
    description: "ceiling for a filter's limit",
    exceeded: 'the limit is lowered to it',
  },
  {
    key: 'defaultLimit',
    flag: 'default-limit',
    valueName: '<n>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_LIMITS.defaultLimit,
    description: 'stored events sent for a filter without limit; at most max-limit',
    exceeded: 'the rest is not sent',
  },
  {
    key: 'maxSubIdLength',
    flag: 'max-subid-length',
    valueName: '<chars>',
    min: 1,
    max: 1024,
    default: DEFAULT_LIMITS.maxSubIdLength,
    description: 'subscription id length',
    exceeded: '`NOTICE "invalid: …"`',
  },
  {
    key: 'maxEventTags',
    flag: 'max-event-tags',
    valueName: '<n>',
    min: 1,
    max: 100_000,
    default: DEFAULT_LIMITS.maxEventTags,
    description: 'tags per event (an announce has its own fixed shape)',
    exceeded: '`OK false "invalid: too many tags: …"`',
  },
  {
    key: 'maxContentLength',
    flag: 'max-content-length',
    valueName: '<chars>',
    min: 1,
    max: 64 * MIB,
    default: DEFAULT_LIMITS.maxContentLength,
    description: 'event content length in UTF-16 code units',
    exceeded: '`OK false "invalid: content too long: …"`',
  },
  {
    key: 'maxFutureSeconds',
    flag: 'max-future-seconds',
    valueName: '<seconds>',
    min: 0,
    max: 365 * 86_400,
    default: DEFAULT_LIMITS.maxFutureSeconds,
    description: "how far created_at may lie ahead of the relay's clock",
    exceeded: '`OK false "invalid: created_at is … in the future …"`',
  },
  {
    key: 'ephemeralMaxAgeSeconds',
    flag: 'ephemeral-max-age',
    valueName: '<seconds>',
    min: 1,
    max: 365 * 86_400,
    default: DEFAULT_LIMITS.ephemeralMaxAgeSeconds,
    description: 'how old an ephemeral event (not an announce) may be when it arrives',
    exceeded: '`OK false "invalid: …"`',
  },
  {
    key: 'maxMessageBytes',
    flag: 'max-message-bytes',
    valueName: '<bytes>',
    min: 1024,
    max: 16 * MIB,
    default: DEFAULT_LIMITS.maxMessageBytes,
    description: 'largest WebSocket text frame; four times this closes the connection',
    exceeded: '`OK false "invalid: event too large: …"` or `NOTICE`; over 4x, close code 1009',
  },
  {
    key: 'maxBufferedBytes',
    flag: 'max-send-queue-bytes',
    valueName: '<bytes>',
    min: 64 * 1024,
    max: 1024 * MIB,
    default: START_RELAY_DEFAULTS.maxBufferedBytes,
    description: 'unsent output held for a connection that does not read',
    exceeded: 'the connection is dropped',
  },
  {
    key: 'apiRateBurst',
    flag: 'api-rate-burst',
    valueName: '<requests>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_API_RATE_LIMIT.burst,
    description: 'API requests a client address may make at once',
    exceeded: 'HTTP 429 `{"error":"rate_limited"}`',
  },
  {
    key: 'apiRatePerSecond',
    flag: 'api-rate-per-second',
    valueName: '<requests>',
    min: 1,
    max: 1_000_000,
    default: DEFAULT_API_RATE_LIMIT.perSecond,
    description: 'API requests per second per client address after the burst',
    exceeded: 'as `api-rate-burst`',
  },
  {
    key: 'apiMaxBodyBytes',
    flag: 'api-max-body-bytes',
    valueName: '<bytes>',
    min: 1024,
    max: 16 * MIB,
    default: DEFAULT_MAX_BODY_BYTES,
    description: 'largest API request body',
    exceeded: 'HTTP 413 `{"error":"body_too_large"}`',
  },
  {
    key: 'trackerRateBurst',
    flag: 'tracker-rate-burst',
    valueName: '<requests>',
    min: 1,
    max: 1_000_000,
    default: trackerRate.burst,
    description: 'tracker requests a client address may make at once',
    exceeded: 'bencoded `failure reason` (rate limited), HTTP 200',
  },
  {
    key: 'trackerRatePerSecond',
    flag: 'tracker-rate-per-second',
    valueName: '<requests>',
    min: 1,
    max: 1_000_000,
    default: trackerRate.perSecond,
    description: 'tracker requests per second per client address after the burst',
    exceeded: 'as `tracker-rate-burst`',
  },
  {
    key: 'trackerDefaultNumwant',
    flag: 'tracker-default-numwant',
    valueName: '<peers>',
    min: 1,
    max: 1000,
    default: DEFAULT_TRACKER_OPTIONS.defaultNumwant,
    description: 'peers in a tracker answer without numwant; at most tracker-max-numwant',
    exceeded: 'fewer peers are listed',
  },
  {
    key: 'trackerMaxNumwant',
    flag: 'tracker-max-numwant',
    valueName: '<peers>',
    min: 1,
    max: 1000,
    default: DEFAULT_TRACKER_OPTIONS.maxNumwant,
    description: 'most peers in one tracker answer',
    exceeded: 'a larger numwant is lowered to it',
  },
  {
    key: 'trackerMaxPeers',
    flag: 'tracker-max-peers',
    valueName: '<peers>',
    min: 1,
    max: 100_000_000,
    default: DEFAULT_TRACKER_OPTIONS.maxPeers,
    description: 'tracker peers listed over all swarms',
    exceeded: 'a new peer is accounted but not listed',
  },
]

export const LIMIT_CLI_DEFAULTS: Readonly<LimitCliOptions> = Object.freeze(
  Object.fromEntries(LIMIT_SPECS.map((s) => [s.key, s.default])) as unknown as LimitCliOptions,
)

export const LIMIT_FLAGS: readonly CliFlag<LimitCliOptions>[] = LIMIT_SPECS.map((s) => ({
  name: s.flag,
  valueName: s.valueName,
  description: `${s.description}, ${s.min} to ${s.max} (default ${s.default})`,
  apply: (o, v) => {
    o[s.key] = integerFlag(s.flag, v, s.min, s.max)
  },
}))

/** The limits as `startTseedRelay` takes them. */
export interface LimitStartOptions {
  limits: RelayLimits
  maxConnectionsPerIp: number
  maxBufferedBytes: number
  api: { rateLimit: { burst: number; perSecond: number }; maxBodyBytes: number }
  tracker: Pick<TrackerOptions, 'rateLimit' | 'defaultNumwant' | 'maxNumwant' | 'maxPeers'>
}

/**
 * Maps the flags onto `startTseedRelay` options. A default lowered below by
 * its ceiling follows it down, as `--tracker-min-interval` follows the interval.
 */
export function limitStartOptions(o: LimitCliOptions): LimitStartOptions {
  return {
    limits: {
      maxMessageBytes: o.maxMessageBytes,
      maxSubscriptions: o.maxSubscriptions,
      maxFilters: o.maxFilters,
      maxFilterValues: o.maxFilterValues,
      maxLimit: o.maxLimit,
      defaultLimit: Math.min(o.defaultLimit, o.maxLimit),
      maxSubIdLength: o.maxSubIdLength,
      maxEventTags: o.maxEventTags,
      maxContentLength: o.maxContentLength,
      maxFutureSeconds: o.maxFutureSeconds,
      ephemeralMaxAgeSeconds: o.ephemeralMaxAgeSeconds,
      rateLimitBurst: o.rateLimitBurst,
      rateLimitPerSecond: o.rateLimitPerSecond,
    },
    maxConnectionsPerIp: o.maxConnectionsPerIp,
    maxBufferedBytes: o.maxBufferedBytes,
    api: {
      rateLimit: { burst: o.apiRateBurst, perSecond: o.apiRatePerSecond },
      maxBodyBytes: o.apiMaxBodyBytes,
    },
    tracker: {
      rateLimit: { burst: o.trackerRateBurst, perSecond: o.trackerRatePerSecond },
      defaultNumwant: Math.min(o.trackerDefaultNumwant, o.trackerMaxNumwant),
      maxNumwant: o.trackerMaxNumwant,
      maxPeers: o.trackerMaxPeers,
    },
  }
}
