import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { NostrEvent } from 'nostr-tools/core'
import type { Filter } from 'nostr-tools/filter'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { NOSTR_CONNECT } from '../../nostr/kinds'
import { createBunkerPool, type BunkerPool, type BunkerPoolOptions } from './bunker-pool'

/** Sockets the pool opened, to check it uses the implementation it is given. */
let socketsMade = 0

/**
 * `ws` in Node emits an error that nobody can catch when AbstractRelay cuts
 * a handshake after its connection timeout; browsers only fire `onerror`.
 */
class TestWebSocket extends WebSocket {
  constructor(url: string) {
    super(url)
    socketsMade++
    this.on('error', () => undefined)
  }
}
const WS = TestWebSocket as unknown as typeof globalThis.WebSocket

/** A scripted NIP-01 relay on 127.0.0.1 that records what clients send. */
interface TestRelay {
  url: string
  /** Connections accepted so far, and those still open. */
  accepted: number
  open: number
  reqs: { subId: string; filters: unknown[] }[]
  closes: string[]
  received: NostrEvent[]
  /** The OK for an EVENT; `undefined` means no answer. */
  reply: (ev: NostrEvent) => [ok: boolean, message: string] | undefined
  send(msg: unknown[]): void
  dropConnections(): void
}

/** A server that takes TCP connections and never answers the WebSocket handshake. */
interface SilentServer {
  url: string
}

const stops: (() => Promise<void>)[] = []
const pools: BunkerPool[] = []
afterEach(async () => {
  for (const p of pools.splice(0)) p.destroy()
  for (const stop of stops.splice(0)) await stop()
})

async function startRelay(handshakeDelayMs = 0): Promise<TestRelay> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, done) => {
      setTimeout(() => {
        done(true)
      }, handshakeDelayMs)
    },
  })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  const sockets = new Set<import('ws').WebSocket>()
  const relay: TestRelay = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    accepted: 0,
    open: 0,
    reqs: [],
    closes: [],
    received: [],
    reply: () => [true, ''],
    send(msg) {
      for (const s of sockets) s.send(JSON.stringify(msg))
    },
    dropConnections() {
      for (const s of sockets) s.terminate()
    },
  }
  wss.on('connection', (ws) => {
    sockets.add(ws)
    relay.accepted++
    relay.open++
    ws.on('close', () => {
      sockets.delete(ws)
      relay.open--
    })
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as unknown[]
      if (msg[0] === 'REQ') relay.reqs.push({ subId: msg[1] as string, filters: msg.slice(2) })
      if (msg[0] === 'CLOSE') relay.closes.push(msg[1] as string)
      if (msg[0] === 'EVENT') {
        const ev = msg[1] as NostrEvent
        relay.received.push(ev)
        const answer = relay.reply(ev)
        if (answer !== undefined) ws.send(JSON.stringify(['OK', ev.id, ...answer]))
      }
    })
  })
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate()
        wss.close(() => {
          resolve()
        })
      }),
  )
  return relay
}

async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => {
          resolve()
        })
      }),
  )
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** A port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve()
    })
  })
  return `ws://127.0.0.1:${port}`
}

const pool = (extra: Partial<BunkerPoolOptions> = {}): BunkerPool => {
  const p = createBunkerPool({
    verifyEvent,
    WebSocket: WS,
    maxWaitForConnection: 2_000,
    ...extra,
  })
  pools.push(p)
  return p
}

const waitUntil = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(cond()).toBe(true)
}

const bunkerSk = generateSecretKey()
const clientPubkey = getPublicKey(generateSecretKey())
const filter: Filter = { kinds: [NOSTR_CONNECT], '#p': [clientPubkey], limit: 0 }
let serial = 0
const answer = (): NostrEvent =>
  finalizeEvent(
    {
      kind: NOSTR_CONNECT,
      created_at: Math.floor(Date.now() / 1000),
      tags: [['p', clientPubkey]],
      content: `answer ${++serial}`,
    },
    bunkerSk,
  )

/** What `onclose` reports; URLs as nostr-tools normalizes them (`ws://host:port/`). */
type Ends = { url: string; reason: string }[]

