import { describe, expect, it } from 'vitest'
import type { NewTrackerUrlView, TrackerUrlView } from '../../background/tracker-routes'
import type { Send } from '../client'
import { flush, submitMany } from '../testing/form-events'
import { byTestId, expand, findAll, one, text } from '../testing/vnode'
import {
  createDesktopClientModel,
  DesktopClientView,
  type DesktopClientState,
  type DesktopClientViewProps,
} from './desktop-client'

const RELAY = 'wss://relay.example'
const NOW = 1_800_000_000_000
const URL_A: TrackerUrlView = {
  id: 'a'.repeat(16),
  label: 'qBittorrent',
  createdAt: 1_799_999_000,
  lastUsedAt: null,
}
const URL_B: TrackerUrlView = {
  id: 'b'.repeat(16),
  label: '',
  createdAt: 1_799_990_000,
  lastUsedAt: 1_799_999_940,
}
const FRESH: NewTrackerUrlView = {
  ...URL_A,
  announceUrl: 'https://relay.example/t/AbCdEfGhIjKlMnOpQrStUvWx/announce',
  testMode: true,
}
const STATE: DesktopClientState = {
  relay: RELAY,
  urls: [URL_A, URL_B],
  fresh: null,
  busy: false,
  error: null,
  copied: false,
}

function view(over: Partial<DesktopClientViewProps> = {}, state: Partial<DesktopClientState> = {}) {
  const calls: unknown[][] = []
  const tree = expand(
    <DesktopClientView
      state={{ ...STATE, ...state }}
      relays={[RELAY]}
      now={NOW}
      onRelay={(r) => calls.push(['relay', r])}
      onCreate={(l) => calls.push(['create', l])}
      onRevoke={(id) => calls.push(['revoke', id])}
      onCopy={() => calls.push(['copy'])}
      {...over}
    />,
  )
  return { tree, calls }
}

describe('DesktopClientView', () => {
  it('waits for a TSEED relay before offering anything', () => {
    const { tree } = view({ relays: [] })
    expect(text(tree)).toContain('Use TSEED in your desktop client')
    expect(text(one(tree, 'desktop-client-no-relay'))).toContain('a TSEED relay answers')
    expect(byTestId(tree, 'desktop-client-create')).toEqual([])
  })

  it('lists the URLs with their use, and revokes the one clicked', () => {
    const { tree, calls } = view()
    const rows = byTestId(tree, 'desktop-client-row')
    expect(rows.map((r) => r.props['data-id'])).toEqual([URL_A.id, URL_B.id])
    expect(rows.map((r) => text(r))).toEqual([
      expect.stringMatching(/^qBittorrent · made 16 min ago · not used yetRevoke$/),
      expect.stringMatching(/^Unnamed · made 2 h ago · used 1 min agoRevoke$/),
    ])
    ;(one(rows.slice(1), 'desktop-client-revoke').props.onClick as () => void)()
    expect(calls).toEqual([['revoke', URL_B.id]])
    expect(byTestId(tree, 'desktop-client-fresh')).toEqual([])
  })

  it('shows a new URL once, with copy, and says it is secret', () => {
    const { tree, calls } = view({}, { fresh: FRESH })
    expect(one(tree, 'desktop-client-url').props.value).toBe(FRESH.announceUrl)
    expect(text(one(tree, 'desktop-client-fresh'))).toContain('shown only this once')
    expect(text(one(tree, 'desktop-client-fresh'))).toContain('keep it private')
    expect(text(one(tree, 'desktop-client-test-mode'))).toBe('TEST MODE relay: play money')
    expect(text(one(tree, 'desktop-client-copy'))).toBe('Copy')
    ;(one(tree, 'desktop-client-copy').props.onClick as () => void)()
    expect(calls).toEqual([['copy']])
    expect(text(one(view({}, { fresh: FRESH, copied: true }).tree, 'desktop-client-copy'))).toBe(
      'Copied',
    )
  })

  it('creates a URL with the typed name, and disables the buttons while busy', () => {
    const { tree, calls } = view()
    const form = findAll(tree, (e) => e.type === 'form')[0]
    submitMany(form?.props.onSubmit, { label: 'seedbox' })
    expect(calls).toEqual([['create', 'seedbox']])
    const busy = view({}, { busy: true, urls: null }).tree
    expect(one(busy, 'desktop-client-create').props.disabled).toBe(true)
    expect(text(busy)).toContain('Loading your tracker URLs…')
  })

  it('shows errors, an empty list, and the steps for each client', () => {
    const { tree } = view({}, { error: 'Could not reach wss://relay.example', urls: [] })
    expect(text(one(tree, 'desktop-client-error'))).toBe('Could not reach wss://relay.example')
    expect(text(one(tree, 'desktop-client-none'))).toBe('No tracker URL on relay.example yet.')
    const steps = text(one(tree, 'desktop-client-steps'))
    for (const client of ['qBittorrent', 'Transmission', 'aria2']) expect(steps).toContain(client)
    expect(steps).toContain('/announce?auth=')
    expect(steps).toContain('make-torrent')
    expect(steps).toContain('private torrents only')
  })

  it('offers a relay choice only when there is one', () => {
    expect(byTestId(view().tree, 'desktop-client-relay')).toEqual([])
    const { tree, calls } = view({ relays: [RELAY, 'wss://other.example'] })
    ;(one(tree, 'desktop-client-relay').props.onChange as (e: unknown) => void)({
      currentTarget: { value: 'wss://other.example' },
    })
    expect(calls).toEqual([['relay', 'wss://other.example']])
  })
})

