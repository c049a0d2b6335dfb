import { describe, expect, it } from 'vitest'
import type { QuoteView, TopUpView, WalletView } from '../../background/wallet/wallet'
import { flush, submitMany } from '../testing/form-events'
import { byTestId, expand, findAll, one, text, type Element } from '../testing/vnode'
import { TopUpScreen, type TopUpProps } from './top-up'

// A real regtest invoice is not needed: the QR code encodes any text.
const invoiceTopUp: TopUpView = {
  relay: 'ws://a',
  state: 'invoice',
  invoice: 'lnbcrt40n1ptest',
  paymentHash: 'ab'.repeat(32),
  amountSat: '4',
  minOut: '6',
  expiresAt: 2_000_000_000,
  testMode: false,
  message: 'Pay this invoice with any Lightning wallet.',
}

const wallet: WalletView = {
  balances: [],
  total: null,
  missing: [],
  topUp: null,
  flow: null,
  nwc: 'none',
  nwcPassword: 'key',
  slippageBps: '100',
}

const quote: QuoteView = {
  amountSat: '4',
  tseedOut: '7',
  minOut: '6',
  feeSat: '1',
  priceImpactBps: '1250',
  slippageBps: '250',
  testMode: false,
}

function render(w: Partial<WalletView>, q: QuoteView | null = null) {
  const calls: unknown[][] = []
  const props: TopUpProps = {
    wallet: { ...wallet, ...w },
    relays: ['ws://a'],
    relay: 'ws://a',
    amountSat: '4',
    quote: q,
    quoteError: null,
    onRelay: () => undefined,
    onAmount: () => undefined,
    onStart: () => calls.push(['start']),
    onPayNwc: () => calls.push(['pay']),
    onPayWebln: () => calls.push(['webln']),
    onForgetNwc: () => calls.push(['forget']),
    onConnectNwc: (...a) => (calls.push(['connect', ...a]), Promise.resolve(true)),
    onUnlockNwc: (...a) => (calls.push(['unlock', ...a]), Promise.resolve(true)),
    onSlippage: (...a) => (calls.push(['slippage', ...a]), Promise.resolve(true)),
    onCopy: () => undefined,
    onClose: () => undefined,
  }
  return { tree: expand(<TopUpScreen {...props} />), calls }
}

function formWith(tree: ReturnType<typeof expand>, testId: string): Element {
  const form = findAll(tree, (e) => e.type === 'form' && byTestId([e], testId).length > 0)[0]
  if (form === undefined) throw new Error(`no form around ${testId}`)
  return form
}

describe('TopUpScreen: the amount', () => {
  it('says how far the price may move, in the quote and in the setting, and changes it', async () => {
    const { tree, calls } = render({ slippageBps: '100' }, quote)
    // The quote tells the bound it was computed with.
    expect(text(one(tree, 'top-up-quote'))).toContain('at least 6 if the price moves by up to 2.5%')
    expect(text(one(tree, 'top-up-quote'))).toContain('price impact 12.5%')
    expect(one(tree, 'slippage').props['data-bps']).toBe('100')
    expect(text(one(tree, 'slippage'))).toContain('Price may move up to 1%')
    expect(text(one(tree, 'slippage'))).toContain('From 0.1% to 5%')
    expect(one(tree, 'slippage-input').props.defaultValue).toBe('1')
    const submitted = submitMany(formWith(tree, 'slippage-save').props.onSubmit, {
      percent: '0.5',
    })
    await flush()
    expect(submitted.prevented()).toBe(true)
    expect(calls).toEqual([['slippage', '0.5']])
  })

  it('shows no slippage control once the invoice exists', () => {
    const { tree } = render({ topUp: invoiceTopUp })
    expect(byTestId(tree, 'slippage')).toHaveLength(0)
    expect(byTestId(tree, 'top-up-invoice')).toHaveLength(1)
  })
})

