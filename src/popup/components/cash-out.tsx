import type { CashOutPlanView, CashOutView } from '../../background/wallet/wallet'
import { formatSats } from '../format'
import { formatSlippage } from '../../background/wallet/slippage'
import { ScreenHead } from './form'
import { RelaySelect } from './relay-select'
import { SlippageControl } from './slippage'

export interface CashOutProps {
  relays: string[]
  relay: string
  tseed: string
  destination: string
  plan: CashOutPlanView | null
  planError: string | null
  result: CashOutView | null
  busy: boolean
  /** The slippage bound in basis points. */
  slippageBps: string
  onSlippage: (percent: string) => Promise<boolean>
  onRelay: (relay: string) => void
  onTseed: (tseed: string) => void
  onDestination: (text: string) => void
  onConfirm: () => void
  onClose: () => void
}

/**
 * TSEED back to sats over Lightning: one confirmation screen listing every
 * fee and what arrives, then the withdrawal's status.
 */
export function CashOutScreen(p: CashOutProps) {
  const plan = p.plan
  return (
    <section class="card" aria-labelledby="cash-out-title" data-testid="cash-out-screen">
      <ScreenHead
        id="cash-out-title"
        title="Cash out"
        backTestId="close-cash-out"
        onBack={p.onClose}
      />
      {p.result !== null ? (
        <div data-testid="cash-out-done" data-state={p.result.state}>
          <p>
            {p.result.state === 'completed'
              ? `Paid: ${formatSats(p.result.invoiceSat)} sent to your wallet${p.result.feePaidSat !== null ? ` (routing fee ${formatSats(p.result.feePaidSat)})` : ''}.`
              : p.result.state === 'pending'
                ? `Your ${formatSats(p.result.satOut)} are on their way; the relay is confirming the payment.`
                : 'The payment failed; the sats stay on your relay balance.'}
          </p>
          <button type="button" data-testid="cash-out-finish" onClick={p.onClose}>
            Back to the balance
          </button>
        </div>
      ) : (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault()
            p.onConfirm()
          }}
        >
          <RelaySelect
            relays={p.relays}
            relay={p.relay}
            testId="cash-out-relay"
            onRelay={p.onRelay}
          />
          <label class="inline-label">
            Amount (TSEED)
            <input
              inputMode="numeric"
              value={p.tseed}
              data-testid="cash-out-amount"
              onInput={(e) => {
                p.onTseed(e.currentTarget.value)
              }}
            />
          </label>
          {plan !== null ? (
            <dl class="facts" data-testid="cash-out-plan" data-arrives={plan.arrivesSat}>
              <dt>You swap</dt>
              <dd>{plan.tseedIn} TSEED</dd>
              <dt>Pool fee</dt>
              <dd>
                {plan.poolFeeTseed} TSEED (0.3%); price impact{' '}
                {formatSlippage(BigInt(plan.priceImpactBps))}%
              </dd>
              <dt>Swap gives</dt>
              <dd>
                {formatSats(plan.satOut)} (at least {plan.minSatOut} if the price moves by up to{' '}
                {formatSlippage(BigInt(plan.slippageBps))}%)
              </dd>
              <dt>Fee reserve</dt>
              <dd>
                {formatSats(plan.feeReserveSat)} for routing; what is not used stays on your relay
                balance
              </dd>
              <dt>Arrives</dt>
              <dd>
                <strong data-testid="cash-out-arrives">{formatSats(plan.arrivesSat)}</strong>
              </dd>
            </dl>
          ) : p.planError !== null ? (
            <p class="notice" data-testid="cash-out-plan-error">
              {p.planError}
            </p>
          ) : null}
          <input
            type="text"
            value={p.destination}
            placeholder={
              plan === null
                ? 'lnbc… invoice or name@domain'
                : `invoice for ${plan.arrivesSat} sats, or name@domain`
            }
            aria-label="Where to send the sats: a Lightning invoice or a Lightning address"
            data-testid="cash-out-destination"
            onInput={(e) => {
              p.onDestination(e.currentTarget.value)
            }}
          />
          {plan?.testMode === true ? <p class="muted">TEST MODE: no real money moves.</p> : null}
          <button
            type="submit"
            data-testid="confirm-cash-out"
            disabled={plan === null || p.destination.trim() === '' || p.busy}
          >
            {p.busy ? 'Cashing out…' : 'Confirm cash-out'}
          </button>
        </form>
      )}
      {p.result === null ? <SlippageControl bps={p.slippageBps} onSave={p.onSlippage} /> : null}
    </section>
  )
}
