export type View = 'wallet' | 'activity' | 'settings'

const LABELS: Record<View, string> = {
  wallet: 'Wallet',
  activity: 'Activity',
  settings: 'Settings',
}

export interface ViewTabsProps {
  view: View
  onView: (view: View) => void
  /** Announces not yet accepted by every relay; shown on the Activity button. */
  waiting: number
}

/**
 * The popup's three views. Plain buttons with `aria-current` rather than an
 * ARIA tab list: each is a page of its own, and Tab reaches every button.
 */
export function ViewTabs(p: ViewTabsProps) {
  return (
    <nav class="view-tabs" aria-label="Popup sections">
      {(Object.keys(LABELS) as View[]).map((v) => (
        <button
          key={v}
          type="button"
          class="view-tab"
          data-testid={`view-${v}`}
          aria-current={p.view === v ? 'page' : undefined}
          onClick={() => {
            p.onView(v)
          }}
        >
          {LABELS[v]}
          {v === 'activity' && p.waiting > 0 ? (
            <span class="count">
              {p.waiting}
              <span class="sr-only"> waiting</span>
            </span>
          ) : null}
        </button>
      ))}
    </nav>
  )
}
