import { describe, expect, it } from 'vitest'
import type { WalletView } from '../../background/wallet/wallet'
import { byTestId, expand, one, text } from '../testing/vnode'
import { BalanceCard } from './balance'

const wallet: WalletView = {
  balances: [
    {
      relay: 'ws://a',
      ok: true,
      tseed: '1993',
      sat: '0',
      tseedValueSat: '996',
      testMode: true,
      at: 1,
    },
    { relay: 'ws://b', ok: false, error: 'relay unreachable', at: 1 },
  ],
  total: { tseed: '1993', tseedValueSat: '996', valueComplete: true, testMode: true },
  missing: [],
  topUp: null,
  flow: {
    last24h: { earned: '3', spent: '50', net: '-47' },
    complete: false,
    torrents: [{ infoHash: 'ab'.repeat(20), up: '3', down: '50', net: '-47' }],
  },
  nwc: 'none',
  nwcPassword: 'key',
  slippageBps: '100',
}

describe('BalanceCard', () => {
  it('leads with the balance, marks TEST MODE, and shows what the TSEED did', () => {
    const actions: unknown[] = []
    const tree = expand(
      <BalanceCard
        wallet={wallet}
        onTopUp={(n) => actions.push(['top-up', n])}
        onCashOut={() => actions.push(['cash-out'])}
        onRefresh={() => actions.push(['refresh'])}
      />,
    )
    expect(text(one(tree, 'balance-tseed'))).toBe('1993 TSEED')
    expect(text(one(tree, 'balance-sat'))).toBe('≈ 996 sats')
    expect(byTestId(tree, 'test-mode')).toHaveLength(1)
    expect(text(one(tree, 'balance-error'))).toBe('b: relay unreachable')
    expect(text(one(tree, 'flow-24h'))).toBe('Last 24 h (at least): earned 3, spent 50 TSEED')
    expect(text(one(tree, 'flow-torrent'))).toContain('net -47 TSEED')
    ;(one(tree, 'top-up').props.onClick as () => void)()
    ;(one(tree, 'cash-out').props.onClick as () => void)()
    expect(actions).toEqual([['top-up', null], ['cash-out']])
  })

  it('puts the missing funds and their top-up first when a relay refused for funds', () => {
    const needs: unknown[] = []
    const tree = expand(
      <BalanceCard
        wallet={{ ...wallet, missing: [{ relay: 'ws://a', tseed: '5' }] }}
        onTopUp={(n) => needs.push(n)}
        onCashOut={() => undefined}
        onRefresh={() => undefined}
      />,
    )
    expect(one(tree, 'funds-missing').props['data-tseed']).toBe('5')
    expect(byTestId(tree, 'top-up')).toHaveLength(0)
    ;(one(tree, 'top-up-missing').props.onClick as () => void)()
    expect(needs).toEqual(['5'])
  })
})
