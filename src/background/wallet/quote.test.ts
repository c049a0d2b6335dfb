import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quoteSwap } from '../../balance/amm'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { rejectionOf } from '../../../tests/support/rejection'
import { newUser, publicClient, startQuietRelay } from '../../../tests/support/tseed-relay'
import { checkAgainstRelay, liveQuote, minOutFor, quoteFromPool } from './quote'
import { WalletError } from './wallet-error'

const walletError = (p: Promise<unknown>) => rejectionOf(p, WalletError)

describe('quoteFromPool', () => {
  const pool = { tseed: 1_000_000n, sat: 100_000n }

  it('matches the worked example of docs/amm.md, with a 1% minimum by default', () => {
    const q = quoteFromPool(pool, 'tseed_to_sat', { unit: 'tseed', amount: 10_000n })
    expect(q).toMatchObject({
      exact: 'in',
      amountIn: 10_000n,
      amountOut: 987n,
      fee: 30n,
      priceImpactBps: 130n,
      poolAfter: { tseed: 1_010_000n, sat: 99_013n },
      slippageBps: 100n,
      minOut: 977n, // 987 · 0.99 = 977.13, floored
    })
  })

  it('treats an amount in the output currency as an exact output, input rounded up', () => {
    const q = quoteFromPool(pool, 'tseed_to_sat', { unit: 'sat', amount: 987n }, 0n)
    expect(q).toMatchObject({ exact: 'out', amountIn: 9_999n, minOut: q.amountOut })
    expect(q.amountOut).toBeGreaterThanOrEqual(987n)
  })

  it('floors the minimum and refuses a slippage outside 0–100%', () => {
    expect(minOutFor(199n, 50n)).toBe(198n)
    expect(minOutFor(2n ** 80n, 10_000n)).toBe(0n)
    expect(() => minOutFor(1n, -1n)).toThrow(WalletError)
    expect(() => minOutFor(1n, 10_001n)).toThrow(WalletError)
  })

  it('says in plain words when an amount cannot trade', () => {
    expect(() => quoteFromPool(pool, 'tseed_to_sat', { unit: 'tseed', amount: 10n })).toThrow(
      /too small/,
    )
    expect(() => quoteFromPool(pool, 'tseed_to_sat', { unit: 'sat', amount: 100_000n })).toThrow(
      /does not hold/,
    )
  })
})

describe('live quotes against the relay', () => {
  let relay: RunningTseedRelay

  beforeAll(async () => {
    relay = await startQuietRelay()
  })

  afterAll(async () => {
    await relay.close()
  })

  it.each([
    ['sat_to_tseed', { unit: 'sat', amount: 10_000n }],
    ['sat_to_tseed', { unit: 'tseed', amount: 12_345n }],
    ['tseed_to_sat', { unit: 'tseed', amount: 77_777n }],
    ['tseed_to_sat', { unit: 'sat', amount: 321n }],
  ] as const)('%s for %o agrees exactly with GET /quote', async (side, entry) => {
    const api = publicClient(relay)
    const q = await liveQuote(api, side, entry, 250n)
    expect(q.testMode).toBe(true)
    expect(q.minOut).toBe((q.amountOut * 9_750n) / 10_000n)
    const check = await checkAgainstRelay(api, q)
    expect(check).toMatchObject({ agree: true, poolMoved: false, differences: [] })
    expect(check.relay.amountOut).toBe(q.amountOut)
  })

  it('notices when the pool moved between the two reads', async () => {
    const api = publicClient(relay)
    const q = await liveQuote(api, 'sat_to_tseed', { unit: 'sat', amount: 1_000n })
    const trader = newUser(relay)
    const d = await trader.api.createDeposit({ amountSat: 50_000n, swapMinOut: 1n })
    await trader.api.deposit(d.paymentHash)
    const check = await checkAgainstRelay(api, q)
    expect(check.agree).toBe(false)
    expect(check.poolMoved).toBe(true)
    expect(check.differences).toContain('amountOut')
    expect(check.relay.amountOut).toBe(
      quoteSwap(relay.ledger.pool()!, 'sat_to_tseed', 1_000n).amountOut,
    )
  })

  it('refuses to quote an empty pool', async () => {
    const empty = await startQuietRelay({ autoBootstrapDevPool: false })
    try {
      const err = await walletError(
        liveQuote(publicClient(empty), 'sat_to_tseed', { unit: 'sat', amount: 1n }),
      )
      expect(err.code).toBe('pool_empty')
    } finally {
      await empty.close()
    }
  })
})
