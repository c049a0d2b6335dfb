import type { QuoteView, WalletView } from '../../background/wallet/wallet'
import { formatSats } from '../format'
import type { NwcPasswordKind } from '../../background/wallet/nwc-connection'
import { Qr } from './qr'
import { formatSlippage } from '../../background/wallet/slippage'
import { ScreenHead, SecretInput, submitFields } from './form'
import { RelaySelect } from './relay-select'
import { SlippageControl } from './slippage'

export interface TopUpProps {
  wallet: WalletView
  /** The TSEED relays the user can top up at. */
  relays: string[]
  relay: string
  amountSat: string
  quote: QuoteView | null
  quoteError: string | null
  onRelay: (relay: string) => void
  onAmount: (amountSat: string) => void
  onStart: () => void
  onPayNwc: () => void
  /** Forgets the NWC connection string, sealed and open. */
  onForgetNwc: () => void
  /** Pays with the WebLN wallet (Alby…) of an open website tab. */
  onPayWebln: () => void
  /** `confirm` comes with a password chosen for the wallet alone (no key stored here). */
  onConnectNwc: (uri: string, password: string, confirm?: string) => Promise<boolean>
  onUnlockNwc: (password: string) => Promise<boolean>
  onSlippage: (percent: string) => Promise<boolean>
  onCopy: (text: string) => void
  onClose: () => void
}

/**
 * Sats in, TSEED out: an amount, the live quote (the same AMM code the
 * relay runs), then a Lightning invoice paid by the user's NWC wallet or by
 * any wallet from the QR code, and progress until the relay credits it.
 */
export function TopUpScreen(p: TopUpProps) {
  const t = p.wallet.topUp
  return (
    <section class="card" aria-labelledby="top-up-title" data-testid="top-up-screen">
      <ScreenHead id="top-up-title" title="Top up" backTestId="close-top-up" onBack={p.onClose} />
      {t === null || t.state === 'expired' || t.state === 'failed' ? (
        <>
          <AmountForm {...p} />
          <SlippageControl bps={p.wallet.slippageBps} onSave={p.onSlippage} />
          {p.wallet.nwc !== 'none' ? (
            <p class="muted row" data-testid="nwc-connected">
              Your NWC wallet is connected{p.wallet.nwc === 'locked' ? ' (locked)' : ''}.
              <button
                type="button"
                class="small secondary"
                data-testid="nwc-forget"
                onClick={p.onForgetNwc}
              >
                Disconnect it
              </button>
            </p>
          ) : null}
        </>
      ) : (
        <InvoiceView {...p} />
      )}
      {t !== null && (t.state === 'expired' || t.state === 'failed') ? (
        <p class="error" data-testid="top-up-message">
          {t.message}
        </p>
      ) : null}
    </section>
  )
}

function AmountForm(p: TopUpProps) {
  const q = p.quote
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault()
        p.onStart()
      }}
    >
      <RelaySelect relays={p.relays} relay={p.relay} testId="top-up-relay" onRelay={p.onRelay} />
      <label class="inline-label">
        Amount (sats)
        <input
          name="amountSat"
          inputMode="numeric"
          value={p.amountSat}
          onInput={(e) => {
            p.onAmount(e.currentTarget.value)
          }}
          data-testid="top-up-amount"
        />
      </label>
      {q !== null ? (
        <p data-testid="top-up-quote" data-tseed={q.tseedOut} data-min-out={q.minOut}>
          You get about <strong>{q.tseedOut} TSEED</strong>, at least {q.minOut} if the price moves
          by up to {formatSlippage(BigInt(q.slippageBps))}%. Pool fee {formatSats(q.feeSat)}; price
          impact {formatSlippage(BigInt(q.priceImpactBps))}%.
          {q.testMode ? ' TEST MODE: no real money moves.' : ''}
        </p>
      ) : p.quoteError !== null ? (
        <p class="notice" data-testid="top-up-quote-error">
          {p.quoteError}
        </p>
      ) : null}
      <button type="submit" data-testid="create-invoice" disabled={q === null}>
        Create invoice
      </button>
    </form>
  )
}

