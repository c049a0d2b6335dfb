import { parseTokens } from './consent/spending-settings'
import type { RelayLimits } from './relay-limits'
import { RouteParamsError, stringParam, wholeParam } from './route-params'
import type { NwcPasswordKind } from './wallet/nwc-connection'
import type { Wallet } from './wallet/wallet'

export interface WalletRouteDeps {
  ready: Promise<unknown>
  wallet: Wallet
  relayLimits: RelayLimits
}

/** Balance, top-up, cash-out, the NWC wallet and the relay's spending limit. */
export function createWalletRoutes(d: WalletRouteDeps) {
  return {
    /** Reads every TSEED relay's balance now (the popup's first screen, a "Refresh" click). */
    async refreshBalance(): Promise<{ relays: number }> {
      await d.ready
      return { relays: (await d.wallet.refresh('popup')).length }
    },

    /** `unit: 'sat'` quotes what the sats buy; `unit: 'tseed'` what that much TSEED costs. */
    async quoteTopUp(params: { relay: string; amount: string; unit: 'sat' | 'tseed' }) {
      await d.ready
      const unit = stringParam(params, 'unit')
      if (unit !== 'sat' && unit !== 'tseed')
        throw new RouteParamsError('unit must be sat or tseed')
      return d.wallet.quote(stringParam(params, 'relay'), {
        unit,
        amount: wholeParam(params, 'amount'),
      })
    },

    /** The top-up that covers `tseed` missing TSEED even at the worst price the slippage bound allows. */
    async quoteTopUpToCover(params: { relay: string; tseed: string }) {
      await d.ready
      return d.wallet.quoteToCover(stringParam(params, 'relay'), wholeParam(params, 'tseed'))
    },

    /** `percent` as typed, e.g. `0.5`: the bound top-ups and cash-outs are swapped with. */
    async setSlippage(params: { percent: string }): Promise<{ slippageBps: string }> {
      await d.ready
      const bps = await d.wallet.setSlippage(stringParam(params, 'percent'))
      return { slippageBps: bps.toString() }
    },

    async startTopUp(params: { relay: string; amountSat: string }) {
      await d.ready
      return d.wallet.startTopUp(stringParam(params, 'relay'), wholeParam(params, 'amountSat'))
    },

    async payTopUpWithNwc() {
      await d.ready
      return d.wallet.payTopUpWithNwc()
    },

    async payTopUpWithWebln() {
      await d.ready
      return d.wallet.payTopUpWithWebln()
    },

    async planCashOut(params: { relay: string; tseed: string }) {
      await d.ready
      return d.wallet.planCashOut(stringParam(params, 'relay'), wholeParam(params, 'tseed'))
    },

    /** `destination`: a BOLT11 invoice for the planned amount, or a Lightning address. */
    async cashOut(params: { relay: string; tseed: string; destination: string }) {
      await d.ready
      const result = await d.wallet.cashOut(
        stringParam(params, 'relay'),
        wholeParam(params, 'tseed'),
        stringParam(params, 'destination'),
      )
      void d.wallet.refresh('cash-out')
      return result
    },

    dismissTopUp(): Promise<null> {
      d.wallet.dismissTopUp()
      return Promise.resolve(null)
    },

    /**
     * Stores the user's NWC wallet, sealed with the key's password, or with
     * a password of its own when no key is stored here (NIP-07, bunker).
     */
    async connectNwc(params: {
      uri: string
      password: string
    }): Promise<{ connected: true; password: NwcPasswordKind }> {
      await d.ready
      const password = await d.wallet.connectNwc(
        stringParam(params, 'uri'),
        stringParam(params, 'password'),
      )
      return { connected: true, password }
    },

    /** Opens the sealed NWC wallet with its password, e.g. after the browser restarted. */
    async unlockNwc(params: { password: string }): Promise<{ unlocked: true }> {
      await d.ready
      await d.wallet.unlockNwc(stringParam(params, 'password'))
      return { unlocked: true }
    },

    async forgetNwc(): Promise<null> {
      await d.wallet.forgetNwc()
      return null
    },

    /** The relay-enforced spending limit of the current key; an empty field means no limit. */
    async setRelayLimits(params: { relay: string; perHour: string; perDay: string }) {
      await d.ready
      const limit = (name: 'perHour' | 'perDay', what: string): bigint | null => {
        const text = stringParam(params, name).trim()
        return text === '' ? null : parseTokens(text, what)
      }
      return d.relayLimits.set(
        stringParam(params, 'relay'),
        limit('perHour', 'The hourly limit'),
        limit('perDay', 'The daily limit'),
      )
    },
  }
}
