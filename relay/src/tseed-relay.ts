/**
 * The TSEED relay as a product: one SQLite file holding the announce store,
 * the ledger and the API's tables; the ledger as the announce policy, so a
 * download the user cannot pay is refused and not listed; the HTTP API; a
 * Lightning backend; NIP-11 `tseed` information; and the timers that settle
 * escrow and reconcile Lightning. Every other `startRelay` option is passed
 * through unchanged.
 */
import type { Pool } from '../../src/balance/amm'
import type { Bolt11Network } from '../../src/balance/bolt11'
import { formatAmount } from '../../src/balance/currency'
import { DEFAULT_PRICING, type PricingConfig } from '../../src/balance/pricing'
import { BYTES_PER_MB } from '../../src/balance/units'
import { POOL_URL } from '../../src/balance/webledger'
import { TORRENT_ANNOUNCE, TORRENT_METADATA } from '../../src/nostr/kinds'
import { API_PREFIX, createApi, describeEndpoints, type Api, type ApiLogger } from './api'
import type { DepositOptions } from './api/deposits'
import { DEFAULT_MAX_BODY_BYTES } from './api/http'
import { DEFAULT_API_RATE_LIMIT } from './api/router'
import type { WithdrawOptions } from './api/withdrawals'
import type { Relay } from './core/relay'
import type { RelayInfoOptions } from './http/nip11'
import { LedgerError } from './ledger/errors'
import { Ledger, type LedgerOptions } from './ledger/ledger'
import type { LightningBackend } from './lightning/backend'
import {
  createLightningBackend,
  describeLightning,
  LIGHTNING_CLI_DEFAULTS,
  type LightningCliOptions,
  type LightningDeps,
} from './lightning/config'
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from './store/checkpointer'
import { isPostgres, type SqlDatabase, type SqliteDatabase } from './store/database'
import { isPostgresUrl, openReadReplica, openRelayDatabase } from './store/open-relay-database'
import { decodeFeedItem, storedEventById } from './store/pg/event-feed'
import { PgDatabase, PgLock } from './store/pg/pg-database'
import { SqliteAnnounceStore } from './store/sqlite-store'
import { SqliteTorrentIndex } from './store/torrent-index'
import { TrackerCredentials } from './tracker/credentials'
import { createTracker, type Tracker, type TrackerOptions } from './tracker/tracker'
import type { HttpRoute } from './transport/http-handler'
import { startRelay, type StartRelayOptions } from './transport/start-relay'

/** The proposal's example reserves, used to bootstrap a `dev` relay's empty pool. */
export const DEV_POOL: Readonly<Pool> = Object.freeze({ tseed: 10_000_000n, sat: 5_000_000n })

export interface TseedRelayOptions extends Omit<
  StartRelayOptions,
  'store' | 'dbPath' | 'policy' | 'routes' | 'info' | 'logger'