describe('TopUpScreen: paying from the user’s NWC wallet', () => {
  it('with a key stored here: connects with the key’s password, typed once', async () => {
    const { tree, calls } = render({ topUp: invoiceTopUp, nwc: 'none', nwcPassword: 'key' })
    expect(one(tree, 'nwc-connect').props['data-password']).toBe('key')
    expect(text(one(tree, 'nwc-connect'))).toContain("Your key's password protects it")
    expect(byTestId(tree, 'nwc-confirm')).toHaveLength(0)
    expect(byTestId(tree, 'pay-nwc')).toHaveLength(0)
    expect(one(tree, 'nwc-password').props.autocomplete).toBe('current-password')
    const s = submitMany(formWith(tree, 'nwc-save').props.onSubmit, {
      uri: 'nostr+walletconnect://x',
      password: 'key password',
    })
    await flush()
    expect(calls).toEqual([['connect', 'nostr+walletconnect://x', 'key password']])
    // Neither the string nor the password lingers in the page.
    expect(s.inputs.uri?.value).toBe('')
    expect(s.inputs.password?.value).toBe('')
  })

  it('without a stored key: asks for a new wallet password, twice', async () => {
    const { tree, calls } = render({ topUp: invoiceTopUp, nwc: 'none', nwcPassword: 'wallet' })
    expect(one(tree, 'nwc-connect').props['data-password']).toBe('wallet')
    expect(text(one(tree, 'nwc-connect'))).toContain('choose a password for this wallet')
    expect(one(tree, 'nwc-password').props.autocomplete).toBe('new-password')
    expect(one(tree, 'nwc-confirm').props.type).toBe('password')
    submitMany(formWith(tree, 'nwc-save').props.onSubmit, {
      uri: 'nostr+walletconnect://x',
      password: 'wallet pass',
      confirm: 'wallet pass',
    })
    await flush()
    expect(calls).toEqual([['connect', 'nostr+walletconnect://x', 'wallet pass', 'wallet pass']])
  })

  it.each([
    ['key', "Type your key's password", "Your key's password"],
    ['wallet', 'Type the password you chose for it', 'Your wallet password'],
  ] as const)(
    'locked, opened by the %s password: asks for it in plain words',
    async (kind, says, label) => {
      const { tree, calls } = render({ topUp: invoiceTopUp, nwc: 'locked', nwcPassword: kind })
      const locked = one(tree, 'nwc-locked')
      expect(locked.props['data-password']).toBe(kind)
      expect(text(locked)).toContain(says)
      expect(one(tree, 'nwc-unlock-password').props['aria-label']).toBe(label)
      expect(byTestId(tree, 'pay-nwc')).toHaveLength(0)
      expect(byTestId(tree, 'nwc-connect')).toHaveLength(0)
      submitMany(locked.props.onSubmit, { password: 'typed' })
      await flush()
      expect(calls).toEqual([['unlock', 'typed']])
    },
  )

  it('ready: one button pays, and it waits while the wallet is paying', () => {
    const ready = render({ topUp: invoiceTopUp, nwc: 'ready', nwcPassword: 'wallet' })
    expect(one(ready.tree, 'pay-nwc').props.disabled).toBe(false)
    expect(byTestId(ready.tree, 'nwc-locked')).toHaveLength(0)
    expect(byTestId(ready.tree, 'nwc-connect')).toHaveLength(0)
    const paying = render({ topUp: { ...invoiceTopUp, state: 'paying' }, nwc: 'ready' })
    expect(one(paying.tree, 'pay-nwc').props.disabled).toBe(true)
  })

  it('offers WebLN beside NWC, and both wait while a payment is under way', () => {
    const none = render({ topUp: invoiceTopUp, nwc: 'none' })
    ;(one(none.tree, 'pay-webln').props.onClick as () => void)()
    expect(none.calls).toEqual([['webln']])
    const paying = render({ topUp: { ...invoiceTopUp, state: 'paying' }, nwc: 'ready' })
    expect(one(paying.tree, 'pay-webln').props.disabled).toBe(true)
  })

  it('a connected wallet can be disconnected from the amount step', () => {
    expect(byTestId(render({ nwc: 'none' }).tree, 'nwc-forget')).toHaveLength(0)
    const locked = render({ nwc: 'locked' })
    expect(text(one(locked.tree, 'nwc-connected'))).toContain('connected (locked)')
    ;(one(locked.tree, 'nwc-forget').props.onClick as () => void)()
    expect(locked.calls).toEqual([['forget']])
  })
})
