import { useEffect, useMemo, useState } from 'preact/hooks'
import type { NewTrackerUrlView, TrackerUrlView } from '../../background/tracker-routes'
import type { Send } from '../client'
import { formatAge, relayLabel } from '../format'
import { formValue } from './form'
import { RelaySelect } from './relay-select'

/** What the panel shows; the model below keeps it and the view renders it. */
export interface DesktopClientState {
  relay: string
  /** null while loading, or when the relay could not be asked. */
  urls: TrackerUrlView[] | null
  /** The URL just made: its secret is shown this once, until the popup closes. */
  fresh: NewTrackerUrlView | null
  busy: boolean
  error: string | null
  copied: boolean
}

/**
 * The panel's state and actions, without a DOM: each action calls the
 * background and hands the new state to `onChange`. The component binds it
 * to preact state; the tests drive it with a fake `send`.
 */
export function createDesktopClientModel(
  send: Send,
  copy: (text: string) => Promise<void>,
  onChange: (s: DesktopClientState) => void,
) {
  let s: DesktopClientState = {
    relay: '',
    urls: null,
    fresh: null,
    busy: false,
    error: null,
    copied: false,
  }
  const set = (patch: Partial<DesktopClientState>): void => {
    s = { ...s, ...patch }
    onChange(s)
  }
  const run = async (action: () => Promise<Partial<DesktopClientState>>): Promise<void> => {
    set({ busy: true, error: null })
    try {
      set({ ...(await action()), busy: false })
    } catch (e) {
      set({ busy: false, error: (e as Error).message })
    }
  }
  const list = async (): Promise<Partial<DesktopClientState>> => ({
    urls: await send('trackerUrls', { relay: s.relay }),
  })
  return {
    state: (): DesktopClientState => s,
    /** Shows another relay's URLs; a URL made on the previous one is no longer shown. */
    select(relay: string): Promise<void> {
      set({ relay, urls: null, fresh: null, copied: false })
      return relay === '' ? Promise.resolve() : run(list)
    },
    create(label: string): Promise<void> {
      return run(async () => {
        const fresh = await send('createTrackerUrl', { relay: s.relay, label })
        return { fresh, copied: false, ...(await list()) }
      })
    },
    revoke(id: string): Promise<void> {
      return run(async () => {
        await send('revokeTrackerUrl', { relay: s.relay, id })
        return { ...(s.fresh?.id === id ? { fresh: null } : {}), ...(await list()) }
      })
    },
    copyFresh(): Promise<void> {
      const url = s.fresh?.announceUrl
      if (url === undefined) return Promise.resolve()
      return copy(url).then(
        () => {
          set({ copied: true })
        },
        (e: unknown) => {
          set({ error: `Could not copy: ${(e as Error).message}` })
        },
      )
    },
  }
}

export type DesktopClientModel = ReturnType<typeof createDesktopClientModel>

export interface DesktopClientProps {
  send: Send
  /** The TSEED relays that answered; a URL is made on one of them. */
  relays: string[]
  now: number
  copy?: (text: string) => Promise<void>
}

/** "Use TSEED in your desktop client": the Settings panel for personal tracker URLs. */
export function DesktopClientPanel(p: DesktopClientProps) {
  const [state, setState] = useState<DesktopClientState | null>(null)
  const model = useMemo(
    () =>
      createDesktopClientModel(
        p.send,
        p.copy ?? ((text) => navigator.clipboard.writeText(text)),
        setState,
      ),
    [p.send, p.copy],
  )
  const first = p.relays[0] ?? ''
  // Follows the relay list: the first TSEED relay until the user picks another that still answers.
  const current = state?.relay ?? ''
  const relay = p.relays.includes(current) ? current : first
  useEffect(() => {
    if (relay !== current || state === null) void model.select(relay)
  }, [model, relay, current, state])
  return (
    <DesktopClientView
      state={state ?? model.state()}
      relays={p.relays}
      now={p.now}
      onRelay={(r) => void model.select(r)}
      onCreate={(label) => void model.create(label)}
      onRevoke={(id) => void model.revoke(id)}
      onCopy={() => void model.copyFresh()}
    />
  )
}

export interface DesktopClientViewProps {
  state: DesktopClientState
  relays: string[]
  now: number
  onRelay: (relay: string) => void
  onCreate: (label: string) => void
  onRevoke: (id: string) => void
  onCopy: () => void
}

