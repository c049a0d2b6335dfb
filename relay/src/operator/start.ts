/**
 * `npm run relay -- [start]`: runs the TSEED relay until SIGINT or SIGTERM.
 */
import { describeDatabase, isPostgresUrl } from '../store/open-relay-database'
import { readFileSync } from 'node:fs'
import { DEFAULT_PRICING, DEFAULT_RARITY, type PricingConfig } from '../../../src/balance/pricing'
import {
  CliUsageError,
  RELAY_CLI_DEFAULTS,
  RELAY_FLAGS,
  TSEED_CLI_DEFAULTS,
  TSEED_FLAGS,
  type CliFlag,
  type RelayCliOptions,
  type TseedCliOptions,
} from '../cli-options'
import { CONFIG_FLAG, type ConfigFileOption } from '../config-file'
import {
  LIMIT_CLI_DEFAULTS,
  LIMIT_FLAGS,
  limitStartOptions,
  type LimitCliOptions,
} from '../limit-flags'
import {
  LIGHTNING_CLI_DEFAULTS,
  LIGHTNING_FLAGS,
  type LightningCliOptions,
} from '../lightning/config'
import {
  TRACKER_CLI_DEFAULTS,
  TRACKER_FLAGS,
  trackerOptions,
  type TrackerCliOptions,
} from '../tracker/cli-flags'
import {
  describeLightningState,
  describePoolState,
  startTseedRelay,
  type TseedRelayOptions,
} from '../tseed-relay'
import { defineCommand } from './io'

/** Everything `start` takes. */
export type StartOptions = RelayCliOptions &
  LightningCliOptions &
  TseedCliOptions &
  TrackerCliOptions &
  LimitCliOptions &
  ConfigFileOption

export const START_DEFAULTS: Readonly<StartOptions> = Object.freeze({
  ...RELAY_CLI_DEFAULTS,
  ...LIGHTNING_CLI_DEFAULTS,
  ...TSEED_CLI_DEFAULTS,
  ...TRACKER_CLI_DEFAULTS,
  ...LIMIT_CLI_DEFAULTS,
})

const START_FLAGS: readonly CliFlag<StartOptions>[] = [
  ...RELAY_FLAGS,
  ...LIGHTNING_FLAGS,
  ...TSEED_FLAGS,
  ...TRACKER_FLAGS,
  ...LIMIT_FLAGS,
  CONFIG_FLAG,
]

/**
 * Maps parsed command-line options onto `startTseedRelay` options.
 *
 * @example
 * startTseedRelay(tseedRelayOptions({ ...START_DEFAULTS, port: 0, db: ':memory:' }))
 */
export function tseedRelayOptions(o: StartOptions): TseedRelayOptions {
  const pricing: PricingConfig = {
    ...DEFAULT_PRICING,
    baseTokensPerMB: o.pricePerMb,
    rarity: o.rarity ? DEFAULT_RARITY : null,
  }
  const lightning: LightningCliOptions = {
    lightning: o.lightning,
    nwcTimeoutMs: o.nwcTimeoutMs,
    ...(o.nwcUri !== undefined ? { nwcUri: o.nwcUri } : {}),
    ...(o.nwcUriFile !== undefined ? { nwcUriFile: o.nwcUriFile } : {}),
  }
  const limits = limitStartOptions(o)
  return {
    host: o.host,
    port: o.port,
    db: o.db,
    ...(o.dbRead !== undefined ? { dbRead: o.dbRead } : {}),
    synchronous: o.synchronous,
    announceTtlSeconds: o.announceTtlSeconds,
    lightning,
    pricing,
    settleIntervalMs: o.settleIntervalSeconds * 1000,
    trustProxy: o.trustProxy,
    torrentIndex: o.torrentIndex,
    tracker: { ...trackerOptions(o), ...limits.tracker },
    limits: limits.limits,
    maxConnectionsPerIp: limits.maxConnectionsPerIp,
    maxBufferedBytes: limits.maxBufferedBytes,
    api: limits.api,
    ...(o.bootstrapPool !== undefined ? { bootstrapPool: o.bootstrapPool } : {}),
    ...(o.network !== undefined ? { network: o.network } : {}),
    ...(o.publicUrl !== undefined ? { publicUrl: o.publicUrl } : {}),
  }
}

export const startCommand = defineCommand<StartOptions>({
  name: 'start',
  summary: 'run the relay (default)',
  description:
    'Runs the TSEED relay: NIP-01 over WebSocket, NIP-11, the /api/v1 HTTP API and the HTTP\n' +
    'BitTorrent tracker (/t/<credential>/announce) on the same port.\n' +
    'This is the default command.',
  flags: START_FLAGS,
  defaults: START_DEFAULTS,
  config: { path: (o) => o.config, read: (file) => readFileSync(file, 'utf8') },
  async run(o, _args, io) {
    if (o.dbRead !== undefined && !isPostgresUrl(o.db)) {
      throw new CliUsageError('--db-read needs a PostgreSQL --db (a postgres:// URL)')
    }
    const problem = (m: string, ...d: unknown[]): void => {
      io.err(`${[m, ...d.map(String)].join(' ')}\n`)
    }
    const running = await startTseedRelay({
      ...tseedRelayOptions(o),
      logger: {
        info: (m: string) => {
          io.out(`${m}\n`)
        },
        warn: problem,
        error: problem,
      },
    })
    io.out(`${describeLightningState(running.lightning)}\n`)
    io.out(`${describePoolState(running.ledger)}\n`)
    io.out(`API ${running.apiUrl}\n`)
    // Tests and scripts parse this line for the address.
    io.out(`TSEED relay listening on ${running.url} (database ${describeDatabase(o.db)})\n`)

    const signal = await io.waitForStop()
    io.out(`${signal}: closing connections and the database\n`)
    await running.close()
    return 0
  },
})
