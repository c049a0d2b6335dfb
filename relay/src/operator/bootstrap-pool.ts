/**
 * `npm run relay -- bootstrap-pool --tseed N --sat N --db FILE`: funds the
 * empty AMM pool once. The TSEED are created by the genesis posting (the
 * only TSEED ever created); the sats are the operator's and must really be
 * in the operator's Lightning wallet, since users can swap TSEED for them
 * and withdraw.
 */
import { MINIMUM_LIQUIDITY } from '../../../src/balance/amm'
import { formatAmount, parseAmount } from '../../../src/balance/currency'
import { CliUsageError, type CliFlag } from '../cli-options'
import { dbFlag, defineCommand, withLedger } from './io'

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

export const bootstrapPoolCommand = defineCommand<BootstrapOptions>({
  name: 'bootstrap-pool',
  summary: 'fund the empty AMM pool once',
  description:
    'Funds the empty TSEED/sat pool once. The ratio sets the first price: --tseed 10000000 --sat 5000000\n' +
    'makes 1 TSEED worth 0.5 sat. The sats must really be in the relay’s Lightning wallet.\n' +
    'Safe while the relay runs on the same file.',
  flags: [
    amountFlag('tseed', 'TSEED reserve'),
    amountFlag('sat', 'sat reserve, funded from your Lightning wallet'),
    dbFlag(),
  ],
  defaults: {},
  run: ({ tseed, sat, db }, _args, io) => {
    if (tseed === undefined || sat === undefined) {
      throw new CliUsageError('--tseed and --sat are both required')
    }
    const pool = withLedger(db, false, (ledger) => ledger.bootstrapPool({ tseed, sat }))
    io.out(
      `pool bootstrapped in ${db}: ${formatAmount(pool.tseed, 'TSEED')} / ${formatAmount(pool.sat, 'sat')}\n`,
    )
    return 0
  },
})
