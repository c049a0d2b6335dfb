import type { SiteView, SpendingView } from '../../background/messages'
import { formValue, NumberInput } from './form'

export interface SitesProps {
  sites: SiteView[]
  spending: SpendingView
  onDecide: (origin: string, decision: 'allow' | 'block' | 'ask') => void
  onBudget: (origin: string, dailyBudget: string) => Promise<boolean>
  onReplace: (origin: string, replace: boolean) => void
  onDefaults: (s: {
    dailyBudget: string
    confirmAbove: string
    lineMbps: string
  }) => Promise<boolean>
}

/**
 * Which sites may publish announces, what each may spend, and the defaults
 * a newly allowed site gets. Every decision can be undone here.
 */
export function SitesSection(p: SitesProps) {
  return (
    <section class="card" aria-labelledby="sites-title">
      <h2 id="sites-title">Sites and budgets</h2>
      {p.sites.length === 0 ? (
        <p class="muted" data-testid="no-sites">
          No site decided yet. The first announce from a site asks you first.
        </p>
      ) : (
        <ul class="list">
          {p.sites.map((s) => (
            <SiteRow
              key={s.origin}
              site={s}
              onDecide={p.onDecide}
              onBudget={p.onBudget}
              onReplace={p.onReplace}
            />
          ))}
        </ul>
      )}
      <DefaultsForm spending={p.spending} onSubmit={p.onDefaults} />
    </section>
  )
}

function SiteRow(p: {
  site: SiteView
  onDecide: SitesProps['onDecide']
  onBudget: SitesProps['onBudget']
  onReplace: SitesProps['onReplace']
}) {
  const s = p.site
  const allowed = s.decision === 'allow'
  return (
    <li class="site" data-testid="site-row" data-origin={s.origin} data-decision={s.decision}>
      <div class="site-head">
        <span class="site-origin">{s.origin}</span>
        <span
          class={`state ${allowed ? 'state-connected' : 'state-error'}`}
          data-testid="site-decision"
        >
          {allowed ? 'allowed' : 'blocked'}
        </span>
      </div>
      {allowed ? (
        <p class="muted" data-testid="site-spent">
          {s.spentToday} of {s.dailyBudget} TSEED spent in the last 24 h
          {s.customBudget ? '' : ' (default budget)'}
        </p>
      ) : null}
      {allowed ? (
        <label class="check" data-testid="site-replace" data-replace={String(s.replace)}>
          <input
            type="checkbox"
            checked={s.replace}
            data-testid="site-replace-toggle"
            onChange={(e) => {
              p.onReplace(s.origin, e.currentTarget.checked)
            }}
          />
          <span>
            Replace mode: this site's tracker announces also get peers from your TSEED relays
          </span>
        </label>
      ) : null}
      <div class="row">
        {allowed ? (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault()
              void p.onBudget(s.origin, formValue(e.currentTarget, 'budget'))
            }}
          >
            <NumberInput
              name="budget"
              value={s.customBudget ? s.dailyBudget : ''}
              placeholder={s.dailyBudget}
              label={`Daily budget for ${s.origin} in TSEED`}
              testId="site-budget-input"
            />
            <button type="submit" class="small" data-testid="site-budget-save">
              Set budget
            </button>
          </form>
        ) : null}
        <button
          type="button"
          class="small secondary"
          data-testid="site-toggle"
          onClick={() => {
            p.onDecide(s.origin, allowed ? 'block' : 'allow')
          }}
        >
          {allowed ? 'Block' : 'Allow'}
        </button>
        <button
          type="button"
          class="small secondary"
          data-testid="site-forget"
          aria-label={`Ask again for ${s.origin}`}
          onClick={() => {
            p.onDecide(s.origin, 'ask')
          }}
        >
          Ask again
        </button>
      </div>
    </li>
  )
}

function DefaultsForm(p: { spending: SpendingView; onSubmit: SitesProps['onDefaults'] }) {
  return (
    <form
      class="defaults"
      data-testid="spending-defaults"
      onSubmit={(e) => {
        e.preventDefault()
        const v = (name: string): string => formValue(e.currentTarget, name)
        void p.onSubmit({
          dailyBudget: v('dailyBudget'),
          confirmAbove: v('confirmAbove'),
          lineMbps: v('lineMbps'),
        })
      }}
    >
      <h3>Defaults for every site</h3>
      <label>
        Daily budget per site (TSEED)
        <NumberInput name="dailyBudget" value={p.spending.dailyBudget} testId="default-budget" />
      </label>
      <label>
        Ask before one announce costing more than (TSEED)
        <NumberInput name="confirmAbove" value={p.spending.confirmAbove} testId="default-confirm" />
      </label>
      <label>
        Your line speed (Mbit/s)
        <NumberInput name="lineMbps" value={String(p.spending.lineMbps)} testId="default-line" />
      </label>
      <button type="submit" class="small" data-testid="save-defaults">
        Save defaults
      </button>
    </form>
  )
}