function InvoiceView(p: TopUpProps) {
  const t = p.wallet.topUp
  if (t === null) return null
  if (t.state === 'credited' || t.state === 'swap_failed') {
    return (
      <div data-testid="top-up-done" data-state={t.state}>
        <p>
          {t.state === 'credited'
            ? `Done: ${t.tseed ?? ''} TSEED credited.`
            : `The sats arrived, but the swap missed its minimum: ${t.message}`}
        </p>
        <button type="button" data-testid="top-up-finish" onClick={p.onClose}>
          Back to the balance
        </button>
      </div>
    )
  }
  return (
    <div class="stack" data-testid="top-up-invoice" data-state={t.state}>
      <p>
        Pay <strong>{formatSats(t.amountSat)}</strong> for at least {t.minOut} TSEED.
        {t.testMode ? ' TEST MODE: the relay credits it without a payment.' : ''}
      </p>
      <p class="muted" data-testid="top-up-progress" aria-live="polite">
        {t.state === 'paying' ? 'Your wallet is paying…' : `Waiting for the payment… ${t.message}`}
      </p>
      {p.wallet.nwc === 'ready' ? (
        <button
          type="button"
          data-testid="pay-nwc"
          disabled={t.state === 'paying'}
          onClick={p.onPayNwc}
        >
          Pay with my wallet (NWC)
        </button>
      ) : null}
      {p.wallet.nwc === 'locked' ? (
        <UnlockNwc password={p.wallet.nwcPassword} onUnlock={p.onUnlockNwc} />
      ) : null}
      <button
        type="button"
        class={p.wallet.nwc === 'ready' ? 'secondary' : ''}
        data-testid="pay-webln"
        disabled={t.state === 'paying'}
        onClick={p.onPayWebln}
        title="Alby and other WebLN wallets pay from an open website tab"
      >
        Pay with my browser wallet (WebLN)
      </button>
      <Qr text={t.invoice.toUpperCase()} label="QR code of the invoice" testId="invoice-qr" />
      <textarea
        readOnly
        rows={3}
        class="invoice"
        data-testid="invoice"
        value={t.invoice}
        aria-label="Lightning invoice"
      />
      <button
        type="button"
        class="secondary"
        data-testid="copy-invoice"
        onClick={() => {
          p.onCopy(t.invoice)
        }}
      >
        Copy invoice
      </button>
      {p.wallet.nwc === 'none' ? (
        <ConnectNwc password={p.wallet.nwcPassword} onConnect={p.onConnectNwc} />
      ) : null}
    </div>
  )
}

/**
 * The connection string is sealed at rest: it opens with the key's password
 * (and with the key), or with the wallet's own password for a user who signs
 * elsewhere. Either way the browser forgets the open string when it closes.
 */
function UnlockNwc(p: { password: NwcPasswordKind; onUnlock: TopUpProps['onUnlockNwc'] }) {
  const label = p.password === 'key' ? "Your key's password" : 'Your wallet password'
  return (
    <form
      class="stack"
      data-testid="nwc-locked"
      data-password={p.password}
      onSubmit={submitFields(['password'], (v) => p.onUnlock(v.password))}
    >
      <p class="muted">
        {p.password === 'key'
          ? "Your wallet is locked. Type your key's password to pay from it."
          : 'Your wallet is locked since the browser started. Type the password you chose for it to pay from it.'}
      </p>
      <SecretInput
        name="password"
        label={label}
        autocomplete="current-password"
        testId="nwc-unlock-password"
      />
      <button type="submit" class="secondary" data-testid="nwc-unlock">
        Unlock wallet
      </button>
    </form>
  )
}

function ConnectNwc(p: { password: NwcPasswordKind; onConnect: TopUpProps['onConnectNwc'] }) {
  const own = p.password === 'wallet'
  return (
    <details class="replace" data-testid="nwc-connect" data-password={p.password}>
      <summary>Pay from your own wallet (NWC)</summary>
      <form
        class="stack"
        onSubmit={
          own
            ? submitFields(['uri', 'password', 'confirm'], (v) =>
                p.onConnect(v.uri, v.password, v.confirm),
              )
            : submitFields(['uri', 'password'], (v) => p.onConnect(v.uri, v.password))
        }
      >
        <p class="muted">
          Paste a Nostr Wallet Connect string from your wallet (Alby, Mutiny, …). It can spend from
          your wallet, so it is stored encrypted.{' '}
          {own
            ? 'You sign with another app, so there is no key password here: choose a password for this wallet. You type it again after the browser restarts.'
            : "Your key's password protects it, and unlocking your key opens it too."}
        </p>
        <SecretInput
          name="uri"
          label="Nostr Wallet Connect string"
          placeholder="nostr+walletconnect://…"
          autocomplete="off"
          testId="nwc-uri"
        />
        {own ? (
          <>
            <SecretInput
              name="password"
              label="New password for your wallet"
              testId="nwc-password"
            />
            <SecretInput name="confirm" label="The same password again" testId="nwc-confirm" />
          </>
        ) : (
          <SecretInput
            name="password"
            label="Your key's password"
            autocomplete="current-password"
            testId="nwc-password"
          />
        )}
        <button type="submit" class="secondary" data-testid="nwc-save">
          Connect wallet
        </button>
      </form>
    </details>
  )
}