describe('createBunkerPool against relays on 127.0.0.1', () => {
  it('connects on demand, subscribes once per relay, and hands over each event once', async () => {
    const [a, b] = [await startRelay(), await startRelay()]
    const made = socketsMade
    const p = pool()
    await new Promise((r) => setTimeout(r, 50))
    expect(a.accepted + b.accepted).toBe(0)

    const events: NostrEvent[] = []
    // The same relay spelt twice is one relay.
    p.subscribe([a.url, b.url, `${a.url}/`], filter, { onevent: (ev) => events.push(ev) })
    await waitUntil(() => a.reqs.length === 1 && b.reqs.length === 1)
    expect(a.accepted).toBe(1)
    expect(socketsMade - made).toBe(2)
    expect(a.reqs[0]!.filters).toEqual([filter])

    const first = answer()
    a.send(['EVENT', a.reqs[0]!.subId, first])
    b.send(['EVENT', b.reqs[0]!.subId, first])
    const second = answer()
    b.send(['EVENT', b.reqs[0]!.subId, second])
    await waitUntil(() => events.length === 2)
    await new Promise((r) => setTimeout(r, 50))
    expect(events.map((e) => e.id)).toEqual([first.id, second.id])
  })

  it('passes only events its verifyEvent accepts, and a forged copy hides nothing', async () => {
    const a = await startRelay()
    const checked: string[] = []
    const p = pool({
      verifyEvent: (ev) => {
        checked.push(ev.id)
        return verifyEvent(ev)
      },
    })
    const events: NostrEvent[] = []
    p.subscribe([a.url], filter, { onevent: (ev) => events.push(ev) })
    await waitUntil(() => a.reqs.length === 1)
    const subId = a.reqs[0]!.subId

    const genuine = answer()
    const forged = { ...genuine, sig: genuine.sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) }
    a.send(['EVENT', subId, forged])
    a.send(['EVENT', subId, genuine])
    await waitUntil(() => events.length === 1)
    expect(events[0]!.sig).toBe(genuine.sig)
    expect(checked).toEqual([genuine.id, genuine.id])
  })

  it('remembers the last 1000 event ids, not every id of a long session', async () => {
    const a = await startRelay()
    // Signing and verifying a thousand events would take seconds; ids are what counts here.
    const p = pool({ verifyEvent: () => true })
    const events: NostrEvent[] = []
    p.subscribe([a.url], filter, { onevent: (ev) => events.push(ev) })
    await waitUntil(() => a.reqs.length === 1)
    const subId = a.reqs[0]!.subId

    const template = answer()
    const sent = Array.from({ length: 1001 }, (_, n) => ({
      ...template,
      id: n.toString(16).padStart(64, '0'),
    }))
    for (const ev of sent) a.send(['EVENT', subId, ev])
    await waitUntil(() => events.length === 1001)
    // The newest is still known; the oldest has been forgotten.
    a.send(['EVENT', subId, sent[1000]])
    a.send(['EVENT', subId, sent[0]])
    await waitUntil(() => events.length === 1002)
    await new Promise((r) => setTimeout(r, 50))
    expect(events.slice(1001).map((e) => e.id)).toEqual([sent[0]!.id])
  })

  it('calls onclose once, when the subscription has ended on every relay', async () => {
    const [a, b] = [await startRelay(), await startRelay()]
    const p = pool()
    const closes: Ends[] = []
    p.subscribe([a.url, b.url], filter, { onclose: (ends) => closes.push(ends) })
    await waitUntil(() => a.reqs.length === 1 && b.reqs.length === 1)

    a.send(['CLOSED', a.reqs[0]!.subId, 'error: shutting down'])
    await new Promise((r) => setTimeout(r, 100))
    expect(closes).toEqual([])
    b.dropConnections()
    await waitUntil(() => closes.length === 1)
    await new Promise((r) => setTimeout(r, 50))
    expect(closes).toEqual([
      [
        { url: `${a.url}/`, reason: 'error: shutting down' },
        { url: `${b.url}/`, reason: 'relay connection closed' },
      ],
    ])
  })

  it('close() ends the subscription on every relay and reports it after returning', async () => {
    const [a, b] = [await startRelay(), await startRelay()]
    const p = pool()
    const closes: Ends[] = []
    const sub = p.subscribe([a.url, b.url], filter, { onclose: (ends) => closes.push(ends) })
    await waitUntil(() => a.reqs.length === 1 && b.reqs.length === 1)

    sub.close('done')
    // BunkerSigner.fromURI counts an onclose during close() as a failed connection.
    expect(closes).toEqual([])
    await waitUntil(() => closes.length === 1)
    expect(closes[0]!.map((e) => e.reason)).toEqual(['done', 'done'])
    await waitUntil(() => a.closes.length === 1 && b.closes.length === 1)
    expect(a.closes).toEqual([a.reqs[0]!.subId])
    sub.close('again')
    await new Promise((r) => setTimeout(r, 50))
    expect(closes).toHaveLength(1)
  })

  it('an abort closes the subscription everywhere, even on a relay still connecting', async () => {
    const a = await startRelay()
    const silent = await startSilentServer()
    const p = pool({ maxWaitForConnection: 5_000 })
    const abort = new AbortController()
    const closes: Ends[] = []
    p.subscribe([a.url, silent.url], filter, {
      abort: abort.signal,
      onclose: (ends) => closes.push(ends),
    })
    await waitUntil(() => a.reqs.length === 1)

    const started = Date.now()
    abort.abort('cancelled')
    await waitUntil(() => closes.length === 1)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(closes[0]).toEqual([
      { url: `${a.url}/`, reason: 'cancelled' },
      { url: `${silent.url}/`, reason: 'cancelled' },
    ])
    await waitUntil(() => a.closes.length === 1)

    // A signal that has already fired closes a new subscription straight away.
    const late: Ends[] = []
    p.subscribe([a.url], filter, { abort: abort.signal, onclose: (ends) => late.push(ends) })
    await waitUntil(() => late.length === 1)
    expect(late[0]).toEqual([{ url: `${a.url}/`, reason: 'cancelled' }])
  })

  it('gives up on a relay that does not connect within maxWaitForConnection', async () => {
    const silent = await startSilentServer()
    const p = pool({ maxWaitForConnection: 150 })
    const closes: Ends[] = []
    let started = Date.now()
    p.subscribe([silent.url], filter, { onclose: (ends) => closes.push(ends) })
    await waitUntil(() => closes.length === 1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(closes[0]![0]!.reason).toMatch(/^cannot connect to .*: connection timed out$/)

    started = Date.now()
    const [published] = p.publish([silent.url], answer())
    await expect(published).rejects.toThrow(/cannot connect to .*: connection timed out/)
    expect(Date.now() - started).toBeLessThan(1_000)

    // As in nostr-tools' pool, a longer maxWait for the subscription allows
    // 80% of it (or all but a second) for the connection.
    started = Date.now()
    const longer: Ends[] = []
    p.subscribe([silent.url], filter, { maxWait: 1_000, onclose: (ends) => longer.push(ends) })
    await waitUntil(() => longer.length === 1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(750)
  })

  it('publishes over the connection it already has and gives each relay its own result', async () => {
    const [a, b] = [await startRelay(), await startRelay()]
    const nowhere = await closedPortUrl()
    const p = pool()
    p.subscribe([a.url], filter, {})
    await waitUntil(() => a.reqs.length === 1)

    a.reply = () => [true, 'stored']
    b.reply = () => [false, 'blocked: not allowed']
    const ev = answer()
    const results = await Promise.allSettled(p.publish([a.url, b.url, nowhere, a.url], ev))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected'])
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'stored' })
    const reasons = results
      .slice(1)
      .map((r) => ((r as PromiseRejectedResult).reason as Error).message)
    expect(reasons[0]).toBe('blocked: not allowed')
    expect(reasons[1]).toMatch(/^cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: connection failed$/)
    expect(reasons[2]).toMatch(/listed twice/)
    expect(a.accepted).toBe(1)
    expect(a.received.map((e) => e.id)).toEqual([ev.id])
    expect(await Promise.any(p.publish([nowhere, a.url], answer()))).toBe('stored')
  })

  it('opens a new connection after a relay dropped the last one', async () => {
    const a = await startRelay()
    const p = pool()
    const closes: Ends[] = []
    p.subscribe([a.url], filter, { onclose: (ends) => closes.push(ends) })
    await waitUntil(() => a.reqs.length === 1)
    a.dropConnections()
    await waitUntil(() => closes.length === 1)

    const [published] = p.publish([a.url], answer())
    await expect(published).resolves.toBe('')
    expect(a.accepted).toBe(2)
  })

  it('destroy() closes every connection and opens no new one', async () => {
    const [a, b] = [await startRelay(), await startRelay()]
    const p = pool()
    const closes: Ends[] = []
    p.subscribe([a.url, b.url], filter, { onclose: (ends) => closes.push(ends) })
    await waitUntil(() => a.open === 1 && b.open === 1 && a.reqs.length + b.reqs.length === 2)

    p.destroy()
    await waitUntil(() => a.open === 0 && b.open === 0)
    expect(closes).toHaveLength(1)

    const [published] = p.publish([a.url], answer())
    await expect(published).rejects.toThrow(/closed/)
    const after: Ends[] = []
    p.subscribe([a.url], filter, { onclose: (ends) => after.push(ends) })
    await waitUntil(() => after.length === 1)
    expect(after[0]![0]!.reason).toMatch(/closed/)
    expect(a.accepted).toBe(1)
  })

  it('destroy() during a handshake closes that connection once it is open', async () => {
    const slow = await startRelay(150)
    // Plain `ws`: had the pool cut the handshake, its error would fail the run.
    const p = pool({ WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
    const closes: Ends[] = []
    p.subscribe([slow.url], filter, { onclose: (ends) => closes.push(ends) })
    await new Promise((r) => setTimeout(r, 30))
    p.destroy()
    await waitUntil(() => closes.length === 1)
    expect(closes[0]![0]!.reason).toMatch(/closed/)
    await waitUntil(() => slow.accepted === 1 && slow.open === 0)
    expect(slow.reqs).toEqual([])
  })
})