describe('createDesktopClientModel', () => {
  function setup(overrides: Record<string, (params: unknown) => Promise<unknown>> = {}) {
    const calls: [string, unknown][] = []
    const server: TrackerUrlView[] = [URL_B]
    const handlers: Record<string, (params: unknown) => Promise<unknown>> = {
      trackerUrls: () => Promise.resolve([...server]),
      createTrackerUrl: () => {
        server.push(URL_A)
        return Promise.resolve(FRESH)
      },
      revokeTrackerUrl: (p) => {
        const i = server.findIndex((u) => u.id === (p as { id: string }).id)
        if (i === -1) return Promise.reject(new Error('no active tracker credential'))
        server.splice(i, 1)
        return Promise.resolve(null)
      },
      ...overrides,
    }
    const send = ((type: string, params: unknown) => {
      calls.push([type, params])
      const h = handlers[type]
      return h === undefined ? Promise.reject(new Error(`no ${type}`)) : h(params)
    }) as unknown as Send
    const copied: string[] = []
    const states: DesktopClientState[] = []
    const model = createDesktopClientModel(
      send,
      (t) => {
        if (t === 'fail') return Promise.reject(new Error('denied'))
        copied.push(t)
        return Promise.resolve()
      },
      (s) => states.push(s),
    )
    return { model, calls, copied, states }
  }

  it('loads the chosen relay’s URLs, shows busy meanwhile', async () => {
    const { model, calls, states } = setup()
    await model.select(RELAY)
    expect(calls).toEqual([['trackerUrls', { relay: RELAY }]])
    expect(states.some((s) => s.busy && s.urls === null)).toBe(true)
    expect(model.state()).toMatchObject({ relay: RELAY, urls: [URL_B], busy: false, error: null })
  })

  it('makes a URL, keeps it to show once, copies it, and forgets it when revoked', async () => {
    const { model, calls, copied } = setup()
    await model.select(RELAY)
    await model.create('qBittorrent')
    expect(calls[1]).toEqual(['createTrackerUrl', { relay: RELAY, label: 'qBittorrent' }])
    expect(model.state()).toMatchObject({ fresh: FRESH, urls: [URL_B, URL_A] })
    await model.copyFresh()
    expect(copied).toEqual([FRESH.announceUrl])
    expect(model.state().copied).toBe(true)
    await model.revoke(URL_B.id)
    expect(model.state()).toMatchObject({ fresh: FRESH, urls: [URL_A] })
    await model.revoke(URL_A.id)
    expect(model.state()).toMatchObject({ fresh: null, urls: [] })
  })

  it('shows what went wrong and keeps the rest', async () => {
    const { model } = setup({
      createTrackerUrl: () =>
        Promise.reject(new Error('a key may hold 20 tracker credentials; revoke one first')),
    })
    await model.select(RELAY)
    await model.create('')
    expect(model.state()).toMatchObject({
      busy: false,
      error: 'a key may hold 20 tracker credentials; revoke one first',
      urls: [URL_B],
      fresh: null,
    })
    await model.revoke('c'.repeat(16))
    expect(model.state().error).toBe('no active tracker credential')
  })

  it('says so when the clipboard refuses, and forgets the fresh URL on another relay', async () => {
    const { model } = setup({
      createTrackerUrl: () => Promise.resolve({ ...FRESH, announceUrl: 'fail' }),
    })
    await model.select(RELAY)
    await model.create('x')
    await model.copyFresh()
    expect(model.state()).toMatchObject({ copied: false, error: 'Could not copy: denied' })
    await model.select('wss://other.example')
    await flush()
    expect(model.state()).toMatchObject({ relay: 'wss://other.example', fresh: null })
  })
})
