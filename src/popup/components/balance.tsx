import type { WalletView } from '../../background/wallet/wallet'
import { formatSats, relayLabel, shortHash } from '../format'
import type { FlowView } from '../../background/wallet/wallet'

export interface BalanceProps {
  wallet: WalletView
  onTopUp: (needTseed: string | null) => void
  onCashOut: () => void
  onRefresh: () => void
}

/**
 * The first thing in the popup: what the user has, and the top-up when a
 * relay refused a download for lack of funds.
 */
export function BalanceCard(p: BalanceProps) {
  const w = p.wallet
  const missing = w.missing.reduce((a, m) => a + BigInt(m.tseed), 0n)
  return (
    <section class="card balance" aria-labelledby="balance-title" data-testid="balance">
      <div class="section-head">
        <h2 id="balance-title">Balance</h2>
        {w.total?.testMode === true ? (
          <span
            class="test-mode"
            data-testid="test-mode"
            title="Deposits are free; no real money moves"
          >
            TEST MODE
          </span>
        ) : null}
        <button
          type="button"
          class="small secondary"
          data-testid="refresh-balance"
          onClick={p.onRefresh}
        >
          Refresh
        </button>
      </div>
      {w.total === null ? (
        <p class="muted" data-testid="no-balance">
          No TSEED relay has answered yet.
        </p>
      ) : (
        <p class="balance-main">
          <strong data-testid="balance-tseed" data-tseed={w.total.tseed}>
            {w.total.tseed} TSEED
          </strong>{' '}
          <span class="muted" data-testid="balance-sat">
            ≈ {w.total.valueComplete ? '' : 'at least '}
            {formatSats(w.total.tseedValueSat)}
          </span>
        </p>
      )}
      {w.flow !== null ? <FlowLines flow={w.flow} /> : null}
      {w.balances.map((b) =>
        b.ok ? null : (
          <p key={b.relay} class="notice" data-testid="balance-error">
            {relayLabel(b.relay)}: {b.error}
          </p>
        ),
      )}
      {missing > 0n ? (
        <div class="funds-missing" data-testid="funds-missing" data-tseed={missing.toString()}>
          <p>
            A relay refused a download for lack of TSEED:{' '}
            <strong>{missing.toString()} TSEED</strong> more are needed. The waiting announce is
            published by itself once your balance covers it.
          </p>
          <button
            type="button"
            data-testid="top-up-missing"
            onClick={() => {
              p.onTopUp(missing.toString())
            }}
          >
            Top up {missing.toString()} TSEED
          </button>
        </div>
      ) : (
        <div class="row">
          <button
            type="button"
            data-testid="top-up"
            onClick={() => {
              p.onTopUp(null)
            }}
          >
            Top up
          </button>
          {w.total !== null && w.total.tseed !== '0' ? (
            <button type="button" class="secondary" data-testid="cash-out" onClick={p.onCashOut}>
              Cash out
            </button>
          ) : null}
        </div>
      )}
    </section>
  )
}

/** Earned and spent in the last 24 hours, and per torrent. */
function FlowLines(p: { flow: FlowView }) {
  const f = p.flow
  return (
    <>
      <p class="muted" data-testid="flow-24h">
        Last 24 h{f.complete ? '' : ' (at least)'}: earned {f.last24h.earned}, spent{' '}
        {f.last24h.spent} TSEED
      </p>
      {f.torrents.length > 0 ? (
        <details class="replace" data-testid="flow-torrents">
          <summary>Per torrent</summary>
          <ul class="list">
            {f.torrents.map((t) => (
              <li
                key={t.infoHash}
                class="counters"
                data-testid="flow-torrent"
                data-info-hash={t.infoHash}
              >
                <code title={t.infoHash}>{shortHash(t.infoHash)}</code>
                <span>↑ {t.up}</span>
                <span>↓ {t.down}</span>
                <span>net {t.net} TSEED</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  )
}