> {
  /**
   * Where announces, ledger and API live: a SQLite file (created with its
   * folder), or a `postgres://` URL for the PostgreSQL backend, which several
   * relay processes can share (docs/scaling.md). Default `:memory:`.
   */
  db?: string
  /**
   * A PostgreSQL read replica of `db` (a `postgres://` URL) that REQ queries
   * go to; only with a PostgreSQL `db`. Live events still come from the
   * primary, so a lagging replica delays only what a new REQ finds.
   */
  dbRead?: string
  /**
   * A backend instance (the caller keeps ownership and closes it), or the
   * command-line configuration to build one from (closed by `close()`).
   * Default: the `dev` backend.
   */
  lightning?: LightningBackend | LightningCliOptions
  /** Injected into `createLightningBackend` (environment, file reader, WebSocket). */
  lightningDeps?: LightningDeps
  /** Network withdrawal invoices must be on; default `regtest` in test mode, else `bitcoin`. */
  network?: Bolt11Network
  pricing?: PricingConfig
  /** Ledger windows and limits; the clock defaults to the relay's. */
  ledger?: Omit<LedgerOptions, 'pricing'>
  /** Reserves to bootstrap an empty pool with; ignored (with a log line) if a pool exists. */
  bootstrapPool?: { tseed: bigint; sat: bigint }
  /** With a test-mode backend, bootstrap an empty pool with {@link DEV_POOL}. Default true. */
  autoBootstrapDevPool?: boolean
  /**
   * Keep NIP-35 torrent events (kind 2003) so clients can read titles and
   * sizes by info hash. Off by default: it makes the relay a torrent index,
   * which an operator should choose knowingly.
   */
  torrentIndex?: boolean
  /** Escrow settlement period; default 60 s. */
  settleIntervalMs?: number
  /** Withdrawal reconciliation and deposit polling period; default 30 s. */
  lightningSweepIntervalMs?: number
  /** The URL clients reach the relay's HTTP side at, e.g. `https://relay.example` behind a proxy. */
  publicUrl?: string
  /** API tuning. */
  api?: {
    deposits?: Partial<DepositOptions>
    withdrawals?: Partial<Omit<WithdrawOptions, 'network'>>
    maxBodyBytes?: number
    rateLimit?: { burst: number; perSecond: number }
  }
  /** NIP-11 parts; `tseed` is merged over the relay's own `tseed` object. */
  info?: RelayInfoOptions
  /** More HTTP routes, tried after the API and the tracker. */
  routes?: readonly HttpRoute[]
  /** The HTTP BitTorrent tracker (docs/tracker.md); defaults in `DEFAULT_TRACKER_OPTIONS`. */
  tracker?: Partial<TrackerOptions>
  logger?: ApiLogger
}

