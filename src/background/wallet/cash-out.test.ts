import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quoteSwap } from '../../balance/amm'
import { LightningError } from '../../../relay/src/lightning/backend'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { rejectionOf } from '../../../tests/support/rejection'
import {
  foreignInvoice,
  newUser,
  ScriptedLightning,
  startQuietRelay,
  type TestUser,
} from '../../../tests/support/tseed-relay'
import { executeCashOut, feeReserveFor, planCashOut, splitForWithdrawal } from './cash-out'
import { WalletError } from './wallet-error'

const walletError = (p: Promise<unknown>) => rejectionOf(p, WalletError)

describe('withdrawal split', () => {
  it('mirrors the relay default reserve: 1% rounded up, at least 10 sat', () => {
    expect(feeReserveFor(1n)).toBe(10n)
    expect(feeReserveFor(1_000n)).toBe(10n)
    expect(feeReserveFor(1_001n)).toBe(11n)
    expect(feeReserveFor(2n ** 70n)).toBe(2n ** 70n / 100n + 1n)
  })

  it('leaves the largest invoice whose reserve still fits', () => {
    expect(splitForWithdrawal(10n)).toBeNull()
    expect(splitForWithdrawal(11n)).toEqual({ invoiceSat: 1n, feeReserveSat: 10n })
    expect(splitForWithdrawal(1_010n)).toEqual({ invoiceSat: 1_000n, feeReserveSat: 10n })
    expect(splitForWithdrawal(1_012n)).toEqual({ invoiceSat: 1_001n, feeReserveSat: 11n })
    for (let total = 11n; total < 3_000n; total += 7n) {
      const { invoiceSat, feeReserveSat } = splitForWithdrawal(total)!
      expect(invoiceSat + feeReserveSat).toBeLessThanOrEqual(total)
      expect(invoiceSat + 1n + feeReserveFor(invoiceSat + 1n)).toBeGreaterThan(total)
    }
  })
})

describe('cash-out against a dev relay', () => {
  let relay: RunningTseedRelay
  let lightning: ScriptedLightning

  beforeAll(async () => {
    lightning = new ScriptedLightning()
    relay = await startQuietRelay({ lightning })
  })

  afterAll(async () => {
    await relay.close()
    await lightning.close()
  })

  async function holder(sat: bigint): Promise<{ user: TestUser; tseed: bigint }> {
    const user = newUser(relay)
    const d = await user.api.createDeposit({ amountSat: sat, swapMinOut: 1n })
    const tseed = (await user.api.deposit(d.paymentHash)).swap!.amountOut!
    return { user, tseed }
  }

  it('plans with every fee listed, then swaps and withdraws exactly the output less the reserve', async () => {
    const { user, tseed } = await holder(20_000n)
    const plan = await planCashOut({ api: user.api, tseed, slippageBps: 50n })
    const q = quoteSwap(relay.ledger.pool()!, 'tseed_to_sat', tseed)
    expect(plan).toEqual({
      tseedIn: tseed,
      poolFeeTseed: q.fee,
      priceImpactBps: q.priceImpactBps,
      satOut: q.amountOut,
      minSatOut: (q.amountOut * 9_950n) / 10_000n,
      slippageBps: 50n,
      feeReserveSat: splitForWithdrawal(q.amountOut)!.feeReserveSat,
      arrivesSat: splitForWithdrawal(q.amountOut)!.invoiceSat,
      testMode: true,
    })

    const asked: bigint[] = []
    const result = await executeCashOut({
      api: user.api,
      plan,
      ref: 'cashout-1',
      invoiceFor: (sat) => {
        asked.push(sat)
        return Promise.resolve(foreignInvoice(sat).invoice)
      },
    })
    expect(asked).toEqual([plan.arrivesSat])
    expect(result.swap.amountOut).toBe(plan.satOut)
    expect(result.withdrawal).toMatchObject({
      state: 'completed',
      amountSat: plan.arrivesSat,
      feeReserveSat: plan.feeReserveSat,
      feePaidSat: 0n,
    })
    // The dev wallet pays no fee: the whole reserve comes back as sats.
    expect((await user.api.balance()).balances).toEqual({ tseed: 0n, sat: plan.feeReserveSat })
  })

  it('refuses an invoice for another amount and leaves the swapped sats on the relay', async () => {
    const { user, tseed } = await holder(5_000n)
    const plan = await planCashOut({ api: user.api, tseed })
    const err = await walletError(
      executeCashOut({
        api: user.api,
        plan,
        invoiceFor: (sat) => Promise.resolve(foreignInvoice(sat + 5n).invoice),
      }),
    )
    expect(err.code).toBe('failed')
    expect(err.message).toMatch(/stay on the relay: the invoice asks for/)
    expect((await user.api.balance()).balances).toEqual({ tseed: 0n, sat: plan.satOut })
  })

  it('says the sats were refunded when the payment fails', async () => {
    const { user, tseed } = await holder(5_000n)
    const plan = await planCashOut({ api: user.api, tseed })
    lightning.payErrors.push(new LightningError('PAYMENT_FAILED', 'no route'))
    const err = await walletError(
      executeCashOut({
        api: user.api,
        plan,
        invoiceFor: (sat) => Promise.resolve(foreignInvoice(sat).invoice),
      }),
    )
    expect(err.message).toMatch(/stay on the relay: the payment failed and was refunded/)
    expect((await user.api.balance()).balances.sat).toBe(plan.satOut)
  })

  it('refuses a swap the price moved past, and a plan the reserve would eat', async () => {
    const seller = await holder(50_000n)
    const { user, tseed } = await holder(5_000n)
    const plan = await planCashOut({ api: user.api, tseed, slippageBps: 0n })
    // Someone sells first: the same TSEED now fetch fewer sats.
    await seller.user.api.swap({ side: 'tseed_to_sat', amountIn: seller.tseed, minOut: 0n })
    const err = await walletError(
      executeCashOut({
        api: user.api,
        plan,
        invoiceFor: () => Promise.reject(new Error('not reached')),
      }),
    )
    expect(err.code).toBe('slippage')
    expect((await user.api.balance()).balances.tseed).toBe(tseed)

    expect((await walletError(planCashOut({ api: user.api, tseed: 20n }))).message).toMatch(
      /fee reserve would use up/,
    )
  })
})
