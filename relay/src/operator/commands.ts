/**
 * The relay's command line: `start` (the default) and the operator
 * subcommands. `runCli` never throws: failures become a message and an exit
 * code (1 failed, 2 bad usage).
 */
import { CliUsageError } from '../cli-options'
import { AmmError } from '../../../src/balance/amm'
import { LedgerError } from '../ledger/errors'
import { PgError } from '../store/pg/pg-database'
import { auditCommand } from './audit'
import { bootstrapPoolCommand } from './bootstrap-pool'
import { exportCommand } from './export'
import { importCommand } from './import'
import { COMMAND, OperatorError, type Command, type CommandIo } from './io'
import { settleCommand } from './settle'
import { makeTorrentCommand } from './make-torrent'
import { migrateToPostgresCommand } from './migrate-to-postgres'
import { startCommand } from './start'

const COMMANDS: readonly Command[] = [
  startCommand,
  bootstrapPoolCommand,
  exportCommand,
  importCommand,
  auditCommand,
  settleCommand,
  makeTorrentCommand,
  migrateToPostgresCommand,
]

/** The top-level help: the commands, then `start`'s flags. */
function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    `Usage: ${COMMAND} [command] [options]`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run ${COMMAND} <command> --help for a command's options.`,
    '',
    startCommand.help(),
  ].join('\n')
}

/**
 * Runs one command line (without the node and script names).
 *
 * @example
 * await runCli(['audit', '--db', 'data/relay.sqlite'], io) // 0 when the ledger is sound
 */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv
  if (first === '--help' || first === '-h') {
    io.out(mainHelp())
    return 0
  }
  const named = first !== undefined && !first.startsWith('-')
  const command = named ? COMMANDS.find((c) => c.name === first) : startCommand
  if (command === undefined) {
    io.err(`unknown command ${JSON.stringify(first)}\n\n${mainHelp()}`)
    return 2
  }
  try {
    return await command.run(named ? rest : argv, io)
  } catch (err) {
    if (err instanceof CliUsageError) {
      io.err(`${err.message}\n\n${command.help()}`)
      return 2
    }
    if (err instanceof OperatorError || err instanceof LedgerError || err instanceof AmmError) {
      io.err(`${command.name}: ${err.message}\n`)
      return 1
    }
    // An unreachable or refusing database server is the operator's to fix, not a crash.
    if (err instanceof PgError) {
      io.err(`${command.name}: ${err.message}\n`)
      return 1
    }
    io.err(
      `${command.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    )
    return 1
  }
}
