import type { AnnounceView } from '../../background/messages'
import { formatAge, formatBytes, relayLabel, relayResultText, shortHash } from '../format'

export interface AnnouncesProps {
  announces: AnnounceView[]
  pendingCount: number
  hasKey: boolean
  now: number
  onRetry: () => void
}

const GATE_TEXT: Record<NonNullable<AnnounceView['gate']>, string> = {
  held: 'Waiting for your OK: not signed, not published',
  'site-blocked': 'Not published: you blocked this site',
  declined: 'Not published: you declined it',
  superseded: 'Not published: a newer announce of this download replaced it',
}

/** The last announces and what each relay answered. */
export function AnnouncesSection(p: AnnouncesProps) {
  return (
    <section class="card" aria-labelledby="announces-title">
      <div class="section-head">
        <h2 id="announces-title">Last announces</h2>
        <span class="muted" data-testid="pending-count">
          {p.pendingCount} waiting
        </span>
        <button type="button" class="small" data-testid="retry-now" onClick={p.onRetry}>
          Retry now
        </button>
      </div>
      {p.pendingCount > 0 && !p.hasKey ? (
        <p class="notice" data-testid="waiting-for-key">
          Waiting for your key: queued announces are published as soon as you unlock, create or
          import one.
        </p>
      ) : null}
      {p.announces.length === 0 ? (
        <p class="muted">
          Nothing yet. When a web torrent client in a tab announces to an HTTP tracker, it shows up
          here.
        </p>
      ) : (
        <ul class="list">
          {p.announces.map((a) => (
            <AnnounceRow key={a.id} announce={a} hasKey={p.hasKey} now={p.now} />
          ))}
        </ul>
      )}
    </section>
  )
}

function AnnounceRow(p: { announce: AnnounceView; hasKey: boolean; now: number }) {
  const a = p.announce
  return (
    <li class="announce" data-testid="announce-row" data-info-hash={a.infoHash}>
      <div class="announce-head">
        <code title={a.infoHash}>{shortHash(a.infoHash)}</code>
        {a.event !== undefined ? <span class="event">{a.event}</span> : null}
        <span class="muted">
          {a.site} · {formatAge(a.seenAt, p.now)}
        </span>
      </div>
      <div class="counters">
        <span title={`${a.uploaded} bytes uploaded`}>↑ {formatBytes(a.uploaded)}</span>
        <span title={`${a.downloaded} bytes downloaded`}>↓ {formatBytes(a.downloaded)}</span>
        <span title={`${a.left} bytes left`}>left {formatBytes(a.left)}</span>
      </div>
      {a.gate !== undefined ? (
        <p class={`gate gate-${a.gate}`} data-testid="announce-gate" data-gate={a.gate}>
          {GATE_TEXT[a.gate]}
        </p>
      ) : a.results.length === 0 ? (
        <p class="muted">No relay configured</p>
      ) : (
        <ul class="results">
          {a.results.map(({ relay, result }) => (
            <li key={relay}>
              <span class="relay-name">{relayLabel(relay)}</span>
              <span
                data-testid="relay-result"
                data-relay={relay}
                class={`result result-${result.state}`}
              >
                {relayResultText(result, p.now, p.hasKey)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}
