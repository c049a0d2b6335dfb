import type { TrackerAnswerEntry } from '../../background/tracker-answers'
import { formatAge, shortHash } from '../format'

/**
 * What the WebSocket trackers of web torrent pages said about their swarms:
 * the tracker's own count, next to which the relays' answers above can be
 * read. Nothing shows until a web torrent page has announced.
 */
export function TrackerAnswersSection(p: { answers: TrackerAnswerEntry[]; now: number }) {
  if (p.answers.length === 0) return null
  return (
    <section class="card" aria-labelledby="tracker-answers-title">
      <h2 id="tracker-answers-title">What web torrent trackers answered</h2>
      <ul class="list">
        {p.answers.map((a) => (
          <li
            key={`${a.site} ${a.infoHash} ${a.trackerHost}`}
            data-testid="tracker-answer"
            data-info-hash={a.infoHash}
          >
            <code title={a.infoHash}>{shortHash(a.infoHash)}</code> on {a.site}: {a.complete ?? '?'}{' '}
            seeding, {a.incomplete ?? '?'} downloading
            <span class="muted">
              {' '}
              · {a.trackerHost}
              {a.interval !== undefined ? ` · announces every ${a.interval} s` : ''} ·{' '}
              {formatAge(a.at, p.now)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
