/**
 * What every command shares: what it may touch (its output streams and, for
 * `start`, a way to wait for the operator to stop it; injected so every
 * command runs in tests without a child process), how a command is declared
 * from its flags, and how an operator command opens the relay's ledger.
 */
import { existsSync } from 'node:fs'
import {
  databaseFlag,
  databaseFromEnv,
  DATABASE_URL_ENV,
  parseCliWithArgs,
  RELAY_CLI_DEFAULTS,
  usage,
  type CliFlag,
} from '../cli-options'
import { applyConfigText } from '../config-file'
import { Ledger } from '../ledger/ledger'
import type { SqlDatabase } from '../store/database'
import { PgError } from '../store/pg/pg-database'
import { isPostgresUrl, openRelayDatabase, describeDatabase } from '../store/open-relay-database'

export interface CommandIo {
  /** Normal output (stdout). */
  out(text: string): void
  /** Diagnostics (stderr). */
  err(text: string): void
  /** Resolves with the signal name once the operator asks the relay to stop (SIGINT, SIGTERM). */
  waitForStop(): Promise<string>
  /** The environment; `TSEED_DATABASE_URL` in it is the default of `--db`. */
  env?: NodeJS.ProcessEnv
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

/** What {@link defineCommand} needs to know about a command. */
export interface CommandSpec<T extends { db: string }> {
  name: string
  /** One line for the command list. */
  summary: string
  /** The paragraph above the generated usage. */
  description: string
  flags: readonly CliFlag<T>[]
  /** Every option but `db`, which defaults to the relay's file. */
  defaults: Readonly<Omit<T, 'db'>>
  /** Positional arguments, e.g. `{ synopsis: 'FILE', max: 1 }`; none by default. */
  positionals?: { synopsis: string; max: number }
  /**
   * A settings file named by a flag (`--config FILE`): its values are applied
   * over `defaults` and under the command line. `path` picks the file from
   * the parsed options, `read` returns its text.
   */
  config?: { path(options: T): string | undefined; read(path: string): string }
  /**
   * Runs the command on the parsed options. A CliUsageError is printed with
   * the help (exit 2), an OperatorError as one line (exit 1).
   */
  run(options: T, args: string[], io: CommandIo): number | Promise<number>
}

/**
 * A command whose help text is generated from its flags and which answers
 * `--help` itself. Bad flags throw CliUsageError, which `runCli` prints with
 * that help.
 */
export function defineCommand<T extends { db: string }>(spec: CommandSpec<T>): Command {
  const synopsis =
    spec.positionals === undefined ? '[options]' : `${spec.positionals.synopsis} [options]`
  const help = `${spec.description}\n\n${usage(`${COMMAND} ${spec.name}`, spec.flags, synopsis)}`
  const builtIn = { db: RELAY_CLI_DEFAULTS.db, ...spec.defaults } as T
  return {
    name: spec.name,
    summary: spec.summary,
    help: () => help,
    async run(argv, io) {
      const fromEnv = databaseFromEnv(io.env ?? {})
      const defaults = fromEnv === undefined ? builtIn : { ...builtIn, db: fromEnv }
      const max = spec.positionals?.max ?? 0
      let r = parseCliWithArgs(argv, spec.flags, defaults, max)
      if (r.help) {
        io.out(help)
        return 0
      }
      const file = spec.config?.path(r.options)
      if (spec.config !== undefined && file !== undefined) {
        let text: string
        try {
          text = spec.config.read(file)
        } catch (err) {
          throw new OperatorError(
            `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
          )
        }
        // Parsed again over the file's values so that the command line wins.
        const fromFile = applyConfigText(text, file, spec.flags, defaults)
        r = parseCliWithArgs(argv, spec.flags, fromFile, max)
        if (r.help) return 0
      }
      return spec.run(r.options, r.args, io)
    },
  }
}

/**
 * Runs `fn` on the ledger in the relay's database at `path`, then closes the
 * file. `mustExist` refuses a missing file instead of creating an empty one,
 * so a mistyped `--db` on `audit` or `export` cannot report an empty,
 * "healthy" ledger.
 */
export function withLedger<R>(path: string, mustExist: boolean, fn: (ledger: Ledger) => R): R {
  const file = !isPostgresUrl(path) && path !== ':memory:' && !path.startsWith('file:')
  if (mustExist && file && !existsSync(path)) {
    throw new OperatorError(`no database at ${path}; give the relay's file with --db`)
  }
  const db = openOperatorDatabase(path)
  try {
    return fn(new Ledger(db))
  } finally {
    db.close()
  }
}

/** The database an operator command works on; a server that cannot be reached is one line. */
export function openOperatorDatabase(spec: string): SqlDatabase {
  try {
    return openRelayDatabase(spec)
  } catch (err) {
    if (err instanceof PgError) throw new OperatorError(`${describeDatabase(spec)}: ${err.message}`)
    throw err
  }
}

/** A command failed for a reason worth one line to the operator (exit 1). */
export class OperatorError extends Error {
  override name = 'OperatorError'
}

/** The `--db` flag shared by every operator command. */
export function dbFlag<T extends { db: string }>(): CliFlag<T> {
  return {
    name: 'db',
    valueName: '<file|url>',
    description: `the relay's SQLite file or postgres:// URL (default $${DATABASE_URL_ENV}, else ${RELAY_CLI_DEFAULTS.db})`,
    apply: (o, v) => {
      o.db = databaseFlag(v)
    },
  }
}
