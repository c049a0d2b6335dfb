import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import type { TrackerAnnounce } from '../nostr/tracker-announce'
import { createAnnounceDedupe } from './announce-dedupe'
import { createAnnounceIntake, MAX_HELD_PER_SITE } from './announce-intake'
import { createOutbox } from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import { testConsent } from './testing/consent'
import type { ObservedAnnounce } from './tracker-observer'

let n = 0
const dbs: OutboxDb[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

const SITE = 'https://site.test'

const tracker = (over: Partial<TrackerAnnounce> = {}): TrackerAnnounce => ({
  infoHash: 'ab'.repeat(20),
  peerId: new TextEncoder().encode('-WW0001-abcdefghijkl'),
  uploaded: 1n,
  downloaded: 2n,
  left: 3n,
  port: 6881,
  ...over,
})

async function setup(opts: { allow?: string[]; tabs?: Record<number, string> } = {}) {
  const db = await openOutboxDb(`intake-test-${++n}`)
  dbs.push(db)
  const outbox = createOutbox(db)
  const consent = testConsent(outbox)
  for (const origin of opts.allow ?? [SITE]) await consent.decisions.decide(origin, 'allow', 0)
  const ignored: [string, string][] = []
  const held: number[] = []
  let queued = 0
  const intake = createAnnounceIntake({
    dedupe: createAnnounceDedupe({ now: () => 0 }),
    sessionSalt: () => Promise.resolve(new Uint8Array(32).fill(1)),
    outbox,
    gate: consent.gate,
    serial: consent.serial,
    relays: () => Promise.resolve(['ws://a']),
    tabUrl: (id) => Promise.resolve(opts.tabs?.[id]),
    reportIgnored: (host, reason) => ignored.push([host, reason]),
    now: () => 0,
    onQueued: () => queued++,
    onHeld: (e) => held.push(e.id),
    warn: () => undefined,
  })
  return { outbox, consent, intake, ignored, held, queued: () => queued }
}

const observed = (
  announce: TrackerAnnounce,
  over: Partial<ObservedAnnounce> = {},
): ObservedAnnounce => ({
  announce,
  origin: SITE,
  trackerHost: 'tracker.test',
  seenAt: 99,
  ...over,
})

describe('createAnnounceIntake', () => {
  it('stores the publishable form, without the raw peer_id, and asks for a drain', async () => {
    const s = await setup()
    await s.intake(observed(tracker()))
    const [e] = await s.outbox.listOpen()
    expect(e?.announce).toMatchObject({ infoHash: 'ab'.repeat(20), uploaded: 1n, port: 6881 })
    expect(e?.announce.session).toMatch(/^[0-9a-f]{32}$/)
    expect(
      JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    ).not.toContain('abcdefghijkl')
    expect(e?.results).toEqual({ 'ws://a': { state: 'pending' } })
    expect(e?.site).toBe('site.test')
    expect(e?.origin).toBe(SITE)
    expect(s.queued()).toBe(1)
  })

  it('queues two copies arriving together only once', async () => {
    const s = await setup()
    await Promise.all([s.intake(observed(tracker())), s.intake(observed(tracker()))])
    expect(await s.outbox.countOpen()).toBe(1)
  })

  it('reports an announce that cannot be published and queues nothing', async () => {
    const s = await setup()
    await s.intake(observed(tracker({ left: null })))
    expect(await s.outbox.countOpen()).toBe(0)
    expect(s.ignored).toEqual([['tracker.test', 'left is unknown; the client has no metadata yet']])
  })

  it('holds the first announce of an undecided site: stored, not queued, not signed', async () => {
    const s = await setup({ allow: [] })
    await s.intake(observed(tracker({ downloaded: 900_000_000n })))
    expect(await s.outbox.countOpen()).toBe(0)
    const [e] = await s.outbox.listHeld()
    expect(e?.gate).toMatchObject({
      state: 'held',
      estimate: { tokens: '900', bytes: '900000000', exact: true },
    })
    expect(e?.signed).toBeUndefined()
    expect(s.held).toEqual([e?.id])
    expect(s.queued()).toBe(0)
  })

  it('drops what a blocked site sends, without storing it', async () => {
    const s = await setup({ allow: [] })
    await s.consent.decisions.decide(SITE, 'block', 0)
    await s.intake(observed(tracker()))
    expect(await s.outbox.countOpen()).toBe(0)
    expect(await s.outbox.listHeld()).toEqual([])
    expect(s.ignored).toEqual([
      ['site.test', 'not published: you blocked announces from this site'],
    ])
  })

  it("judges a frame's announce by its tab's top-level page", async () => {
    const s = await setup({
      allow: ['https://top.test'],
      tabs: { 4: 'https://top.test/watch?v=1' },
    })
    await s.intake(observed(tracker(), { origin: 'https://ads.test', originFromTab: 4 }))
    const [e] = await s.outbox.listOpen()
    expect(e?.origin).toBe('https://top.test')
    // A tab that cannot be read leaves the frame's own origin, which is not allowed.
    await s.intake(
      observed(tracker({ uploaded: 2n }), { origin: 'https://ads.test', originFromTab: 5 }),
    )
    expect((await s.outbox.listHeld()).map((h) => h.origin)).toEqual(['https://ads.test'])
  })

  it('judges announces one at a time, so two together cannot both fit into a budget', async () => {
    const s = await setup()
    // 60 TSEED each on two sessions: one fits under 100, the second would not.
    await s.consent.spending.set({ dailyBudget: 100n, confirmAbove: 1000n, lineMbps: 1000 })
    await Promise.all([
      s.intake(
        observed(
          tracker({
            downloaded: 60_000_000n,
            peerId: new TextEncoder().encode('-WW0001-aaaaaaaaaaaa'),
          }),
        ),
      ),
      s.intake(
        observed(
          tracker({
            downloaded: 60_000_000n,
            peerId: new TextEncoder().encode('-WW0001-bbbbbbbbbbbb'),
          }),
        ),
      ),
    ])
    expect(await s.outbox.countOpen()).toBe(1)
    const [h] = await s.outbox.listHeld()
    expect(h?.gate).toMatchObject({
      reasons: [{ kind: 'over-budget', spent: '60', budget: '100' }],
    })
  })
})

describe('createAnnounceIntake: bounds', () => {
  it(`stores at most ${MAX_HELD_PER_SITE} held announces per site and reports the rest`, async () => {
    const s = await setup({ allow: [] })
    for (let i = 0; i < MAX_HELD_PER_SITE + 3; i++) {
      await s.intake(observed(tracker({ infoHash: i.toString(16).padStart(40, '0') })))
    }
    expect(await s.outbox.listHeld()).toHaveLength(MAX_HELD_PER_SITE)
    expect(s.ignored).toEqual([
      ['site.test', 'not published: too many announces already wait for your decision'],
      ['site.test', 'not published: too many announces already wait for your decision'],
      ['site.test', 'not published: too many announces already wait for your decision'],
    ])
    // Another site still gets its question.
    await s.intake(observed(tracker(), { origin: 'https://other.test' }))
    expect(
      (await s.outbox.listHeld()).filter((e) => e.origin === 'https://other.test'),
    ).toHaveLength(1)
  })
})
