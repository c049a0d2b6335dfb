import { parseArgs } from 'node:util'
import { MINIMUM_LIQUIDITY } from '../../src/balance/amm'
import type { Bolt11Network } from '../../src/balance/bolt11'
import { MAX_AMOUNT } from '../../src/balance/units'
import { DEFAULT_ANNOUNCE_TTL_SECONDS } from './core/limits'
import { SYNC_MODES, type SyncMode } from './store/database'

/** A command-line flag that takes a value and writes it into the options `T`. */
export interface CliFlag<T> {
  /** Long name without dashes, e.g. `port`. */
  name: string
  /** Shown in the help text, e.g. `<port>`. */
  valueName: string
  description: string
  /** A switch such as `--force`: it takes no value and `apply` receives `''`. */
  boolean?: true
  /** Stores the parsed value; throws CliUsageError for a bad one. */
  apply: (options: T, value: string) => void
}

/** A wrong command line; the message is printed with the usage. */
export class CliUsageError extends Error {
  override name = 'CliUsageError'
}

export interface RelayCliOptions {
  host: string
  port: number
  db: string
  /** When SQLite waits for the disk; see docs/performance.md. */
  synchronous: SyncMode
  announceTtlSeconds: number
  /** A PostgreSQL read replica of `db` for REQ queries. */
  dbRead?: string
}

export type CliResult<T> = { help: true } | { help: false; options: T }

/** A parse that also returns the positional arguments (e.g. the file of `import FILE`). */
export type CliResultWithArgs<T> = { help: true } | { help: false; options: T; args: string[] }

export const RELAY_CLI_DEFAULTS: Readonly<RelayCliOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 7447,
  db: 'data/relay.sqlite',
  synchronous: 'normal',
  announceTtlSeconds: DEFAULT_ANNOUNCE_TTL_SECONDS,
})

/**
 * The core relay's flags. A later component appends its own:
 * `[...RELAY_FLAGS, ...LEDGER_FLAGS]` over an options type that extends
 * RelayCliOptions.
 */
export const RELAY_FLAGS: readonly CliFlag<RelayCliOptions>[] = [
  {
    name: 'host',
    valueName: '<address>',
    description: `interface to listen on (default ${RELAY_CLI_DEFAULTS.host})`,
    apply: (o, v) => {
      if (v.trim() === '') throw new CliUsageError('--host needs an address')
      o.host = v
    },
  },
  {
    name: 'port',
    valueName: '<port>',
    description: `TCP port, 0 for any free port (default ${RELAY_CLI_DEFAULTS.port})`,
    apply: (o, v) => {
      o.port = integerFlag('port', v, 0, 65535)
    },
  },
  {
    name: 'db',
    valueName: '<file>',
    description: `SQLite file, created with its folder; :memory: keeps nothing (default ${RELAY_CLI_DEFAULTS.db})`,
    apply: (o, v) => {
      o.db = databaseFlag(v)
    },
  },
  {
    name: 'db-read',
    valueName: '<url>',
    description:
      'postgres:// URL of a read replica of --db; REQ queries go there (with a PostgreSQL --db only)',
    apply: (o, v) => {
      if (!/^postgres(ql)?:\/\//i.test(v)) {
        throw new CliUsageError(
          `--db-read takes a postgres:// URL of a read replica, got ${JSON.stringify(v)}`,
        )
      }
      o.dbRead = v
    },
  },
  choiceFlag(
    'synchronous',
    SYNC_MODES,
    'durability of acknowledged writes: normal survives a killed process, full also a power ' +
      `cut, at one fsync per group commit (default ${RELAY_CLI_DEFAULTS.synchronous})`,
    (o, v) => {
      o.synchronous = v
    },
  ),
  {
    name: 'announce-ttl',
    valueName: '<seconds>',
    description: `how long an announce stays in the swarm (default ${RELAY_CLI_DEFAULTS.announceTtlSeconds})`,
    apply: (o, v) => {
      o.announceTtlSeconds = integerFlag('announce-ttl', v, 1, 365 * 24 * 3600)
    },
  },
]

/**
 * Parses `argv` (without the node and script names) against `flags`. Flags
 * take `--name value` or `--name=value`; `--help`/`-h` wins over everything.
 *
 * @example
 * parseCli(['--port', '0'], RELAY_FLAGS, RELAY_CLI_DEFAULTS)
 * // → { help: false, options: { host: '127.0.0.1', port: 0, … } }
 */
export function parseCli<T extends object>(
  argv: readonly string[],
  flags: readonly CliFlag<T>[],
  defaults: Readonly<T>,
): CliResult<T> {
  const r = parseCliWithArgs(argv, flags, defaults, 0)
  return r.help ? r : { help: false, options: r.options }
}

