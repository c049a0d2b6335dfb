import type { RelayView } from '../../background/messages'
import { relayStateText } from '../format'
import { FieldForm } from './form'

export interface RelaysProps {
  relays: RelayView[]
  onAdd: (url: string) => Promise<boolean>
  onRemove: (url: string) => void
}

/** The TSEED relays announces go to, each with its live connection state. */
export function RelaysSection(p: RelaysProps) {
  return (
    <section class="card" aria-labelledby="relays-title">
      <h2 id="relays-title">Relays</h2>
      {p.relays.length === 0 ? (
        <p class="muted">No relay: announces wait until you add one.</p>
      ) : (
        <ul class="list">
          {p.relays.map((r) => (
            <RelayRow key={r.url} relay={r} onRemove={p.onRemove} />
          ))}
        </ul>
      )}
      <FieldForm
        name="url"
        inputMode="url"
        placeholder="wss://relay.example"
        label="Relay URL"
        action="Add"
        inputTestId="relay-input"
        buttonTestId="add-relay"
        onSubmit={p.onAdd}
      />
    </section>
  )
}

const KIND_TEXT: Record<RelayView['kind'], string> = {
  tseed: 'TSEED relay',
  plain: 'Plain relay: announces are published but nobody pays or charges for them',
  unknown: 'Not known yet whether it is a TSEED relay',
  checking: 'Checking what kind of relay this is…',
}

function RelayRow(p: { relay: RelayView; onRemove: (url: string) => void }) {
  const r = p.relay
  return (
    <li class="relay" data-testid="relay-row" data-url={r.url} data-kind={r.kind}>
      <span class="relay-id">
        {r.name !== undefined ? <strong>{r.name}</strong> : null}
        <span class="relay-url">{r.url}</span>
        <span class="muted relay-kind" data-testid="relay-kind">
          {KIND_TEXT[r.kind]}
          {r.testMode === true ? ' · TEST MODE: play money' : ''}
        </span>
      </span>
      <span data-testid="relay-state" class={`state state-${r.state}`} title={r.error}>
        {relayStateText(r.state, r.error)}
      </span>
      <button
        type="button"
        class="link"
        data-testid="remove-relay"
        aria-label={`Remove ${r.url}`}
        onClick={() => {
          p.onRemove(r.url)
        }}
      >
        Remove
      </button>
    </li>
  )
}