export interface RunningTseedRelay {
  /** `ws://host:port`. */
  url: string
  port: number
  /** `http://host:port`: NIP-11 and the API. */
  httpUrl: string
  /** The API base URL as published in NIP-11. */
  apiUrl: string
  ledger: Ledger
  lightning: LightningBackend
  relay: Relay
  api: Api
  /** The HTTP tracker: `/t/<credential>/announce` and `/scrape`. */
  tracker: Tracker
  /** Runs one escrow settlement now, as the timer does. */
  settle(): void
  /** Runs one Lightning pass now, as the timer does. */
  sweep(): Promise<void>
  /** Stops the timers and the server, then closes the database and an owned backend. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the TSEED relay.
 *
 * @example
 * const relay = await startTseedRelay({ port: 0, db: 'data/relay.sqlite' })
 * console.info(relay.url, relay.apiUrl)
 * await relay.close()
 */
export async function startTseedRelay(options: TseedRelayOptions = {}): Promise<RunningTseedRelay> {
  const {
    db: dbPath = ':memory:',
    dbRead,
    lightning: lightningOption,
    lightningDeps,
    network,
    pricing = DEFAULT_PRICING,
    ledger: ledgerOptions,
    bootstrapPool,
    autoBootstrapDevPool = true,
    torrentIndex = false,
    settleIntervalMs = 60_000,
    lightningSweepIntervalMs = 30_000,
    publicUrl,
    api: apiOptions,
    info,
    routes = [],
    tracker: trackerOptions,
    logger = console,
    ...relayOptions
  } = options
  const clockMs = relayOptions.clock ?? Date.now
  const nowSec = (): number => Math.floor(clockMs() / 1000)

  const ownsLightning = lightningOption === undefined || !isBackend(lightningOption)
  const lightning = isBackend(lightningOption)
    ? lightningOption
    : await createLightningBackend(lightningOption ?? LIGHTNING_CLI_DEFAULTS, lightningDeps)

  let db: SqlDatabase | undefined
  let readDb: PgDatabase | undefined
  let checkpoints: BackgroundCheckpoints | undefined
  try {
    if (dbRead !== undefined && !isPostgresUrl(dbPath)) {
      throw new TypeError('a read replica (--db-read) needs a PostgreSQL --db')
    }
    // The relay is given a store, so it would ignore `synchronous`; the file is opened here.
    db = openRelayDatabase(dbPath, { synchronous: relayOptions.synchronous })
    // WAL checkpoints are SQLite's; PostgreSQL runs its own.
    if (!isPostgres(db))
      checkpoints = await startBackgroundCheckpoints(db as SqliteDatabase, { logger })
    if (dbRead !== undefined) readDb = openReadReplica(dbRead)
    const store = new SqliteAnnounceStore(db, false, readDb)
    const torrents = torrentIndex ? new SqliteTorrentIndex(db) : undefined
    const ledger = new Ledger(db, { clock: nowSec, ...ledgerOptions, pricing })
    const trackerCredentials = new TrackerCredentials(db)
    const api = createApi({
      db,
      ledger,
      lightning,
      now: nowSec,
      network: network ?? (lightning.testMode ? 'regtest' : 'bitcoin'),
      trustProxy: relayOptions.trustProxy === true,
      clockMs,
      logger,
      trackerCredentials,
      ...(publicUrl !== undefined ? { publicUrl: trimSlash(publicUrl) } : {}),
      // The tracker is built below; its peer list is only read once requests arrive.
      swarmPeers: {
        select: (...a) => tracker.swarms.select(...a),
        counts: (...a) => tracker.swarms.counts(...a),
      },
      ...apiOptions,
    })
    preparePool(ledger, lightning, bootstrapPool, autoBootstrapDevPool, logger)

    // Mutable on purpose: the NIP-11 document is rebuilt from it per request, and
    // the API URL is only known once the port is.
    const tseedInfo: Record<string, unknown> = {
      api: publicUrl !== undefined ? trimSlash(publicUrl) + API_PREFIX : API_PREFIX,
      pool: POOL_URL,
      price: priceInfo(pricing),
      lightning: lightning.name,
      test_mode: lightning.testMode,
      endpoints: describeEndpoints(),
      ...(torrents === undefined ? {} : { kinds: [TORRENT_ANNOUNCE, TORRENT_METADATA] }),
      ...info?.tseed,
    }
    const tracker = createTracker(
      {
        ledger,
        credentials: trackerCredentials,
        now: nowSec,
        clockMs,
        trustProxy: relayOptions.trustProxy === true,
        testMode: lightning.testMode,
        topUpAt: () => `${String(tseedInfo.api)}/deposit`,
        logger,
      },
      trackerOptions,
    )
    const running = await startRelay({
      ...relayOptions,
      store,
      ...(torrents === undefined ? {} : { torrents }),
      policy: ledger.announcePolicy(),
      routes: [api.route, tracker.route, ...routes],
      logger,
      info: {
        ...info,
        extraNips: [98, ...(torrents === undefined ? [] : [35]), ...(info?.extraNips ?? [])],
        limitation: { payment_required: true, ...info?.limitation },
        tseed: tseedInfo,
        limits: { ...apiAndTrackerLimits(apiOptions, tracker.options), ...info?.limits },
      },
    })
    const httpUrl = running.url.replace(/^ws/, 'http')
    if (publicUrl === undefined && !isWildcard(relayOptions.host)) {
      tseedInfo.api = httpUrl + API_PREFIX
    }

    // Relays sharing a PostgreSQL database: live subscribers here also see
    // what the other processes stored.
    const stopListening =
      db instanceof PgDatabase ? listenToOtherProcesses(db, running.relay, logger) : undefined
    const pg = db instanceof PgDatabase ? db : undefined

    const settle = (): void => {
      try {
        // One process settles at a time; the others skip this round.
        const r =
          pg === undefined
            ? ledger.settle(nowSec())
            : pg.withTryLock(PgLock.settlement, () => ledger.settle(nowSec()))
        if (r === undefined) return
        if (r.payouts.length > 0 || r.refunds.length > 0) {
          const paid = r.payouts.reduce((sum, p) => sum + p.amount, 0n)
          const refunded = r.refunds.reduce((sum, p) => sum + p.amount, 0n)
          logger.info(
            `settlement: ${r.payouts.length} payouts (${formatAmount(paid, 'TSEED')}), ` +
              `${r.refunds.length} refunds (${formatAmount(refunded, 'TSEED')})`,
          )
        }
      } catch (err) {
        logger.error('settlement failed', err)
      }
    }
    const sweep = async (): Promise<void> => {
      // One process talks to the Lightning backend at a time; the lock goes
      // with its connection, so a process that dies frees it for the others.
      const r =
        pg === undefined
          ? await api.sweep()
          : await pg.withTryLockAsync(PgLock.sweep, () => api.sweep())
      if (r === undefined) return
      if (r.withdrawalsSettled > 0 || r.depositsCredited > 0) {
        logger.info(
          `lightning: ${r.withdrawalsSettled} withdrawals reconciled, ${r.depositsCredited} deposits credited`,
        )
      }
    }
    const settleTimer = every(settleIntervalMs, settle)
    // Withdrawals a crash left pending are reconciled right away, not a period later.
    const sweepTimer = every(lightningSweepIntervalMs, sweep, true)

    const openDb = db
    const openCheckpoints = checkpoints
    let closed: Promise<void> | undefined
    const close = async (): Promise<void> => {
      await settleTimer.stop()
      await sweepTimer.stop()
      stopListening?.()
      tracker.close()
      await running.close()
      // The database goes before the backend: a payment answered during shutdown then
      // cannot be written as failed and stays pending for reconciliation, never refunded.
      await openCheckpoints?.close()
      openDb.close()
      readDb?.close()
      if (ownsLightning) await lightning.close()
    }
    return {
      url: running.url,
      port: running.port,
      httpUrl,
      get apiUrl() {
        return tseedInfo.api as string
      },
      ledger,
      lightning,
      relay: running.relay,
      api,
      tracker,
      settle,
      sweep,
      close: () => (closed ??= close()),
    }
  } catch (err) {
    await checkpoints?.close()
    db?.close()
    readDb?.close()
    if (ownsLightning) await lightning.close()
    throw err
  }
}

/** The API's and the tracker's limits as published under NIP-11 `tseed.limits`. */
function apiAndTrackerLimits(
  api: TseedRelayOptions['api'],
  tracker: Readonly<TrackerOptions>,
): Record<string, unknown> {
  const apiRate = api?.rateLimit ?? DEFAULT_API_RATE_LIMIT
  return {
    api: {
      rate_limit: { burst: apiRate.burst, per_second: apiRate.perSecond },
      max_body_bytes: api?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    },
    tracker: {
      rate_limit:
        tracker.rateLimit === null
          ? null
          : { burst: tracker.rateLimit.burst, per_second: tracker.rateLimit.perSecond },
      default_numwant: tracker.defaultNumwant,
      max_numwant: tracker.maxNumwant,
      max_peers: tracker.maxPeers,
    },
  }
}

/**
 * Delivers the events other relay processes store in the shared PostgreSQL
 * database to this process's subscribers. A large event arrives as its id
 * and is read from the primary.
 */
function listenToOtherProcesses(db: PgDatabase, relay: Relay, logger: ApiLogger): () => void {
  return db.listen(
    (payload) => {
      const item = decodeFeedItem(payload)
      if (item === undefined) {
        logger.warn('relay: ignored a malformed notification from another process')
        return
      }
      try {
        const ev = 'event' in item ? item.event : storedEventById(db, item.id)
        if (ev !== undefined) relay.deliverStoredElsewhere(ev)
      } catch (err) {
        logger.error('relay: reading an event another process stored failed', err)
      }
    },
    (err) => {
      logger.warn(`relay: ${err.message}; retrying`)
    },
  )
}

/** Bootstraps the pool from the option, or automatically in test mode; logs what it found. */
function preparePool(
  ledger: Ledger,
  lightning: LightningBackend,
  requested: { tseed: bigint; sat: bigint } | undefined,
  autoDev: boolean,
  logger: ApiLogger,
): void {
  const existing = ledger.pool()
  if (existing !== null) {
    if (requested !== undefined) {
      logger.info(`pool already bootstrapped (${describePool(existing)}); --bootstrap-pool ignored`)
    }
    return
  }
  try {
    if (requested !== undefined) {
      logger.info(`pool bootstrapped with ${describePool(ledger.bootstrapPool(requested))}`)
    } else if (lightning.testMode && autoDev) {
      const pool = ledger.bootstrapPool(DEV_POOL)
      logger.warn(
        `TEST MODE: pool bootstrapped automatically with ${describePool(pool)} ` +
          `because the Lightning backend is ${lightning.name}; these reserves are not real money`,
      )
    }
  } catch (err) {
    // Relay processes starting together on one database: another one got there first.
    if (!(err instanceof LedgerError) || err.code !== 'pool_already_bootstrapped') throw err
    logger.info(`pool bootstrapped by another relay process: ${describePoolState(ledger)}`)
  }
}

/** One startup line about the pool. */
export function describePoolState(ledger: Ledger): string {
  const pool = ledger.pool()
  return pool === null
    ? `pool ${POOL_URL}: empty; swaps are refused until the operator runs ` +
        '`npm run relay -- bootstrap-pool --tseed N --sat N --db FILE`'
    : `pool ${POOL_URL}: ${describePool(pool)}`
}

/** The Lightning startup line, free of secrets. */
export function describeLightningState(lightning: LightningBackend): string {
  return `lightning: ${describeLightning(lightning)}`
}

function describePool(pool: Pool): string {
  return `${formatAmount(pool.tseed, 'TSEED')} / ${formatAmount(pool.sat, 'sat')}`
}

/** The price rule as published in NIP-11; amounts are strings like everywhere else. */
function priceInfo(pricing: PricingConfig): Record<string, unknown> {
  const r = pricing.rarity
  return {
    unit: 'TSEED',
    bytes_per_mb: BYTES_PER_MB.toString(),
    base_tokens_per_mb: pricing.baseTokensPerMB.toString(),
    rarity:
      r === null
        ? null
        : {
            leechers_per_seeder: r.leechersPerSeeder,
            scarce_multiplier: r.scarceMultiplier.toString(),
            no_seeder_multiplier: r.noSeederMultiplier.toString(),
          },
    rule:
      'downloads pay tokens_per_mb per 10^6 bytes into the swarm escrow; uploads are paid out ' +
      'of that escrow only; GET /api/v1/price/{info_hash} gives a swarm’s current price',
  }
}

function isBackend(v: LightningBackend | LightningCliOptions | undefined): v is LightningBackend {
  return v !== undefined && typeof (v as Partial<LightningBackend>).createInvoice === 'function'
}

function isWildcard(host: string | undefined): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]'
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

/**
 * Runs `task` every `ms`, never twice at once, without keeping the process
 * alive. `stop()` waits (up to 5 s) for a run in progress.
 */
function every(
  ms: number,
  task: () => void | Promise<void>,
  runNow = false,
): { stop(): Promise<void> } {
  let current: Promise<void> | undefined
  const run = (): void => {
    if (current !== undefined) return
    current = Promise.resolve()
      .then(task)
      .catch(() => undefined)
      .finally(() => {
        current = undefined
      })
  }
  const timer = setInterval(run, ms)
  timer.unref()
  if (runNow) run()
  return {
    async stop() {
      clearInterval(timer)
      // A wallet that does not answer must not hold shutdown hostage; an interrupted
      // Lightning pass is simply repeated on the next start.
      let cap: ReturnType<typeof setTimeout> | undefined
      await Promise.race([current, new Promise((resolve) => (cap = setTimeout(resolve, 5_000)))])
      clearTimeout(cap)
    },
  }
}
