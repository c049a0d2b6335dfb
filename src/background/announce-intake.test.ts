import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import type { TrackerAnnounce } from '../nostr/tracker-announce'
import { createAnnounceDedupe } from './announce-dedupe'
import { createAnnounceIntake } from './announce-intake'
import { createOutbox } from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'

let n = 0
const dbs: OutboxDb[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

const tracker = (over: Partial<TrackerAnnounce> = {}): TrackerAnnounce => ({
  infoHash: 'ab'.repeat(20),
  peerId: new TextEncoder().encode('-WW0001-abcdefghijkl'),
  uploaded: 1n,
  downloaded: 2n,
  left: 3n,
  port: 6881,
  ...over,
})

async function setup() {
  const db = await openOutboxDb(`intake-test-${++n}`)
  dbs.push(db)
  const outbox = createOutbox(db)
  const ignored: [string, string][] = []
  let queued = 0
  const intake = createAnnounceIntake({
    dedupe: createAnnounceDedupe({ now: () => 0 }),
    sessionSalt: () => Promise.resolve(new Uint8Array(32).fill(1)),
    outbox,
    relays: () => Promise.resolve(['ws://a']),
    reportIgnored: (host, reason) => ignored.push([host, reason]),
    onQueued: () => queued++,
    warn: () => undefined,
  })
  return { outbox, intake, ignored, queued: () => queued }
}

const observed = (announce: TrackerAnnounce) => ({
  announce,
  site: 'site.test',
  trackerHost: 'tracker.test',
  seenAt: 99,
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
})
