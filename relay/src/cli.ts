import {
  CliUsageError,
  parseCli,
  RELAY_CLI_DEFAULTS,
  RELAY_FLAGS,
  usage,
  type RelayCliOptions,
} from './cli-options'
import { startRelay } from './transport/start-relay'

const COMMAND = 'npm run relay --'

/** Runs the relay until SIGINT or SIGTERM. */
async function main(argv: readonly string[]): Promise<number> {
  let options: RelayCliOptions
  try {
    const result = parseCli(argv, RELAY_FLAGS, RELAY_CLI_DEFAULTS)
    if (result.help) {
      process.stdout.write(usage(COMMAND, RELAY_FLAGS))
      return 0
    }
    options = result.options
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err
    console.error(`${err.message}\n\n${usage(COMMAND, RELAY_FLAGS)}`)
    return 2
  }

  const running = await startRelay({
    host: options.host,
    port: options.port,
    dbPath: options.db,
    announceTtlSeconds: options.announceTtlSeconds,
  })
  console.info(`TSEED relay listening on ${running.url} (database ${options.db})`)

  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        console.error(`${signal} again: exiting without a clean shutdown`)
        process.exit(1)
      }
      stopping = true
      console.info(`${signal}: closing connections and the database`)
      running.close().then(resolve, (err: unknown) => {
        console.error('shutdown failed', err)
        process.exit(1)
      })
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error('relay failed to start:', err instanceof Error ? err.message : err)
    process.exitCode = 1
  },
)