/** The panel itself, hook-free so it renders from props alone. */
export function DesktopClientView(p: DesktopClientViewProps) {
  const s = p.state
  return (
    <section class="card" aria-labelledby="desktop-client-title" data-testid="desktop-client">
      <h2 id="desktop-client-title">Use TSEED in your desktop client</h2>
      <p class="muted">
        qBittorrent, Transmission and aria2 can announce to your TSEED relay as a tracker: downloads
        are charged to this key and uploads paid to it, as for the browser.
      </p>
      {p.relays.length === 0 ? (
        <p class="muted" data-testid="desktop-client-no-relay">
          Shown once you have a key and a TSEED relay answers.
        </p>
      ) : (
        <>
          <RelaySelect
            relays={p.relays}
            relay={s.relay}
            testId="desktop-client-relay"
            onRelay={p.onRelay}
          />
          {s.fresh === null ? null : <FreshUrl url={s.fresh} copied={s.copied} onCopy={p.onCopy} />}
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault()
              p.onCreate(formValue(e.currentTarget, 'label'))
            }}
          >
            <input
              name="label"
              placeholder="Name, e.g. laptop"
              aria-label="Name of the new tracker URL"
              autocomplete="off"
              maxLength={64}
              data-testid="desktop-client-label"
            />
            <button type="submit" disabled={s.busy} data-testid="desktop-client-create">
              Create tracker URL
            </button>
          </form>
          {s.error === null ? null : (
            <p class="error" role="alert" data-testid="desktop-client-error">
              {s.error}
            </p>
          )}
          <UrlList urls={s.urls} busy={s.busy} now={p.now} relay={s.relay} onRevoke={p.onRevoke} />
          <Steps />
        </>
      )}
    </section>
  )
}

function FreshUrl(p: { url: NewTrackerUrlView; copied: boolean; onCopy: () => void }) {
  return (
    <div class="stack" data-testid="desktop-client-fresh">
      <p>
        Your tracker URL{p.url.label === '' ? '' : ` “${p.url.label}”`}. Copy it now: it is shown
        only this once. Anyone who has it can download on your balance, so keep it private.
      </p>
      <textarea
        class="invoice"
        readOnly
        rows={3}
        value={p.url.announceUrl}
        aria-label="Your tracker URL"
        data-testid="desktop-client-url"
      />
      <div class="row">
        <button type="button" onClick={p.onCopy} data-testid="desktop-client-copy">
          {p.copied ? 'Copied' : 'Copy'}
        </button>
        {p.url.testMode ? (
          <span class="muted" data-testid="desktop-client-test-mode">
            TEST MODE relay: play money
          </span>
        ) : null}
      </div>
    </div>
  )
}

function UrlList(p: {
  urls: TrackerUrlView[] | null
  busy: boolean
  now: number
  relay: string
  onRevoke: (id: string) => void
}) {
  if (p.urls === null) {
    return <p class="muted">{p.busy ? 'Loading your tracker URLs…' : ''}</p>
  }
  if (p.urls.length === 0) {
    return (
      <p class="muted" data-testid="desktop-client-none">
        No tracker URL on {relayLabel(p.relay)} yet.
      </p>
    )
  }
  return (
    <ul class="list" aria-label="Your tracker URLs">
      {p.urls.map((u) => (
        <li key={u.id} class="row" data-testid="desktop-client-row" data-id={u.id}>
          <span>
            {u.label === '' ? 'Unnamed' : u.label}
            <span class="muted">
              {' '}
              · made {formatAge(u.createdAt * 1000, p.now)}
              {u.lastUsedAt === null
                ? ' · not used yet'
                : ` · used ${formatAge(u.lastUsedAt * 1000, p.now)}`}
            </span>
          </span>
          <button
            type="button"
            class="secondary small"
            disabled={p.busy}
            aria-label={`Revoke ${u.label === '' ? 'this tracker URL' : u.label}`}
            onClick={() => {
              p.onRevoke(u.id)
            }}
            data-testid="desktop-client-revoke"
          >
            Revoke
          </button>
        </li>
      ))}
    </ul>
  )
}

/** Where the URL goes in each client. Torrents must be private (BEP 27), or DHT and PEX bypass it. */
function Steps() {
  return (
    <details class="replace" data-testid="desktop-client-steps">
      <summary>How to use it</summary>
      <ol>
        <li>
          <strong>qBittorrent:</strong> right-click the torrent, Edit trackers, and replace the
          trackers with your URL. If the relay runs on this computer, use its{' '}
          <code>/announce?auth=…</code> form: qBittorrent refuses other local tracker paths.
        </li>
        <li>
          <strong>Transmission:</strong> open the torrent’s Properties, Trackers tab, and replace
          the trackers with your URL (or <code>transmission-remote -t ID --tracker-add URL</code>).
        </li>
        <li>
          <strong>aria2:</strong>{' '}
          <code>aria2c --bt-exclude-tracker='*' --bt-tracker=URL file.torrent</code>.
        </li>
        <li>
          Share and download private torrents only: in a public one, DHT and peer exchange find
          peers around the tracker and those bytes are never paid for. Make one with{' '}
          <code>npm run relay -- make-torrent FILE --credential URL</code>.
        </li>
      </ol>
    </details>
  )
}
