import type { ActivityEntry } from '../../background/activity-log'
import { formatAge } from '../format'

/** The one error line: the last thing that went wrong, in words. */
export function ErrorBanner(p: { message: string | null }) {
  if (p.message === null) return null
  return (
    <p class="error" role="alert" data-testid="error">
      {p.message}
    </p>
  )
}

/** Firefox only: without the host permission no tracker request is visible. */
export function HostPermissionNotice(p: { onGrant: () => void }) {
  return (
    <section class="card warning" data-testid="host-permission">
      <p>
        TSEED needs access to http and https sites to see the tracker announces of web torrent
        clients.
      </p>
      <button type="button" data-testid="grant-host-permission" onClick={p.onGrant}>
        Allow access to sites
      </button>
    </section>
  )
}

/** Shown in the tab opened on install: what gets published, and why a dedicated key. */
export function Welcome() {
  return (
    <section class="card welcome" data-testid="welcome">
      <h2>Welcome to TSEED</h2>
      <p>
        When a web torrent client in one of your tabs announces to a tracker, TSEED signs a Nostr
        event (kind 21000) with your seeding key and publishes it to your TSEED relays. The relay
        uses it to charge downloads and pay uploads.
      </p>
      <p>
        That event is public. It says “this key is in this swarm”: the torrent's info hash and how
        much was uploaded and downloaded. It never contains the tracker URL, a passkey, your peer id
        or your IP address.
      </p>
      <p>
        <strong>Use a dedicated seeding key</strong>, not your social Nostr identity, so your
        torrents are not linked to your name. Generate one below.
      </p>
    </section>
  )
}

/** Announces that were seen but not published, e.g. malformed ones, and replace-mode failures. */
export function ActivitySection(p: { entries: ActivityEntry[]; now: number }) {
  if (p.entries.length === 0) return null
  const replace = p.entries.some((e) => e.kind === 'replace')
  return (
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">
        {replace ? 'Ignored announces and replace-mode errors' : 'Ignored announces'}
      </h2>
      <ul class="list">
        {p.entries.map((e, i) => (
          <li key={`${e.at}-${i}`} class="muted" data-testid="activity-entry">
            {e.host}: {e.reason} · {formatAge(e.at, p.now)}
          </li>
        ))}
      </ul>
    </section>
  )
}
