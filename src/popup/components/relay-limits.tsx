import type { RelayLimitsView } from '../../background/relay-limits'
import { relayLabel } from '../format'
import { formValue, NumberInput } from './form'

export interface RelayLimitsProps {
  limits: RelayLimitsView[]
  onSave: (relay: string, perHour: string, perDay: string) => Promise<boolean>
}

const perText = (v: string | null, unit: string): string =>
  v === null ? `no limit per ${unit}` : `${v} TSEED per ${unit}`

/**
 * The limit each TSEED relay enforces on this key, whatever any signer
 * approves: the last line of defence if the key is ever used by a signer
 * that asks nobody.
 */
export function RelayLimitsSection(p: RelayLimitsProps) {
  return (
    <section class="card" aria-labelledby="relay-limits-title">
      <h2 id="relay-limits-title">Spending limit on your relays</h2>
      <p class="muted">
        Each TSEED relay refuses any announce of this key that would charge more than this, even one
        another signer approved.
      </p>
      {p.limits.length === 0 ? (
        <p class="muted" data-testid="no-relay-limits">
          Shown once you have a key and a TSEED relay answers.
        </p>
      ) : (
        <ul class="list">
          {p.limits.map((l) => (
            <li key={l.relay} class="site" data-testid="relay-limit-row" data-relay={l.relay}>
              <div class="site-head">
                <span class="site-origin">{relayLabel(l.relay)}</span>
              </div>
              {'error' in l ? (
                <p class="notice" data-testid="relay-limit-text">
                  Could not read the limit: {l.error}
                </p>
              ) : (
                <>
                  <p data-testid="relay-limit-text">
                    {perText(l.perHour, 'hour')}, {perText(l.perDay, 'day')}
                  </p>
                  <p class="muted">
                    Charged in the last hour: {l.chargedLastHour} TSEED; last 24 h:{' '}
                    {l.chargedLastDay} TSEED
                  </p>
                  <form
                    class="row"
                    onSubmit={(e) => {
                      e.preventDefault()
                      const form = e.currentTarget
                      void p.onSave(l.relay, formValue(form, 'perHour'), formValue(form, 'perDay'))
                    }}
                  >
                    <NumberInput
                      name="perHour"
                      value={l.perHour ?? ''}
                      placeholder="per hour"
                      label={`TSEED per hour on ${l.relay}; empty for no limit`}
                      testId="relay-limit-hour"
                    />
                    <NumberInput
                      name="perDay"
                      value={l.perDay ?? ''}
                      placeholder="per day"
                      label={`TSEED per day on ${l.relay}; empty for no limit`}
                      testId="relay-limit-day"
                    />
                    <button type="submit" class="small" data-testid="relay-limit-save">
                      Save
                    </button>
                  </form>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
