/**
 * Public market data: a swarm's price, the pool, and swap quotes. Quotes come
 * from `src/balance/amm.ts`, the module the extension runs too, so the relay
 * and the popup can never disagree about a price.
 */
import {
  FEE_DENOMINATOR,
  FEE_NUMERATOR,
  formatRatio,
  invariantK,
  isSwapSide,
  quoteSwap,
  quoteSwapExactOut,
  spotPrice,
  type SwapQuote,
} from '../../../src/balance/amm'
import { quoteDownload } from '../../../src/balance/pricing'
import { BYTES_PER_MB } from '../../../src/balance/units'
import { POOL_URL } from '../../../src/balance/webledger'
import { pair, type ApiHandler, type ApiReply } from './context'
import { ApiError, POOL_EMPTY_MESSAGE } from './errors'
import { queryAmount } from './json'

/** Digits after the point in the spot prices of `GET /pool`. */
const SPOT_DECIMALS = 8

/** `GET /api/v1/price/<info hash>[?bytes=N]`: the swarm's price now, as the next announce pays it. */
export const getPrice: ApiHandler = (s, req): ApiReply => {
  const infoHash = (req.params[0] ?? '').toLowerCase()
  const now = s.now()
  const stats = s.ledger.swarmStats(infoHash, now)
  const price = s.ledger.swarmPrice(infoHash, now)
  const escrow = s.ledger.escrowOf(infoHash, now)
  const bytes = queryAmount(req.url.searchParams, 'bytes')
  const rarity = s.ledger.pricing.rarity
  const body: Record<string, unknown> = {
    info_hash: infoHash,
    tokens_per_mb: price.tokensPerMB.toString(),
    base_tokens_per_mb: s.ledger.pricing.baseTokensPerMB.toString(),
    multiplier: price.multiplier.toString(),
    rare: price.rare,
    rarity_rule: rarity !== null,
    // The rule's parameters, so a client prices many swarms from their counts with
    // `swarmPrice` (src/balance/pricing.ts) after one request instead of one per swarm.
    rarity:
      rarity === null
        ? null
        : {
            leechers_per_seeder: rarity.leechersPerSeeder,
            scarce_multiplier: rarity.scarceMultiplier.toString(),
            no_seeder_multiplier: rarity.noSeederMultiplier.toString(),
          },
    bytes_per_mb: BYTES_PER_MB.toString(),
    seeders: stats.seeders,
    leechers: stats.leechers,
    escrow: { held: escrow.escrow.toString(), claimed: escrow.claims.toString() },
  }
  if (bytes !== undefined) {
    const q = quoteDownload(bytes, price)
    body.download = { bytes: q.bytes.toString(), max_tokens: q.tokens.toString() }
  }
  return { body }
}

/** `GET /api/v1/pool`: reserves, k, fee and spot prices; `bootstrapped: false` before the operator funds it. */
export const getPool: ApiHandler = (s): ApiReply => {
  const pool = s.ledger.pool()
  const fee = formatRatio({ num: FEE_NUMERATOR, den: FEE_DENOMINATOR }, 3)
  if (pool === null) {
    return {
      body: {
        url: POOL_URL,
        bootstrapped: false,
        reserves: null,
        fee,
        message: POOL_EMPTY_MESSAGE,
      },
    }
  }
  return {
    body: {
      url: POOL_URL,
      bootstrapped: true,
      reserves: pair(pool.tseed, pool.sat),
      k: invariantK(pool).toString(),
      fee,
      spot: {
        sat_per_tseed: formatRatio(spotPrice(pool, 'tseed_to_sat'), SPOT_DECIMALS),
        tseed_per_sat: formatRatio(spotPrice(pool, 'sat_to_tseed'), SPOT_DECIMALS),
      },
    },
  }
}

/**
 * `GET /api/v1/quote?side=…&amount_in=N` (or `amount_out=N`): what a swap
 * would give now. Exactly one of the two amounts.
 */
export const getQuote: ApiHandler = (s, req): ApiReply => {
  const params = req.url.searchParams
  const side = params.get('side')
  if (!isSwapSide(side)) {
    throw new ApiError(400, 'invalid_query', 'side must be sat_to_tseed or tseed_to_sat')
  }
  const amountIn = queryAmount(params, 'amount_in', 1n)
  const amountOut = queryAmount(params, 'amount_out', 1n)
  if ((amountIn === undefined) === (amountOut === undefined)) {
    throw new ApiError(400, 'invalid_query', 'give exactly one of amount_in and amount_out')
  }
  const pool = s.ledger.pool()
  if (pool === null) throw new ApiError(503, 'pool_not_bootstrapped', POOL_EMPTY_MESSAGE)
  const q =
    amountIn !== undefined
      ? quoteSwap(pool, side, amountIn)
      : quoteSwapExactOut(pool, side, amountOut ?? 0n)
  return {
    body: {
      side,
      exact: amountIn !== undefined ? 'in' : 'out',
      ...quoteJson(q),
      pool: pair(pool.tseed, pool.sat),
    },
  }
}

/** The JSON form of an AMM quote. */
function quoteJson(q: SwapQuote): Record<string, unknown> {
  return {
    amount_in: q.amountIn.toString(),
    amount_out: q.amountOut.toString(),
    fee: q.fee.toString(),
    price_impact_bps: q.priceImpactBps.toString(),
    pool_after: pair(q.poolAfter.tseed, q.poolAfter.sat),
  }
}