/**
 * Like {@link parseCli}, and accepts up to `maxArgs` positional arguments,
 * returned in order.
 *
 * @example
 * parseCliWithArgs(['ledger.json', '--db', 'x.sqlite'], IMPORT_FLAGS, IMPORT_DEFAULTS, 1)
 * // → { help: false, options: { db: 'x.sqlite', force: false }, args: ['ledger.json'] }
 */
export function parseCliWithArgs<T extends object>(
  argv: readonly string[],
  flags: readonly CliFlag<T>[],
  defaults: Readonly<T>,
  maxArgs: number,
): CliResultWithArgs<T> {
  const config: Record<string, { type: 'string' } | { type: 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const f of flags)
    config[f.name] = f.boolean === true ? { type: 'boolean' } : { type: 'string' }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals: maxArgs > 0,
    })
  } catch (err) {
    throw new CliUsageError(err instanceof Error ? err.message : String(err))
  }
  if (parsed.values.help === true) return { help: true }
  if (parsed.positionals.length > maxArgs) {
    throw new CliUsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxArgs])}`)
  }
  const options = { ...defaults } as T
  for (const f of flags) {
    const value = parsed.values[f.name]
    if (typeof value === 'string') f.apply(options, value)
    else if (value === true) f.apply(options, '')
  }
  return { help: false, options, args: parsed.positionals }
}

/**
 * The help text, generated from the flags so it cannot fall behind them.
 * `synopsis` follows the command on the first line.
 */
export function usage<T>(
  command: string,
  flags: readonly CliFlag<T>[],
  synopsis = '[options]',
): string {
  const rows = [
    ...flags.map((f) => [
      f.boolean === true ? `--${f.name}` : `--${f.name} ${f.valueName}`,
      f.description,
    ]),
    ['-h, --help', 'show this help'],
  ]
  const width = Math.max(...rows.map(([left]) => left?.length ?? 0))
  return [
    `Usage: ${command} ${synopsis}`,
    '',
    'Options:',
    ...rows.map(([left = '', right = '']) => `  ${left.padEnd(width)}  ${right}`),
    '',
  ].join('\n')
}

/** The TSEED relay's own start options, on top of the core relay's and Lightning's. */
export interface TseedCliOptions {
  /** `--bootstrap-pool TSEED:SAT`: reserves for an empty pool. */
  bootstrapPool?: { tseed: bigint; sat: bigint }
  settleIntervalSeconds: number
  pricePerMb: bigint
  rarity: boolean
  /** Network withdrawal invoices must be on; by default regtest with dev, bitcoin with nwc. */
  network?: Bolt11Network
  /** Public base URL of the relay's HTTP side, e.g. behind a TLS proxy. */
  publicUrl?: string
  trustProxy: boolean
  /** Keep NIP-35 torrent events (kind 2003). */
  torrentIndex: boolean
}

export const TSEED_CLI_DEFAULTS: Readonly<TseedCliOptions> = Object.freeze({
  settleIntervalSeconds: 60,
  pricePerMb: 1n,
  rarity: false,
  trustProxy: false,
  torrentIndex: false,
})

const NETWORKS: readonly Bolt11Network[] = ['bitcoin', 'testnet', 'signet', 'regtest']

/** Flags for the ledger, pricing, pool and API: `[...RELAY_FLAGS, ...LIGHTNING_FLAGS, ...TSEED_FLAGS]`. */
export const TSEED_FLAGS: readonly CliFlag<TseedCliOptions>[] = [
  {
    name: 'bootstrap-pool',
    valueName: '<TSEED:SAT>',
    description: `fund an empty pool with these reserves, e.g. 10000000:5000000 (each at least ${MINIMUM_LIQUIDITY}); ignored once a pool exists`,
    apply: (o, v) => {
      const m = /^([0-9]{1,19}):([0-9]{1,19})$/.exec(v)
      const tseed = m?.[1] === undefined ? -1n : BigInt(m[1])
      const sat = m?.[2] === undefined ? -1n : BigInt(m[2])
      const ok = (x: bigint): boolean => x >= MINIMUM_LIQUIDITY && x <= MAX_AMOUNT
      if (!ok(tseed) || !ok(sat)) {
        throw new CliUsageError(
          `--bootstrap-pool must be TSEED:SAT with each from ${MINIMUM_LIQUIDITY} to 2^62, got ${JSON.stringify(v)}`,
        )
      }
      o.bootstrapPool = { tseed, sat }
    },
  },
  {
    name: 'settle-interval',
    valueName: '<seconds>',
    description: `how often escrow is paid out and lapsed escrow refunded (default ${TSEED_CLI_DEFAULTS.settleIntervalSeconds})`,
    apply: (o, v) => {
      o.settleIntervalSeconds = integerFlag('settle-interval', v, 1, 24 * 3600)
    },
  },
  {
    name: 'price-per-mb',
    valueName: '<TSEED>',
    description: `base price in whole TSEED per MB (10^6 bytes) downloaded (default ${TSEED_CLI_DEFAULTS.pricePerMb})`,
    apply: (o, v) => {
      o.pricePerMb = BigInt(integerFlag('price-per-mb', v, 1, 1_000_000_000))
    },
  },
  onOffFlag(
    'rarity',
    'rarity rule: swarms with few seeders per leecher cost and pay x2, none at all x4 (default off)',
    (o, on) => {
      o.rarity = on
    },
  ),
  choiceFlag(
    'network',
    NETWORKS,
    'network withdrawal invoices must be on (default regtest with dev, bitcoin with nwc)',
    (o, n) => {
      o.network = n
    },
  ),
  {
    name: 'public-url',
    valueName: '<url>',
    description:
      'base URL clients reach the relay at over HTTP(S), e.g. https://relay.example; published in NIP-11',
    apply: (o, v) => {
      let url: URL
      try {
        url = new URL(v)
      } catch {
        throw new CliUsageError(`--public-url must be an absolute URL, got ${JSON.stringify(v)}`)
      }
      if (
        (url.protocol !== 'https:' && url.protocol !== 'http:') ||
        url.search !== '' ||
        url.hash !== ''
      ) {
        throw new CliUsageError('--public-url must be an http(s) URL without query or fragment')
      }
      o.publicUrl = url.href.replace(/\/+$/, '')
    },
  },
  onOffFlag(
    'torrent-index',
    'keep NIP-35 torrent events (kind 2003) so clients can read titles and sizes by info hash (default off)',
    (o, on) => {
      o.torrentIndex = on
    },
  ),
  onOffFlag(
    'trust-proxy',
    'trust X-Forwarded-For/-Proto/-Host/-Port from a reverse proxy you run (default off)',
    (o, on) => {
      o.trustProxy = on
    },
  ),
]

/** A flag whose value is one of `choices`, shown as `a|b|c`. */
function choiceFlag<T, C extends string>(
  name: string,
  choices: readonly C[],
  description: string,
  set: (options: T, value: C) => void,
): CliFlag<T> {
  return {
    name,
    valueName: choices.join('|'),
    description,
    apply: (o, v) => {
      const c = choices.find((x) => x === v)
      if (c === undefined) {
        throw new CliUsageError(
          `--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`,
        )
      }
      set(o, c)
    },
  }
}

/** A flag that takes `on` or `off`. */
export function onOffFlag<T>(
  name: string,
  description: string,
  set: (options: T, on: boolean) => void,
): CliFlag<T> {
  return {
    name,
    valueName: 'on|off',
    description,
    apply: (o, v) => {
      if (v !== 'on' && v !== 'off') {
        throw new CliUsageError(`--${name} must be on or off, got ${JSON.stringify(v)}`)
      }
      set(o, v === 'on')
    },
  }
}

/**
 * The value of `--db`: a SQLite file path, or a `postgres://` URL for the
 * PostgreSQL backend. Any other URL is refused rather than taken for a file
 * name, which would create a folder named `mysql:` and keep the operator's
 * data somewhere they did not ask for.
 */
export function databaseFlag(v: string): string {
  if (v === '') throw new CliUsageError('--db needs a file path or a postgres:// URL')
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]
  if (scheme !== undefined && !/^postgres(ql)?$/i.test(scheme)) {
    throw new CliUsageError(
      `--db takes a SQLite file path or a postgres:// URL; this relay cannot use a ${scheme}:// database`,
    )
  }
  return v
}

/** Where the database URL comes from when `--db` is not given. */
export const DATABASE_URL_ENV = 'TSEED_DATABASE_URL'

/**
 * The database the environment names, checked like `--db`; undefined when
 * the variable is unset. `--db` on the command line wins over it.
 * @throws CliUsageError for a URL the relay cannot use
 */
export function databaseFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const url = env[DATABASE_URL_ENV]
  if (url === undefined || url === '') return undefined
  try {
    return databaseFlag(url)
  } catch (err) {
    throw new CliUsageError(`${DATABASE_URL_ENV}: ${(err as Error).message}`)
  }
}

export function integerFlag(name: string, v: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliUsageError(
      `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
    )
  }
  return n
}
