/**
 * `npm run relay -- [command] [options]`: the TSEED relay and its operator
 * commands (relay/src/operator/). See docs/relay.md.
 */
import { runCli } from './operator/commands'
import type { CommandIo } from './operator/io'

const io: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  waitForStop: () =>
    new Promise((resolve) => {
      let stopping = false
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`${signal} again: exiting without a clean shutdown\n`)
          process.exit(1)
        }
        stopping = true
        resolve(signal)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    }),
}

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`relay failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  },
)
