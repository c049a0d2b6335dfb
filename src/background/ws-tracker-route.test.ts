import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { BRIDGE_BURST, type HookAnnounce } from '../content/ws-protocol'
import { createAnnounceDedupe } from './announce-dedupe'
import { createAnnounceIntake } from './announce-intake'
import { createOutbox } from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import type { SenderLike } from './router'
import { testConsent } from './testing/consent'
import { createTrackerAnswers } from './tracker-answers'
import { createTrackerListener } from './tracker-observer'
import { createMemoryStorageArea } from './storage-item'
import { createDownloadBaselines } from './ws-download-baseline'
import { createWsTrackerRoute, type WsTrackerRouteDeps } from './ws-tracker-route'

let n = 0
const dbs: OutboxDb[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

const SITE = 'https://site.test'
const BASE = 'chrome-extension://ourid/'
const sender = (over: Partial<SenderLike> = {}): SenderLike => ({
  id: 'ourid',
  url: `${SITE}/watch`,
  frameId: 0,
  tab: { id: 3, url: `${SITE}/watch` },
  ...over,
})

const report = (over: Partial<HookAnnounce> = {}): HookAnnounce => ({
  kind: 'announce',
  tracker: 'wss://tracker.test/announce',
  infoHash: 'ab'.repeat(20),
  peer: 'cd'.repeat(32),
  uploaded: 1,
  downloaded: 0,
  left: 3,
  event: 'started',
  ...over,
})

async function setup(
  opts: {
    allow?: string[]
    tabs?: Record<number, string>
    replaceCounts?: WsTrackerRouteDeps['replaceCounts']
  } = {},
) {
  const db = await openOutboxDb(`ws-route-test-${++n}`)
  dbs.push(db)
  const outbox = createOutbox(db)
  const consent = testConsent(outbox)
  for (const origin of opts.allow ?? [SITE]) await consent.decisions.decide(origin, 'allow', 0)
  const ignored: [string, string][] = []
  let now = 1_000
  const reportIgnored = (host: string, reason: string) => ignored.push([host, reason])
  const intake = createAnnounceIntake({
    dedupe: createAnnounceDedupe({ now: () => now }),
    sessionSalt: () => Promise.resolve(new Uint8Array(32).fill(1)),
    outbox,
    gate: consent.gate,
    serial: consent.serial,
    relays: () => Promise.resolve(['ws://relay.test']),
    tabUrl: (id) => Promise.resolve(opts.tabs?.[id]),
    reportIgnored,
    now: () => now,
    onQueued: () => undefined,
    onHeld: () => undefined,
    warn: () => undefined,
  })
  const answers = createTrackerAnswers()
  const route = createWsTrackerRoute({
    runtimeId: 'ourid',
    extensionBase: BASE,
    intake,
    answers,
    baselines: createDownloadBaselines(createMemoryStorageArea()),
    reportIgnored,
    now: () => now,
    ...(opts.replaceCounts !== undefined ? { replaceCounts: opts.replaceCounts } : {}),
  })
  const http = createTrackerListener({
    extensionBase: BASE,
    now: () => now,
    onAnnounce: (o) => void intake(o),
    reportIgnored,
    warn: () => undefined,
  })
  return {
    outbox,
    consent,
    route,
    http,
    answers,
    ignored,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('createWsTrackerRoute', () => {
  it("queues an allowed site's announce like an HTTP one, with a salted session and no peer hash", async () => {
    const s = await setup()
    expect(await s.route(report(), sender())).toBeNull()
    const [e] = await s.outbox.listOpen()
    expect(e).toMatchObject({
      origin: SITE,
      site: 'site.test',
      trackerHost: 'tracker.test',
      announce: { infoHash: 'ab'.repeat(20), uploaded: 1n, downloaded: 0n, left: 3n },
    })
    expect(e?.announce.session).toMatch(/^[0-9a-f]{32}$/)
    expect(e?.announce.relay).toBeUndefined()
    const flat = JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
    expect(flat).not.toContain('cdcdcdcd')
    expect(flat).not.toContain('wss://')
  })

  it("queues a WebTorrent seed's own file as nothing downloaded, and later bytes from there", async () => {
    const s = await setup()
    await s.route(report({ downloaded: 65_536, left: 0 }), sender())
    await s.route(report({ downloaded: 65_536, left: 0, uploaded: 500, event: '' }), sender())
    await s.route(report({ downloaded: 70_000, left: 0, uploaded: 900, event: '' }), sender())
    const queued = (await s.outbox.listOpen()).map((e) => e.announce.downloaded)
    expect(queued.at(-1)).toBe(70_000n - 65_536n)
    expect(queued.every((d) => d <= 70_000n - 65_536n)).toBe(true)
  })

  it('publishes one event for the same announce sent to two trackers', async () => {
    const s = await setup()
    await s.route(report(), sender())
    await s.route(report({ tracker: 'wss://other.test' }), sender())
    expect(await s.outbox.countOpen()).toBe(1)
  })

  it("judges a frame's announce by its tab's page", async () => {
    const s = await setup()
    await s.route(report(), sender({ frameId: 4, url: 'https://player.test/embed' }))
    const [e] = await s.outbox.listOpen()
    expect(e?.origin).toBe(SITE)
  })

  it('asks first for a new site, as for HTTP announces', async () => {
    const s = await setup({ allow: [] })
    await s.route(report(), sender())
    expect(await s.outbox.countOpen()).toBe(0)
    const [h] = await s.outbox.listHeld()
    expect(h?.gate).toMatchObject({ state: 'held', reasons: [{ kind: 'new-site' }] })
  })

  it('applies one per-site switch to WebSocket and HTTP announces alike', async () => {
    const s = await setup()
    await s.consent.decisions.decide(SITE, 'block', 1)
    await s.route(report(), sender())
    s.http({
      url: `https://tracker.test/announce?info_hash=${'%AB'.repeat(20)}&peer_id=-WW0001-abcdefghijkl&port=1&uploaded=1&downloaded=0&left=3`,
      initiator: SITE,
      tabId: 3,
      frameId: 0,
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(await s.outbox.countOpen()).toBe(0)
    expect(await s.outbox.listHeld()).toEqual([])
    expect(s.ignored).toEqual([
      ['site.test', 'not published: you blocked announces from this site'],
      ['site.test', 'not published: you blocked announces from this site'],
    ])
    // Allowed again, both pass.
    await s.consent.decisions.decide(SITE, 'allow', 2)
    await s.route(report({ uploaded: 9 }), sender())
    expect(await s.outbox.countOpen()).toBe(1)
  })

  it('records what the tracker answered, under the page’s site', async () => {
    const s = await setup()
    await s.route(
      {
        kind: 'answer',
        tracker: 'ws://127.0.0.1:9000',
        infoHash: 'ab'.repeat(20),
        interval: 120,
        complete: 1,
        incomplete: 0,
      },
      sender(),
    )
    expect(s.answers.recent()).toEqual([
      {
        site: 'site.test',
        trackerHost: '127.0.0.1:9000',
        infoHash: 'ab'.repeat(20),
        interval: 120,
        complete: 1,
        incomplete: 0,
        at: 1_000,
      },
    ])
    expect(await s.outbox.countOpen()).toBe(0)
  })

  it('refuses a sender with no http(s) page, and stores nothing', async () => {
    const s = await setup()
    await expect(s.route(report(), sender({ url: 'about:blank', tab: { id: 3 } }))).rejects.toThrow(
      /not allowed/,
    )
    await expect(s.route(report(), sender({ id: 'otherid' }))).rejects.toThrow(/not allowed/)
    expect(await s.outbox.countOpen()).toBe(0)
  })

  it('logs a malformed report once per reason, by site, and stores nothing', async () => {
    const s = await setup()
    await expect(s.route({ ...report(), uploaded: -1 }, sender())).rejects.toThrow()
    await expect(s.route('announce', sender())).rejects.toThrow()
    expect(s.ignored).toEqual([
      ['site.test', 'WebSocket tracker report: uploaded must not be negative'],
      ['site.test', 'WebSocket tracker report: report must be an object'],
    ])
    expect(await s.outbox.countOpen()).toBe(0)
  })

  it('rate-limits each tab on its own', async () => {
    const s = await setup()
    const results = await Promise.allSettled(
      Array.from({ length: BRIDGE_BURST + 5 }, (_, i) =>
        s.route(report({ uploaded: i }), sender()),
      ),
    )
    const refused = results.filter((r) => r.status === 'rejected')
    expect(refused).toHaveLength(5)
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/rate-limited/)
    await expect(
      s.route(report({ uploaded: 10_000 }), sender({ tab: { id: 4, url: `${SITE}/` } })),
    ).resolves.toBeNull()
    s.advance(1_000)
    await expect(s.route(report({ uploaded: 20_000 }), sender())).resolves.toBeNull()
  })
})

describe('replace mode over WebSocket', () => {
  const counts = { interval: 120, complete: 4, incomplete: 2 }

  it("answers a replace-mode site's announce with the relays' counts, after queueing it", async () => {
    const asked: unknown[] = []
    const s = await setup({
      replaceCounts: (origin, infoHash, left, trackerHost) => {
        asked.push([origin, infoHash, left, trackerHost])
        return Promise.resolve(origin === SITE ? counts : null)
      },
    })
    expect(await s.route(report(), sender())).toEqual({ replace: counts })
    expect(asked).toEqual([[SITE, 'ab'.repeat(20), 3n, 'tracker.test']])
    expect(await s.outbox.listOpen()).toHaveLength(1)
  })

  it('answers nothing when the site is not in replace mode, or for a tracker reply', async () => {
    const s = await setup({ replaceCounts: () => Promise.resolve(null) })
    expect(await s.route(report(), sender())).toBeNull()
    const on = await setup({ replaceCounts: () => Promise.resolve(counts) })
    const reply = {
      kind: 'answer',
      tracker: 'wss://tracker.test/announce',
      infoHash: 'ab'.repeat(20),
      interval: 120,
      complete: 1,
      incomplete: 0,
    }
    expect(await on.route(reply, sender())).toBeNull()
  })

  it("answers a frame under the tab's site, and nothing when the tab's page is unknown", async () => {
    const asked: string[] = []
    const s = await setup({
      replaceCounts: (origin) => {
        asked.push(origin)
        return Promise.resolve(counts)
      },
      tabs: { 3: `${SITE}/watch` },
    })
    const frame = sender({ frameId: 2, url: 'https://frame.test/embed' })
    expect(await s.route(report(), frame)).toEqual({ replace: counts })
    const unknownTop = sender({ frameId: 2, url: 'https://frame.test/embed', tab: { id: 3 } })
    expect(await s.route(report({ uploaded: 9 }), unknownTop)).toBeNull()
    expect(asked).toEqual([SITE])
  })
})
