/**
 * The relay's HTTP API (docs/relay-api.md), assembled over one database,
 * ledger and Lightning backend.
 */
import type { NostrEvent } from 'nostr-tools/core'
import type { Bolt11Network } from '../../../src/balance/bolt11'
import type { Ledger } from '../ledger/ledger'
import type { LightningBackend } from '../lightning/backend'
import { isPostgres, type SqlDatabase } from '../store/database'
import { TrackerCredentials } from '../tracker/credentials'
import type { HttpRoute } from '../transport/http-handler'
import type { ApiServices } from './context'
import type { SwarmPeerSource } from './swarm-peers'
import { DEFAULT_DEPOSIT_OPTIONS, Deposits, type DepositOptions } from './deposits'
import { createApiRoute } from './router'
import { migrateApi } from './schema'
import { SharedReplayGuard } from './shared-replay-guard'
import type { ApiLogger } from './types'
import { DEFAULT_WITHDRAW_OPTIONS, Withdrawals, type WithdrawOptions } from './withdrawals'

export { API_PREFIX, describeEndpoints, ENDPOINTS } from './router'
export { ApiError } from './errors'
export type { ApiLogger } from './types'
export type { DepositOptions, DepositRecord } from './deposits'
export type { WithdrawOptions, WithdrawalRecord } from './withdrawals'

export interface ApiOptions {
  db: SqlDatabase
  ledger: Ledger
  lightning: LightningBackend
  /** Unix seconds. */
  now: () => number
  /** The network withdrawal invoices must be for. */
  network: Bolt11Network
  trustProxy: boolean
  deposits?: Partial<DepositOptions>
  withdrawals?: Partial<Omit<WithdrawOptions, 'network'>>
  maxBodyBytes?: number
  rateLimit?: { burst: number; perSecond: number }
  verify?: (event: NostrEvent) => boolean
  /** Milliseconds, for rate limiting. */
  clockMs?: () => number
  logger: ApiLogger
  /** The store behind `/tracker-credentials`; one over `db` by default. */
  trackerCredentials?: TrackerCredentials
  /** The operator's public base URL, for the tracker URLs the API hands out. */
  publicUrl?: string
  /** The HTTP tracker's peer list, served at `/swarm/{info_hash}/peers`. */
  swarmPeers?: SwarmPeerSource
}

/** The assembled API: its route and the services behind it. */
export interface Api {
  route: HttpRoute
  deposits: Deposits
  withdrawals: Withdrawals
  /**
   * One Lightning pass: reconcile pending withdrawals, then check up to
   * `depositLimit` unpaid deposits. Never rejects; problems are logged.
   */
  sweep(depositLimit?: number): Promise<{ withdrawalsSettled: number; depositsCredited: number }>
}

/** Migrates the API tables and builds the route. */
export function createApi(options: ApiOptions): Api {
  migrateApi(options.db)
  const deposits = new Deposits(
    options.db,
    options.ledger,
    options.lightning,
    options.now,
    { ...DEFAULT_DEPOSIT_OPTIONS, ...options.deposits },
    options.logger,
  )
  const withdrawals = new Withdrawals(
    options.db,
    options.ledger,
    options.lightning,
    deposits,
    options.now,
    { ...DEFAULT_WITHDRAW_OPTIONS, ...options.withdrawals, network: options.network },
    options.logger,
  )
  const services: ApiServices = {
    ledger: options.ledger,
    deposits,
    withdrawals,
    now: options.now,
    testMode: options.lightning.testMode,
    lightning: options.lightning.name,
    trackerCredentials: options.trackerCredentials ?? new TrackerCredentials(options.db),
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    ...(options.swarmPeers !== undefined ? { swarmPeers: options.swarmPeers } : {}),
  }
  const route = createApiRoute(services, {
    trustProxy: options.trustProxy,
    logger: options.logger,
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    ...(options.verify !== undefined ? { verify: options.verify } : {}),
    ...(options.clockMs !== undefined ? { clockMs: options.clockMs } : {}),
    // Several processes may serve this database: a header is good once across all of them.
    ...(isPostgres(options.db) ? { replay: new SharedReplayGuard(options.db, options.now) } : {}),
  })
  return {
    route,
    deposits,
    withdrawals,
    async sweep(depositLimit = 50) {
      let withdrawalsSettled = 0
      let depositsCredited = 0
      try {
        withdrawalsSettled = await withdrawals.reconcileAll()
        depositsCredited = await deposits.sweep(depositLimit)
      } catch (err) {
        options.logger.error('api: Lightning sweep failed', err)
      }
      return { withdrawalsSettled, depositsCredited }
    },
  }
}
