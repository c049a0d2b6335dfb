/**
 * The HTTP BitTorrent tracker on the relay's port (docs/tracker.md): desktop
 * clients announce with a personal URL, and each announce is accounted by
 * the same ledger, under the same rules, as a kind 21000 event.
 */
import { randomBytes } from 'node:crypto'
import { AddressLimiter } from '../api/router'
import type { RelayLogger } from '../core/client'
import { GroupCommit, GroupCommitError } from '../core/group-commit'
import type { AnnounceOutcome } from '../ledger/announce-accounting'
import type { Ledger } from '../ledger/ledger'
import { transactionRun } from '../store/database'
import type { HttpRoute } from '../transport/http-handler'
import { announce, type AnnounceServices, type AnnounceSettings } from './bep3-announce'
import { scrape } from './bep48-scrape'
import { accountWithCoverage } from './coverage'
import type { TrackerCredentials } from './credentials'
import { internalError, type Failure, type FailureKind } from './failures'
import { createTrackerRoute, type TrackerAction, type TrackerReply } from './route'
import { Swarms } from './swarm'

export interface TrackerOptions {
  /** `interval` in answers: how often clients re-announce. Default 1800 s. */
  intervalSeconds: number
  /** `min interval`: clients should not announce sooner. Default 300 s (at most `interval`). */
  minIntervalSeconds: number
  /** A session silent this long is unlisted. Default twice the interval, plus a minute. */
  peerTtlSeconds?: number
  defaultNumwant: number
  maxNumwant: number
  /** Most peers listed over all swarms. */
  maxPeers: number
  /** List peers under a client's `ip=` instead of the address the request came from. Default off. */
  allowIpParam: boolean
  /** Requests per client address (`burst`, refilled at `perSecond`); null for none. */
  rateLimit: { burst: number; perSecond: number } | null
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = Object.freeze({
  intervalSeconds: 1800,
  minIntervalSeconds: 300,
  defaultNumwant: 50,
  maxNumwant: 100,
  maxPeers: 500_000,
  allowIpParam: false,
  // Generous: a seedbox announces hundreds of torrents at once when it starts.
  rateLimit: { burst: 500, perSecond: 50 },
})

export interface TrackerDeps {
  ledger: Ledger
  credentials: TrackerCredentials
  /** Unix seconds. */
  now: () => number
  /** Milliseconds, for the rate limiter. */
  clockMs: () => number
  trustProxy: boolean
  testMode: boolean
  /** Where a user tops up (the API's deposit endpoint), named in balance refusals. */
  topUpAt: () => string
  logger: RelayLogger
}

export interface TrackerStats {
  announces: number
  scrapes: number
  failures: Record<FailureKind, number>
  /** Peers listed now, over all swarms. */
  peers: number
  swarms: number
}

export interface Tracker {
  route: HttpRoute
  swarms: Swarms
  /** The options in force, defaults filled in (published in NIP-11). */
  readonly options: Readonly<TrackerOptions>
  readonly stats: TrackerStats
  /** Stops the sweep timer. The database belongs to the caller. */
  close(): void
}

/** Builds the tracker over the relay's ledger and credential store. */
export function createTracker(deps: TrackerDeps, options: Partial<TrackerOptions> = {}): Tracker {
  const o: TrackerOptions = { ...DEFAULT_TRACKER_OPTIONS, ...options }
  checkOptions(o)
  const swarms = new Swarms({
    peerTtlSeconds: o.peerTtlSeconds ?? o.intervalSeconds * 2 + 60,
    maxPeers: o.maxPeers,
  })
  const db = deps.ledger.db
  // Its own group commit on the relay's handle: the announces of one event-loop
  // turn share a transaction, one savepoint each, as kind 21000 events do.
  const commit = new GroupCommit(
    {
      transaction: (fn) => transactionRun(db).immediate(fn),
      get inTransaction() {
        return db.inTransaction
      },
    },
    deps.logger,
  )
  const ids = announceIds()
  const services: AnnounceServices = {
    swarms,
    account: (input, now) =>
      commit.submit<AnnounceOutcome>(() => accountWithCoverage(deps.ledger, input, now)),
    topUpAt: deps.topUpAt,
    announceId: ids,
  }
  const settings: AnnounceSettings = {
    intervalSeconds: o.intervalSeconds,
    minIntervalSeconds: o.minIntervalSeconds,
    defaultNumwant: o.defaultNumwant,
    maxNumwant: o.maxNumwant,
    allowIpParam: o.allowIpParam,
    testMode: deps.testMode,
  }
  const limiter = o.rateLimit === null ? null : new AddressLimiter(o.rateLimit, deps.clockMs)
  const stats: TrackerStats = {
    announces: 0,
    scrapes: 0,
    failures: {
      credential: 0,
      balance: 0,
      limit: 0,
      malformed: 0,
      refused: 0,
      rate: 0,
      request: 0,
      error: 0,
    },
    peers: 0,
    swarms: 0,
  }

  const route = createTrackerRoute({
    resolve: (credential) => deps.credentials.resolve(credential, deps.now()),
    admit: (ip) => limiter?.take(ip) ?? true,
    trustProxy: deps.trustProxy,
    logger: deps.logger,
    answered: (action: TrackerAction | undefined, failure: Failure | undefined) => {
      if (failure !== undefined) stats.failures[failure.kind]++
      else if (action === 'announce') stats.announces++
      else if (action === 'scrape') stats.scrapes++
    },
    async handle(req): Promise<TrackerReply> {
      const now = deps.now()
      if (req.action === 'scrape') return scrape(swarms, req.params, o.minIntervalSeconds, now)
      try {
        return await announce(services, settings, { ...req, now })
      } catch (err) {
        // A failed group commit kept nothing: the client retries and is charged then.
        if (err instanceof GroupCommitError) return { ok: false, failure: internalError() }
        throw err
      }
    },
  })

  const sweep = setInterval(() => swarms.sweep(deps.now()), 60_000)
  sweep.unref()
  return {
    route,
    swarms,
    options: Object.freeze({ ...o }),
    get stats() {
      return {
        ...stats,
        failures: { ...stats.failures },
        peers: swarms.size,
        swarms: swarms.swarmCount,
      }
    },
    close() {
      clearInterval(sweep)
    },
  }
}

/**
 * Ids for the ledger's `announce:<id>` references and seen-id check, which a
 * kind 21000 announce fills with its event id: a random prefix per process
 * and a counter, unique across restarts without a database read.
 */
export function announceIds(random: (n: number) => Uint8Array = randomBytes): () => string {
  const prefix = Buffer.from(random(24)).toString('hex')
  let n = 0n
  return () => prefix + (n++).toString(16).padStart(16, '0')
}

function checkOptions(o: TrackerOptions): void {
  const positive = (name: keyof TrackerOptions, v: number, max = 86_400 * 7): void => {
    if (!Number.isSafeInteger(v) || v < 1 || v > max) {
      throw new RangeError(`tracker ${name} must be an integer from 1 to ${max}`)
    }
  }
  positive('intervalSeconds', o.intervalSeconds)
  positive('minIntervalSeconds', o.minIntervalSeconds, o.intervalSeconds)
  if (o.peerTtlSeconds !== undefined) positive('peerTtlSeconds', o.peerTtlSeconds)
  positive('defaultNumwant', o.defaultNumwant, o.maxNumwant)
  positive('maxNumwant', o.maxNumwant, 1000)
  positive('maxPeers', o.maxPeers, 100_000_000)
}
