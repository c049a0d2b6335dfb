import { describe, expect, it } from 'vitest'
import type { CashOutPlanView } from '../../background/wallet/wallet'
import { byTestId, expand, one, text } from '../testing/vnode'
import { CashOutScreen, type CashOutProps } from './cash-out'

const plan: CashOutPlanView = {
  relay: 'ws://a',
  tseedIn: '1000',
  poolFeeTseed: '3',
  priceImpactBps: '30',
  satOut: '498',
  minSatOut: '493',
  slippageBps: '100',
  feeReserveSat: '10',
  arrivesSat: '488',
  testMode: false,
}

function render(p: Partial<CashOutProps>) {
  const props: CashOutProps = {
    relays: ['ws://a'],
    relay: 'ws://a',
    tseed: '1000',
    destination: '',
    plan,
    planError: null,
    result: null,
    busy: false,
    slippageBps: '100',
    onSlippage: () => Promise.resolve(true),
    onRelay: () => undefined,
    onTseed: () => undefined,
    onDestination: () => undefined,
    onConfirm: () => undefined,
    onClose: () => undefined,
    ...p,
  }
  return expand(<CashOutScreen {...props} />)
}

describe('CashOutScreen and the slippage bound', () => {
  it('lists the least the swap may give with the bound it was planned with, and offers to change it', () => {
    const tree = render({ plan: { ...plan, slippageBps: '250' }, slippageBps: '250' })
    expect(text(one(tree, 'cash-out-plan'))).toContain(
      '498 sats (at least 493 if the price moves by up to 2.5%)',
    )
    expect(text(one(tree, 'cash-out-plan'))).toContain('price impact 0.3%')
    expect(one(tree, 'slippage').props['data-bps']).toBe('250')
    expect(text(one(tree, 'slippage'))).toContain('Price may move up to 2.5%')
  })

  it('shows the bound before any amount is typed, and not once the cash-out is done', () => {
    expect(text(one(render({ plan: null, tseed: '' }), 'slippage'))).toContain('up to 1%')
    const done = render({
      result: {
        relay: 'ws://a',
        tseedIn: '1000',
        satOut: '498',
        invoiceSat: '488',
        state: 'completed',
        feePaidSat: '0',
      },
    })
    expect(byTestId(done, 'slippage')).toHaveLength(0)
  })
})
