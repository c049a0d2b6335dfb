import 'fake-indexeddb/auto'
import { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/core'
import { getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Kind21000Announce } from '../nostr/kind21000'
import { createOutbox, type Outbox } from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import type { PublishOutcome } from './publish-outcome'
import { createPublisher, RESIGN_AFTER_MS, type PublisherDeps } from './publisher'
import { createRelayPool, type RelayPool } from './relay-pool'
import { createLocalKeySigner } from './signer/local-key'
import type { Signer } from './signer/signer'
import { createVerifyingSigner } from './signer/verifying-signer'
import { startFakeNostrRelay, type FakeNostrRelay } from './testing/fake-nostr-relay'

const A = 'ws://relay-a.test'
const B = 'ws://relay-b.test'
const sk = new Uint8Array(32).fill(5)
const signer: Signer = createVerifyingSigner(createLocalKeySigner(sk), getPublicKey(sk))

let n = 0
const dbs: OutboxDb[] = []
const servers: FakeNostrRelay[] = []
afterEach(async () => {
  for (const db of dbs.splice(0)) db.close()
  for (const s of servers.splice(0)) await s.stop()
})

async function outbox(): Promise<Outbox> {
  const db = await openOutboxDb(`publisher-test-${++n}`)
  dbs.push(db)
  return createOutbox(db)
}

function announce(i: number, over: Partial<Kind21000Announce> = {}): Kind21000Announce {
  return {
    infoHash: i.toString(16).padStart(2, '0').repeat(20),
    uploaded: BigInt(i),
    downloaded: 0n,
    left: 10n,
    session: 'ab'.repeat(16),
    ...over,
  }
}

const entry = (i: number, seenAt = 0) => ({
  announce: announce(i),
  site: 'site.test',
  origin: 'http://site.test',
  trackerHost: 'tracker.test',
  seenAt,
})

/** A pool whose relays are up or down and answer as the test says. */
function scriptedPool() {
  const up = new Set<string>()
  const connected = new Set<string>()
  const published: { url: string; event: NostrEvent }[] = []
  const connectAttempts: string[] = []
  const nextAt = new Map<string, number>()
  let answer: (url: string, ev: NostrEvent) => PublishOutcome = () => ({ kind: 'ok', message: '' })
  const pool: RelayPool = {
    status: (url) => ({ url, state: connected.has(url) ? 'connected' : 'disconnected', since: 0 }),
    isConnected: (url) => connected.has(url),
    nextConnectAt: (url) => nextAt.get(url) ?? 0,
    connect(url) {
      connectAttempts.push(url)
      if (up.has(url)) {
        connected.add(url)
        return Promise.resolve({ ok: true })
      }
      nextAt.set(url, clock.now + 1_000)
      return Promise.resolve({ ok: false, error: 'connection failed' })
    },
    publish(url, event) {
      if (!connected.has(url)) return Promise.resolve({ kind: 'retry', error: 'not connected' })
      published.push({ url, event })
      return Promise.resolve(answer(url, event))
    },
    retain: () => undefined,
    resetBackoff: () => {
      nextAt.clear()
    },
  }
  return {
    pool,
    up,
    connected,
    published,
    connectAttempts,
    setAnswer: (f: typeof answer) => {
      answer = f
    },
  }
}

const clock = { now: 1_700_000_000_000 }

function deps(
  over: Partial<PublisherDeps> & Pick<PublisherDeps, 'outbox' | 'pool'>,
): PublisherDeps {
  return {
    relays: () => Promise.resolve([A]),
    signer: () => signer,
    now: () => clock.now,
    random: () => 0.5,
    warn: () => undefined,
    ...over,
  }
}

describe('createPublisher', () => {
  it('waits for a key, then signs and publishes what was queued', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    let key: Signer | null = null
    const pub = createPublisher(deps({ outbox: ob, pool: p.pool, signer: () => key }))
    const { id } = await ob.add(entry(1), [A])
    expect(await pub.drain()).toEqual({ nextWakeAt: null, waitingForKey: true })
    expect(p.published).toEqual([])
    expect((await ob.get(id))?.results[A]).toEqual({ state: 'pending' })

    key = signer
    expect(await pub.drain()).toEqual({ nextWakeAt: null, waitingForKey: false })
    const [sent] = p.published
    expect(sent?.event.pubkey).toBe(getPublicKey(sk))
    expect(sent?.event.created_at).toBe(Math.floor(clock.now / 1000))
    expect(verifyEvent(JSON.parse(JSON.stringify(sent?.event)) as NostrEvent)).toBe(true)
    expect(sent?.event.tags).toContainEqual(['uploaded', '1'])
    const stored = await ob.get(id)
    expect(stored?.results[A]).toEqual({
      state: 'ok',
      message: '',
      eventId: sent?.event.id,
      at: clock.now,
    })
    expect(stored?.signed?.event.id).toBe(sent?.event.id)
    expect(await ob.countOpen()).toBe(0)
  })

  it('records a refusal with its message and does not retry it', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    p.setAnswer(() => ({ kind: 'refused', message: 'invalid: bad tag' }))
    const pub = createPublisher(deps({ outbox: ob, pool: p.pool }))
    const { id } = await ob.add(entry(1), [A])
    await pub.drain()
    await pub.drain(true)
    expect(p.published).toHaveLength(1)
    expect((await ob.get(id))?.results[A]).toMatchObject({
      state: 'refused',
      message: 'invalid: bad tag',
    })
  })

  it('backs off while a relay is down and sends everything as soon as it is back', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    const pub = createPublisher(deps({ outbox: ob, pool: p.pool }))
    const ids = [(await ob.add(entry(1), [A])).id, (await ob.add(entry(2), [A])).id]
    const first = await pub.drain()
    const r = (await ob.get(ids[0]!))?.results[A]
    expect(r).toEqual({
      state: 'retry',
      error: 'connection failed',
      attempts: 1,
      nextAttemptAt: clock.now + 2_000,
    })
    // The connection probe (1 s) comes before the announce's own retry (2 s).
    expect(first.nextWakeAt).toBe(clock.now + 1_000)

    // Before the probe time, nothing is tried.
    clock.now += 500
    await pub.drain()
    expect(p.connectAttempts).toEqual([A])

    // The relay is back; the probe finds it and sends both, though their 2 s are not up.
    p.up.add(A)
    clock.now += 600
    expect(await pub.drain()).toEqual({ nextWakeAt: null, waitingForKey: false })
    expect(p.published.map((x) => x.event.tags[1])).toEqual([
      ['uploaded', '1'],
      ['uploaded', '2'],
    ])
  })

  it('grows the backoff on repeated transient refusals and retries with the same event', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    p.setAnswer(() => ({ kind: 'retry', error: 'rate-limited: slow down' }))
    const pub = createPublisher(deps({ outbox: ob, pool: p.pool }))
    const { id } = await ob.add(entry(1), [A])
    await pub.drain()
    clock.now += 2_000
    const second = await pub.drain()
    expect((await ob.get(id))?.results[A]).toMatchObject({ state: 'retry', attempts: 2 })
    expect(second.nextWakeAt).toBe(clock.now + 4_000)
    expect(p.published).toHaveLength(2)
    expect(p.published[0]?.event.id).toBe(p.published[1]?.event.id)

    // Much later the kept event is stale for an ephemeral kind: it is signed again.
    clock.now += RESIGN_AFTER_MS + 1
    p.setAnswer(() => ({ kind: 'ok', message: '' }))
    await pub.drain()
    const third = p.published[2]?.event
    expect(third?.id).not.toBe(p.published[0]?.event.id)
    expect(third?.created_at).toBe(Math.floor(clock.now / 1000))
    expect((await ob.get(id))?.results[A]).toMatchObject({ state: 'ok', eventId: third?.id })
  })

  it('signs once for all relays and records each answer', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    p.up.add(B)
    p.setAnswer((url) =>
      url === A
        ? { kind: 'ok', message: '' }
        : { kind: 'refused', message: 'blocked: insufficient balance: need 1 TSEED, have 0' },
    )
    const pub = createPublisher(
      deps({ outbox: ob, pool: p.pool, relays: () => Promise.resolve([A, B]) }),
    )
    const { id } = await ob.add(entry(1), [A, B])
    await pub.drain()
    expect(new Set(p.published.map((x) => x.event.id)).size).toBe(1)
    const results = (await ob.get(id))?.results
    expect(results?.[A]?.state).toBe('ok')
    expect(results?.[B]).toMatchObject({
      state: 'refused',
      message: expect.stringContaining('insufficient') as unknown,
    })
  })

  it('gives two announces of one session signed in the same second different timestamps', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    const pub = createPublisher(deps({ outbox: ob, pool: p.pool }))
    await ob.add(entry(1), [A])
    await pub.drain()
    await ob.add({ ...entry(1), announce: announce(1, { event: 'stopped' }) }, [A])
    await pub.drain()
    const [first, second] = p.published.map((x) => x.event)
    expect(second?.tags).toContainEqual(['event', 'stopped'])
    expect(first?.created_at).toBe(Math.floor(clock.now / 1000))
    expect(second?.created_at).toBe(Math.floor(clock.now / 1000) + 1)
  })

  it('follows relay list changes for announces still in the queue', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    let relays = [A]
    const pub = createPublisher(
      deps({ outbox: ob, pool: p.pool, relays: () => Promise.resolve(relays) }),
    )
    const { id } = await ob.add(entry(1), [A])
    await pub.drain()
    p.up.add(B)
    relays = [B]
    await pub.drain()
    const results = (await ob.get(id))?.results
    expect(Object.keys(results ?? {})).toEqual([B])
    expect(results?.[B]?.state).toBe('ok')
  })

  it('publishes announces queued before any relay was configured once one is', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    let relays: string[] = []
    const pub = createPublisher(
      deps({ outbox: ob, pool: p.pool, relays: () => Promise.resolve(relays) }),
    )
    const { id } = await ob.add(entry(1), [])
    expect((await pub.drain()).nextWakeAt).toBeNull()
    relays = [A]
    await pub.drain()
    expect((await ob.get(id))?.results[A]?.state).toBe('ok')
  })

  it('signs again when the key changed since the event was signed', async () => {
    const ob = await outbox()
    const p = scriptedPool()
    p.up.add(A)
    p.setAnswer(() => ({ kind: 'retry', error: 'error: try later' }))
    let current = signer
    const pub = createPublisher(deps({ outbox: ob, pool: p.pool, signer: () => current }))
    await ob.add(entry(1), [A])
    await pub.drain()
    const other = new Uint8Array(32).fill(6)
    current = createVerifyingSigner(createLocalKeySigner(other), getPublicKey(other))
    await pub.drain(true)
    expect(p.published.map((x) => x.event.pubkey)).toEqual([getPublicKey(sk), getPublicKey(other)])
  })
})

