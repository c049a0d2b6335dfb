import { readFile } from 'node:fs/promises'
import { WebSocket } from 'ws'
import { CliUsageError, type CliFlag } from '../cli-options'
import { Nip47Error, parseWalletConnectUri } from '../../../src/nostr/nip47'
import type { LightningBackend } from './backend'
import { DevLightningBackend } from './dev-backend'
import { NwcLightningBackend } from './nwc-backend'
import type { WebSocketImplementation } from '../../../src/nostr/nwc-client'

export type LightningMode = 'dev' | 'nwc'

/** The Lightning part of the relay's command line. Never log `nwcUri`: it holds a secret. */
export interface LightningCliOptions {
  lightning: LightningMode
  nwcUri?: string
  nwcUriFile?: string
  nwcTimeoutMs: number
}

export const LIGHTNING_CLI_DEFAULTS: Readonly<LightningCliOptions> = Object.freeze({
  lightning: 'dev',
  nwcTimeoutMs: 30_000,
})

/** Environment variable read for the NWC URI, so the secret stays off the command line. */
export const NWC_URI_ENV = 'TSEED_NWC_URI'

/** Flags to append to the relay's: `[...RELAY_FLAGS, ...LIGHTNING_FLAGS]`. */
export const LIGHTNING_FLAGS: readonly CliFlag<LightningCliOptions>[] = [
  {
    name: 'lightning',
    valueName: 'dev|nwc',
    description: `Lightning backend: dev settles instantly with no real money (TEST MODE), nwc uses your wallet over NIP-47 (default ${LIGHTNING_CLI_DEFAULTS.lightning})`,
    apply: (o, v) => {
      if (v !== 'dev' && v !== 'nwc')
        throw new CliUsageError(`--lightning must be dev or nwc, got ${JSON.stringify(v)}`)
      o.lightning = v
    },
  },
  {
    name: 'nwc-uri',
    valueName: '<uri>',
    description: `nostr+walletconnect:// URI; prefer ${NWC_URI_ENV} or --nwc-uri-file, since a command line is visible to other users`,
    apply: (o, v) => {
      o.nwcUri = v
    },
  },
  {
    name: 'nwc-uri-file',
    valueName: '<file>',
    description: 'file holding the nostr+walletconnect:// URI (keep it chmod 600)',
    apply: (o, v) => {
      if (v === '') throw new CliUsageError('--nwc-uri-file needs a file path')
      o.nwcUriFile = v
    },
  },
  {
    name: 'nwc-timeout',
    valueName: '<ms>',
    description: `how long to wait for the wallet's answer (default ${LIGHTNING_CLI_DEFAULTS.nwcTimeoutMs}; payments get twice this)`,
    apply: (o, v) => {
      const n = /^[0-9]+$/.test(v) ? Number(v) : NaN
      if (!Number.isSafeInteger(n) || n < 1_000 || n > 600_000) {
        throw new CliUsageError(
          `--nwc-timeout must be an integer from 1000 to 600000, got ${JSON.stringify(v)}`,
        )
      }
      o.nwcTimeoutMs = n
    },
  },
]

export interface LightningDeps {
  env?: Readonly<Record<string, string | undefined>>
  readFile?: (path: string) => Promise<string>
  WebSocket?: WebSocketImplementation
  logger?: Pick<Console, 'warn'>
}

/**
 * Build the configured backend. Throws `CliUsageError` for a configuration
 * mistake; messages name the source of a bad URI, never its contents.
 */
export async function createLightningBackend(
  options: LightningCliOptions,
  deps: LightningDeps = {},
): Promise<LightningBackend> {
  const env = deps.env ?? process.env
  const sources = [
    options.nwcUriFile !== undefined ? '--nwc-uri-file' : undefined,
    options.nwcUri !== undefined ? '--nwc-uri' : undefined,
    env[NWC_URI_ENV] !== undefined && env[NWC_URI_ENV] !== '' ? NWC_URI_ENV : undefined,
  ].filter((s): s is string => s !== undefined)

  if (options.lightning === 'dev') {
    // The environment may be shared with other setups; only explicit flags are a contradiction.
    if (sources.some((s) => s.startsWith('--'))) {
      throw new CliUsageError(`${sources.join(', ')} only applies with --lightning nwc`)
    }
    return new DevLightningBackend()
  }

  const source = sources[0]
  if (source === undefined) {
    throw new CliUsageError(
      `--lightning nwc needs a connection URI: set ${NWC_URI_ENV}, --nwc-uri-file or --nwc-uri`,
    )
  }
  if (sources.filter((s) => s.startsWith('--')).length > 1) {
    throw new CliUsageError('give only one of --nwc-uri and --nwc-uri-file')
  }
  let uri: string
  if (options.nwcUriFile !== undefined) {
    try {
      uri = (await (deps.readFile ?? ((p) => readFile(p, 'utf8')))(options.nwcUriFile)).trim()
    } catch (e) {
      throw new CliUsageError(
        `cannot read --nwc-uri-file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      )
    }
  } else {
    uri = (options.nwcUri ?? env[NWC_URI_ENV] ?? '').trim()
  }
  try {
    parseWalletConnectUri(uri)
  } catch (e) {
    throw new CliUsageError(`${source}: ${e instanceof Nip47Error ? e.message : 'invalid URI'}`)
  }
  const backendOptions = {
    uri,
    WebSocket: deps.WebSocket ?? (WebSocket as unknown as WebSocketImplementation),
    requestTimeoutMs: options.nwcTimeoutMs,
    payTimeoutMs: options.nwcTimeoutMs * 2,
  }
  return new NwcLightningBackend(
    deps.logger ? { ...backendOptions, logger: deps.logger } : backendOptions,
  )
}

/** One line for the startup log, free of secrets. */
export function describeLightning(backend: LightningBackend): string {
  if (backend instanceof NwcLightningBackend) return `nwc (wallet ${backend.walletPubkey})`
  return backend.testMode ? `${backend.name} (TEST MODE: no real money moves)` : backend.name
}
