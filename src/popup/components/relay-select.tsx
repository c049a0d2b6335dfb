import { relayLabel } from '../format'

/** Which TSEED relay a top-up or cash-out is for; shown only when there is a choice. */
export function RelaySelect(p: {
  relays: string[]
  relay: string
  testId: string
  onRelay: (relay: string) => void
}) {
  if (p.relays.length < 2) return null
  return (
    <label class="inline-label">
      Relay
      <select
        value={p.relay}
        data-testid={p.testId}
        onChange={(e) => {
          p.onRelay(e.currentTarget.value)
        }}
      >
        {p.relays.map((r) => (
          <option key={r} value={r}>
            {relayLabel(r)}
          </option>
        ))}
      </select>
    </label>
  )
}