describe('createPublisher with nostr-tools and a relay that restarts', () => {
  it('delivers every announce queued while the relay was down once it is back on the same port', async () => {
    const first = await startFakeNostrRelay()
    const port = first.port
    const url = first.url
    await first.stop()
    const ob = await outbox()
    const pool = createRelayPool({
      factory: (u) =>
        new AbstractRelay(u, {
          verifyEvent,
          websocketImplementation: WebSocket as unknown as typeof globalThis.WebSocket,
        }),
      now: () => clock.now,
      random: () => 0.5,
    })
    const pub = createPublisher(deps({ outbox: ob, pool, relays: () => Promise.resolve([url]) }))
    for (let i = 1; i <= 3; i++) await ob.add(entry(i), [url])
    const down = await pub.drain()
    expect(pool.status(url).state).toBe('error')
    expect((await ob.listOpen()).map((e) => e.results[url]?.state)).toEqual([
      'retry',
      'retry',
      'retry',
    ])

    const relay = await startFakeNostrRelay(port)
    servers.push(relay)
    clock.now = down.nextWakeAt ?? clock.now
    expect(await pub.drain()).toEqual({ nextWakeAt: null, waitingForKey: false })
    expect(relay.received.map((e) => e.tags.find((t) => t[0] === 'uploaded')?.[1])).toEqual([
      '1',
      '2',
      '3',
    ])
    expect(await ob.countOpen()).toBe(0)
    expect(pool.status(url).state).toBe('connected')
    pool.retain([])
  })
})
