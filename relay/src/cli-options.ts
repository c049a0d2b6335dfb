import { parseArgs } from 'node:util'
import { DEFAULT_ANNOUNCE_TTL_SECONDS } from './core/limits'

/** A command-line flag that takes a value and writes it into the options `T`. */
export interface CliFlag<T> {
  /** Long name without dashes, e.g. `port`. */
  name: string
  /** Shown in the help text, e.g. `<port>`. */
  valueName: string
  description: string
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
  announceTtlSeconds: number
}

export type CliResult<T> = { help: true } | { help: false; options: T }

export const RELAY_CLI_DEFAULTS: Readonly<RelayCliOptions> = Object.freeze({
  host: '127.0.0.1',
  port: 7447,
  db: 'data/relay.sqlite',
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
      if (v === '') throw new CliUsageError('--db needs a file path')
      o.db = v
    },
  },
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
  const config: Record<string, { type: 'string' } | { type: 'boolean'; short: string }> = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const f of flags) config[f.name] = { type: 'string' }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false })
  } catch (err) {
    throw new CliUsageError(err instanceof Error ? err.message : String(err))
  }
  if (parsed.values.help === true) return { help: true }
  const options = { ...defaults } as T
  for (const f of flags) {
    const value = parsed.values[f.name]
    if (typeof value === 'string') f.apply(options, value)
  }
  return { help: false, options }
}

/** The help text, generated from the flags so it cannot fall behind them. */
export function usage<T>(command: string, flags: readonly CliFlag<T>[]): string {
  const rows = [
    ...flags.map((f) => [`--${f.name} ${f.valueName}`, f.description]),
    ['-h, --help', 'show this help'],
  ]
  const width = Math.max(...rows.map(([left]) => left?.length ?? 0))
  return [
    `Usage: ${command} [options]`,
    '',
    'Options:',
    ...rows.map(([left = '', right = '']) => `  ${left.padEnd(width)}  ${right}`),
    '',
  ].join('\n')
}

function integerFlag(name: string, v: string, min: number, max: number): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliUsageError(
      `--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
    )
  }
  return n
}
