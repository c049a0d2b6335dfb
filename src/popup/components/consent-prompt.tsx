import type { HeldChoice } from '../../background/consent/held-announces'
import { describeCost, describeHoldReason } from '../../background/consent/hold-text'
import type { HeldView } from '../../background/messages'
import { formatAge, formatBytes } from '../format'

export interface ConsentPromptProps {
  held: HeldView[]
  now: number
  onDecide: (id: number, choice: HeldChoice) => void
}

interface Answer {
  choice: HeldChoice
  label: string
  testId: string
  /** The first answer is the main action; the others are outlined. */
  style?: 'secondary' | 'danger'
}

const BLOCK: Answer = {
  choice: 'block-site',
  label: 'Block this site',
  testId: 'prompt-block',
  style: 'danger',
}

/** A site not decided yet: the question is the site itself. */
const NEW_SITE_ANSWERS: readonly Answer[] = [
  { choice: 'allow-site', label: 'Allow this site', testId: 'prompt-allow-site' },
  { choice: 'allow-once', label: 'Allow once', testId: 'prompt-allow-once', style: 'secondary' },
  BLOCK,
]

/** An allowed site past its budget or plausibility: the question is this one announce. */
const ALLOWED_SITE_ANSWERS: readonly Answer[] = [
  { choice: 'allow-once', label: 'Publish this announce', testId: 'prompt-allow-once' },
  { choice: 'decline', label: "Don't publish", testId: 'prompt-decline', style: 'secondary' },
  BLOCK,
]

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
        {(h.siteAllowed ? ALLOWED_SITE_ANSWERS : NEW_SITE_ANSWERS).map((a) => (
          <button
            key={a.testId}
            type="button"
            class={a.style}
            data-testid={a.testId}
            onClick={() => {
              p.onDecide(h.id, a.choice)
            }}
          >
            {a.label}
          </button>
        ))}
      </div>
      {others > 0 ? (
        <p class="muted" data-testid="prompt-more">
          {others} more announce{others === 1 ? '' : 's'} waiting after this one.
        </p>
      ) : null}
    </section>
  )
}
