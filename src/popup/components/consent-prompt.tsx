import type { HeldChoice } from '../../background/consent/held-announces'
import { describeCost, describeHoldReason } from '../../background/consent/hold-text'
import type { HeldView } from '../../background/messages'
import { formatAge, formatBytes } from '../format'

export interface ConsentPromptProps {
  held: HeldView[]
  now: number
  onDecide: (id: number, choice: HeldChoice) => void
}

/**
 * The question a held announce asks, first thing in the popup: which site,
 * which torrent, what was announced, what publishing it would cost, and why
 * it was not published on its own. One announce at a time, oldest first.
 */
export function ConsentPrompt(p: ConsentPromptProps) {
  const h = p.held[0]
  if (h === undefined) return null
  const others = p.held.length - 1
  const reasons = h.reasons.filter((r) => r.kind !== 'new-site')
  const decide = (choice: HeldChoice) => () => {
    p.onDecide(h.id, choice)
  }
  return (
    <section
      class="card prompt"
      aria-labelledby="prompt-title"
      data-testid="consent-prompt"
      data-held-id={h.id}
      data-origin={h.origin}
    >
      <h2 id="prompt-title">
        {h.siteAllowed ? (
          <>
            Confirm this announce from <span data-testid="prompt-site">{h.site}</span>
          </>
        ) : (
          <>
            Allow <span data-testid="prompt-site">{h.site}</span> to use your TSEED?
          </>
        )}
      </h2>
      <p class="prompt-cost">
        Publishing it costs{' '}
        <strong data-testid="prompt-cost" data-tokens={h.estimate.tokens}>
          {describeCost(h.estimate)}
        </strong>
        {h.estimate.exact ? '' : ' (a relay did not answer, so its default price is assumed)'}.
      </p>
      <p class="muted">
        A page on this site announced a torrent to its tracker. TSEED signs announces with your key
        and publishes them only when you agree: a page can make such a request without you.
      </p>
      <dl class="facts">
        <dt>Torrent</dt>
        <dd>
          <code data-testid="prompt-info-hash" title="info hash">
            {h.infoHash}
          </code>
        </dd>
        <dt>Announced</dt>
        <dd data-testid="prompt-counters">
          {h.event !== undefined ? `${h.event}, ` : ''}↓ {formatBytes(h.downloaded)} downloaded, ↑{' '}
          {formatBytes(h.uploaded)} uploaded, {formatBytes(h.left)} left ·{' '}
          {formatAge(h.seenAt, p.now)}
        </dd>
        <dt>Charged for</dt>
        <dd>{formatBytes(h.estimate.bytes)} downloaded since the last published announce</dd>
      </dl>
      {reasons.length > 0 ? (
        <ul class="reasons" data-testid="prompt-reasons">
          {reasons.map((r) => (
            <li key={r.kind} data-reason={r.kind}>
              {describeHoldReason(r)}
            </li>
          ))}
        </ul>
      ) : null}
      <div class="actions">
        {h.siteAllowed ? (
          <>
            <button type="button" data-testid="prompt-allow-once" onClick={decide('allow-once')}>
              Publish this announce
            </button>
            <button
              type="button"
              class="secondary"
              data-testid="prompt-decline"
              onClick={decide('decline')}
            >
              Don't publish
            </button>
            <button
              type="button"
              class="danger"
              data-testid="prompt-block"
              onClick={decide('block-site')}
            >
              Block this site
            </button>
          </>
        ) : (
          <>
            <button type="button" data-testid="prompt-allow-site" onClick={decide('allow-site')}>
              Allow this site
            </button>
            <button
              type="button"
              class="secondary"
              data-testid="prompt-allow-once"
              onClick={decide('allow-once')}
            >
              Allow once
            </button>
            <button
              type="button"
              class="danger"
              data-testid="prompt-block"
              onClick={decide('block-site')}
            >
              Block this site
            </button>
          </>
        )}
      </div>
      {others > 0 ? (
        <p class="muted" data-testid="prompt-more">
          {others} more announce{others === 1 ? '' : 's'} waiting after this one.
        </p>
      ) : null}
    </section>
  )
}
