import type { NostrConnectView } from '../../background/signer/identity'
import { submitFields } from './form'
import { Qr } from './qr'

export interface NostrConnectProps {
  flow: NostrConnectView | null
  /** The relay offered for the connection: the user's first relay. */
  defaultRelay: string
  onStart: (relay: string) => Promise<boolean>
  onCancel: () => void
  onCopy: (text: string) => void
}

/**
 * Connecting a signer app from this side (NIP-46 `nostrconnect://`): the
 * app scans or pastes the address and answers through the relay in it, so
 * the user never copies a secret out of the app.
 */
export function NostrConnectSection(p: NostrConnectProps) {
  const flow = p.flow
  if (flow?.state === 'waiting') {
    return (
      <div class="stack" data-testid="nostrconnect-waiting">
        <p>Scan this with your signer app (Amber, nsec.app…), or copy it there:</p>
        <Qr text={flow.uri} label="QR code of the signer-app address" testId="nostrconnect-qr" />
        <textarea
          class="invoice"
          data-testid="nostrconnect-uri"
          value={flow.uri}
          aria-label="Signer-app address"
          readOnly
          rows={3}
        />
        <div class="row">
          <button
            type="button"
            class="secondary"
            data-testid="copy-nostrconnect"
            onClick={() => {
              p.onCopy(flow.uri)
            }}
          >
            Copy
          </button>
          <button
            type="button"
            class="secondary"
            data-testid="cancel-nostrconnect"
            onClick={p.onCancel}
          >
            Cancel
          </button>
        </div>
        <p class="muted" role="status">
          Waiting for your signer app, through {flow.relays.join(', ')}. It stops after 5 minutes.
        </p>
      </div>
    )
  }
  return (
    <form class="stack" onSubmit={submitFields(['relay'], (v) => p.onStart(v.relay))}>
      {flow?.state === 'failed' ? (
        <p class="notice" data-testid="nostrconnect-failed">
          {flow.error}
        </p>
      ) : null}
      <input
        type="text"
        name="relay"
        inputMode="url"
        autocomplete="off"
        spellcheck={false}
        defaultValue={p.defaultRelay}
        placeholder="wss://relay.example"
        aria-label="Relay your signer app can reach"
        title="Relay your signer app can reach"
        data-testid="nostrconnect-relay"
      />
      <button type="submit" class="secondary" data-testid="start-nostrconnect">
        Show a code for my signer app
      </button>
    </form>
  )
}
