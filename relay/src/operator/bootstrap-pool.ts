/**
 * `npm run relay -- bootstrap-pool --tseed N --sat N --db FILE`: funds the
 * empty AMM pool once. The TSEED are created by the genesis posting (the
 * only TSEED ever created); the sats are the operator's and must really be
 * in the operator's Lightning wallet, since users can swap TSEED for them
 * and withdraw.
 */
import { MINIMUM_LIQUIDITY } from '../../../src/balance/amm'
import { formatAmount, parseAmount } from '../../../src/balance/currency'
import { CliUsageError, RELAY_CLI_DEFAULTS, type CliFlag } from '../cli-options'
import { Ledger } from '../ledger/ledger'
import {
  commandHelp,
  dbFlag,
  openOperatorDatabase,
  parseCommand,
  type Command,
  type CommandIo,
} from './io'

interface BootstrapOptions {
  db: string
  tseed?: bigint
  sat?: bigint
}

function amountFlag(name: 'tseed' | 'sat', what: string): CliFlag<BootstrapOptions> {
  return {
    name,
    valueName: '<N>',
    description: `${what}, a whole number of at least ${MINIMUM_LIQUIDITY} (required)`,
    apply: (o, v) => {
      try {
        o[name] = parseAmount(v, `--${name}`)
      } catch (err) {
        throw new CliUsageError(err instanceof Error ? err.message : String(err))
      }
    },
  }
}

const FLAGS: readonly CliFlag<BootstrapOptions>[] = [
  amountFlag('tseed', 'TSEED reserve'),
  amountFlag('sat', 'sat reserve, funded from your Lightning wallet'),
  dbFlag(RELAY_CLI_DEFAULTS.db),
]

const HELP = commandHelp(
  'bootstrap-pool',
  'Funds the empty TSEED/sat pool once. The ratio sets the first price: --tseed 10000000 --sat 5000000\n' +
    'makes 1 TSEED worth 0.5 sat. The sats must really be in the relay’s Lightning wallet.\n' +
    'Safe while the relay runs on the same file.',
  FLAGS,
)

export const bootstrapPoolCommand: Command = {
  name: 'bootstrap-pool',
  summary: 'fund the empty AMM pool once',
  help: () => HELP,
  run(argv: readonly string[], io: CommandIo): Promise<number> {
    const parsed = parseCommand(argv, FLAGS, { db: RELAY_CLI_DEFAULTS.db }, 0, HELP, io)
    if (typeof parsed === 'number') return Promise.resolve(parsed)
    const { tseed, sat, db: path } = parsed.options
    if (tseed === undefined || sat === undefined) {
      io.err(`--tseed and --sat are both required\n\n${HELP}`)
      return Promise.resolve(2)
    }
    const db = openOperatorDatabase(path, false)
    try {
      const pool = new Ledger(db).bootstrapPool({ tseed, sat })
      io.out(
        `pool bootstrapped in ${path}: ${formatAmount(pool.tseed, 'TSEED')} / ${formatAmount(pool.sat, 'sat')}\n`,
      )
      return Promise.resolve(0)
    } finally {
      db.close()
    }
  },
}
