/**
 * What an operator command may touch: its output streams and, for `start`,
 * a way to wait for the operator to stop it. Injected so every command runs
 * in tests without a child process.
 */
import { existsSync } from 'node:fs'
import { CliUsageError, parseCliWithArgs, usage, type CliFlag } from '../cli-options'
import { openDatabase, type SqliteDatabase } from '../store/database'

export interface CommandIo {
  /** Normal output (stdout). */
  out(text: string): void
  /** Diagnostics (stderr). */
  err(text: string): void
  /** Resolves with the signal name once the operator asks the relay to stop (SIGINT, SIGTERM). */
  waitForStop(): Promise<string>
}

/** One subcommand of `npm run relay --`. */
export interface Command {
  name: string
  /** One line for the command list. */
  summary: string
  /** The full help text. */
  help(): string
  /** Runs the command; resolves with the process exit code (0 ok, 1 failed, 2 usage). */
  run(argv: readonly string[], io: CommandIo): Promise<number>
}

/** The command prefix shown in help texts. */
export const COMMAND = 'npm run relay --'

/**
 * Parses a command's arguments, printing help (exit 0) or the usage error
 * (exit 2) itself. Returns the options and positionals, or an exit code.
 */
export function parseCommand<T extends object>(
  argv: readonly string[],
  flags: readonly CliFlag<T>[],
  defaults: Readonly<T>,
  maxArgs: number,
  help: string,
  io: CommandIo,
): { options: T; args: string[] } | number {
  try {
    const r = parseCliWithArgs(argv, flags, defaults, maxArgs)
    if (r.help) {
      io.out(help)
      return 0
    }
    return { options: r.options, args: r.args }
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err
    io.err(`${err.message}\n\n${help}`)
    return 2
  }
}

/** The help text of a subcommand: a description, then the generated usage. */
export function commandHelp<T>(
  name: string,
  description: string,
  flags: readonly CliFlag<T>[],
  synopsis = '[options]',
): string {
  return `${description}\n\n${usage(`${COMMAND} ${name}`, flags, synopsis)}`
}

/**
 * Opens the relay's database for an operator command. `mustExist` refuses a
 * missing file instead of creating an empty one, so a mistyped `--db` on
 * `audit` or `export` cannot report an empty, "healthy" ledger.
 */
export function openOperatorDatabase(path: string, mustExist: boolean): SqliteDatabase {
  if (mustExist && path !== ':memory:' && !path.startsWith('file:') && !existsSync(path)) {
    throw new OperatorError(`no database at ${path}; give the relay's file with --db`)
  }
  return openDatabase(path)
}

/** A command failed for a reason worth one line to the operator (exit 1). */
export class OperatorError extends Error {
  override name = 'OperatorError'
}

/** The `--db` flag shared by every operator command. */
export function dbFlag<T extends { db: string }>(defaultPath: string): CliFlag<T> {
  return {
    name: 'db',
    valueName: '<file>',
    description: `the relay's SQLite file (default ${defaultPath})`,
    apply: (o, v) => {
      if (v === '') throw new CliUsageError('--db needs a file path')
      o.db = v
    },
  }
}
