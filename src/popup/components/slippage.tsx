import {
  formatSlippage,
  MAX_SLIPPAGE_BPS,
  MIN_SLIPPAGE_BPS,
} from '../../background/wallet/slippage'
import { formValue } from './form'

export interface SlippageProps {
  /** The current bound in basis points, as the background reports it. */
  bps: string
  /** Takes the percentage as typed; resolves true when it was saved. */
  onSave: (percent: string) => Promise<boolean>
}

/**
 * "Price may move up to X%", with a way to change it: the bound below the
 * quote that a swap may land at before the relay refuses it. It lives
 * outside the amount form it belongs to, since forms cannot nest.
 */
export function SlippageControl(p: SlippageProps) {
  const percent = formatSlippage(BigInt(p.bps))
  return (
    <details class="replace" data-testid="slippage" data-bps={p.bps}>
      <summary>
        Price may move up to <span data-testid="slippage-percent">{percent}%</span>
      </summary>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault()
          // The field keeps what was typed: the summary above shows what was saved.
          void p.onSave(formValue(e.currentTarget, 'percent'))
        }}
      >
        <p class="muted">
          Prices in the pool move as others trade. If the price moves against you by more than this
          before the swap goes through, nothing is swapped: a top-up stays as sats on the relay, a
          cash-out does not happen. From {formatSlippage(MIN_SLIPPAGE_BPS)}% to{' '}
          {formatSlippage(MAX_SLIPPAGE_BPS)}%.
        </p>
        <div class="row">
          <label class="inline-label">
            Largest price move (%)
            <input
              name="percent"
              inputMode="decimal"
              defaultValue={percent}
              autocomplete="off"
              data-testid="slippage-input"
            />
          </label>
          <button type="submit" class="secondary" data-testid="slippage-save">
            Save
          </button>
        </div>
      </form>
    </details>
  )
}
