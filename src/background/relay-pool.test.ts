import { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, verifyEvent } from 'nostr-tools/pure'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createRelayPool, type RelayLink, type RelayStatus } from './relay-pool'
import { startFakeNostrRelay, type FakeNostrRelay } from './testing/fake-nostr-relay'

const sk = generateSecretKey()
const event = (n = 0): NostrEvent =>
  finalizeEvent(
    { kind: 21000, created_at: 1700000000 + n, tags: [['i', 'ab'.repeat(20)]], content: '' },
    sk,
  )

const WS = WebSocket as unknown as typeof globalThis.WebSocket
const factory = (url: string): RelayLink => {
  const r = new AbstractRelay(url, { verifyEvent, websocketImplementation: WS })
  r.publishTimeout = 300
  return r
}

const relays: FakeNostrRelay[] = []
afterEach(async () => {
  for (const r of relays.splice(0)) await r.stop()
})

async function relay(port?: number): Promise<FakeNostrRelay> {
  const r = await startFakeNostrRelay(port)
  relays.push(r)
  return r
}

const waitUntil = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(cond()).toBe(true)
}

describe('createRelayPool with nostr-tools against a real socket', () => {
  it('connects, publishes and reports OK true', async () => {
    const r = await relay()
    const changes: RelayStatus['state'][] = []
    const pool = createRelayPool({
      factory,
      now: Date.now,
      random: Math.random,
      onChange: (s) => changes.push(s.state),
    })
    expect(pool.status(r.url).state).toBe('disconnected')
    expect(await pool.connect(r.url)).toEqual({ ok: true })
    expect(pool.status(r.url).state).toBe('connected')
    expect(changes).toEqual(['connecting', 'connected'])
    r.reply = () => [true, 'stored']
    const ev = event()
    expect(await pool.publish(r.url, ev)).toEqual({ kind: 'ok', message: 'stored' })
    expect(r.received.map((e) => e.id)).toEqual([ev.id])
    pool.retain([])
  })

  it('tells a refusal from a transient failure and a timeout', async () => {
    const r = await relay()
    const pool = createRelayPool({ factory, now: Date.now, random: Math.random })
    await pool.connect(r.url)
    r.reply = () => [false, 'blocked: insufficient balance: need 2 TSEED, have 0']
    expect(await pool.publish(r.url, event(1))).toEqual({
      kind: 'refused',
      message: 'blocked: insufficient balance: need 2 TSEED, have 0',
    })
    r.reply = () => [false, 'rate-limited: slow down']
    expect(await pool.publish(r.url, event(2))).toEqual({
      kind: 'retry',
      error: 'rate-limited: slow down',
    })
    r.reply = () => undefined
    expect(await pool.publish(r.url, event(3))).toEqual({
      kind: 'retry',
      error: 'publish timed out',
    })
    pool.retain([])
  })

  it('reports a refused connection as an error and backs off', async () => {
    const r = await relay()
    const url = r.url
    await r.stop()
    relays.length = 0
    const now = 1_000_000
    const pool = createRelayPool({ factory, now: () => now, random: () => 0.5 })
    const result = await pool.connect(url)
    expect(result.ok).toBe(false)
    const status = pool.status(url)
    expect(status.state).toBe('error')
    expect(status.error).toBeTruthy()
    expect(pool.nextConnectAt(url)).toBe(now + 1000)
    await pool.connect(url)
    expect(pool.nextConnectAt(url)).toBe(now + 2000)
    pool.resetBackoff()
    expect(pool.nextConnectAt(url)).toBe(0)
    expect(await pool.publish(url, event())).toEqual({ kind: 'retry', error: 'not connected' })
  })

  it('notices a relay going away and reconnects to it on the same port', async () => {
    const r = await relay()
    const pool = createRelayPool({ factory, now: Date.now, random: Math.random })
    await pool.connect(r.url)
    await r.stop()
    relays.length = 0
    await waitUntil(() => pool.status(r.url).state === 'disconnected')
    expect(pool.status(r.url).error).toBe('connection closed')
    expect(pool.isConnected(r.url)).toBe(false)
    const back = await relay(r.port)
    expect(await pool.connect(back.url)).toEqual({ ok: true })
    expect((await pool.publish(back.url, event(9))).kind).toBe('ok')
    pool.retain([])
  })
})

/** A scripted link, for behaviour that needs no socket. */
function fakeLink(script: {
  connect?: () => Promise<void>
  publish?: (ev: NostrEvent) => Promise<string>
}) {
  const link = {
    connected: false,
    closed: 0,
    authed: 0,
    onclose: null as (() => void) | null,
    async connect() {
      await (script.connect?.() ?? Promise.resolve())
      link.connected = true
    },
    publish: (ev: NostrEvent) => script.publish?.(ev) ?? Promise.resolve(''),
    async auth(sign: (t: EventTemplate) => Promise<NostrEvent>) {
      await sign({ kind: 22242, created_at: 1, tags: [], content: '' })
      link.authed++
      return ''
    },
    close() {
      link.closed++
      link.connected = false
      link.onclose?.()
    },
  }
  return link
}

describe('createRelayPool bookkeeping', () => {
  it('shares one connection attempt between concurrent callers', async () => {
    let made = 0
    let release = (): void => undefined
    const pool = createRelayPool({
      factory: () => {
        made++
        return fakeLink({ connect: () => new Promise<void>((r) => (release = r)) })
      },
      now: () => 0,
      random: () => 0,
    })
    const a = pool.connect('ws://a')
    const b = pool.connect('ws://a')
    expect(pool.status('ws://a').state).toBe('connecting')
    release()
    expect(await Promise.all([a, b])).toEqual([{ ok: true }, { ok: true }])
    expect(made).toBe(1)
    expect(await pool.connect('ws://a')).toEqual({ ok: true })
    expect(made).toBe(1)
  })

  it('authenticates once when the relay asks for it, then publishes again', async () => {
    let calls = 0
    const link = fakeLink({
      publish: () =>
        ++calls === 1
          ? Promise.reject(new Error('auth-required: who are you'))
          : Promise.resolve(''),
    })
    const pool = createRelayPool({ factory: () => link, now: () => 0, random: () => 0 })
    await pool.connect('ws://a')
    const signed: number[] = []
    const outcome = await pool.publish('ws://a', event(), (t) => {
      signed.push(t.kind)
      return Promise.resolve(event())
    })
    expect(outcome).toEqual({ kind: 'ok', message: '' })
    expect(signed).toEqual([22242])
    expect(link.authed).toBe(1)
  })

  it('refuses with the relay message when auth is required but no signer is at hand', async () => {
    const link = fakeLink({
      publish: () => Promise.reject(new Error('auth-required: who are you')),
    })
    const pool = createRelayPool({ factory: () => link, now: () => 0, random: () => 0 })
    await pool.connect('ws://a')
    expect(await pool.publish('ws://a', event())).toEqual({
      kind: 'refused',
      message: 'auth-required: who are you',
    })
  })

  it('closes and forgets relays that are no longer configured', async () => {
    const links = new Map<string, ReturnType<typeof fakeLink>>()
    const pool = createRelayPool({
      factory: (url) => {
        const l = fakeLink({})
        links.set(url, l)
        return l
      },
      now: () => 0,
      random: () => 0,
    })
    await pool.connect('ws://a')
    await pool.connect('ws://b')
    pool.retain(['ws://b'])
    expect(links.get('ws://a')?.closed).toBe(1)
    expect(links.get('ws://b')?.closed).toBe(0)
    expect(pool.isConnected('ws://a')).toBe(false)
    expect(pool.isConnected('ws://b')).toBe(true)
  })
})
