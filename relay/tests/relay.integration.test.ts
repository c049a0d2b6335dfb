import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/core'
import { fetchRelayInformation, useFetchImplementation } from 'nostr-tools/nip11'
import { Relay as NostrRelay, useWebSocketImplementation } from 'nostr-tools/relay'
import { WebSocket } from 'ws'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Filter } from '../src/core/filters'
import { MemoryAnnounceStore } from '../src/store/memory-store'
import { startRelay, type RunningRelay, type StartRelayOptions } from '../src/transport/start-relay'
import { HASH_A, HASH_B, newKey, SESSION_2, signAnnounce, signEvent } from './fixtures'
import { isNotice, isOk, RawClient } from './ws-client'

const running: RunningRelay[] = []
const clients: { close(): void }[] = []
const dirs: string[] = []
const silent = { warn: () => undefined, error: () => undefined }
const now = () => Math.floor(Date.now() / 1000)

beforeAll(() => {
  useWebSocketImplementation(WebSocket)
  useFetchImplementation(fetch)
})

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await Promise.all(running.splice(0).map((r) => r.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function start(opts: StartRelayOptions = {}): Promise<RunningRelay> {
  const r = await startRelay({ port: 0, logger: silent, ...opts })
  running.push(r)
  return r
}

async function connect(url: string): Promise<NostrRelay> {
  const r = await NostrRelay.connect(url)
  clients.push(r)
  return r
}

async function raw(url: string, opts?: { autoPong?: boolean }): Promise<RawClient> {
  const c = await RawClient.connect(url, opts)
  clients.push(c)
  return c
}

/** Runs a one-shot REQ and collects the stored events up to EOSE, as plain objects. */
function fetchSwarm(relay: NostrRelay, infoHash: string): Promise<NostrEvent[]> {
  return new Promise((resolve) => {
    const events: NostrEvent[] = []
    const sub = relay.subscribe([{ kinds: [21000], '#i': [infoHash] }], {
      onevent: (ev) => events.push(JSON.parse(JSON.stringify(ev)) as NostrEvent),
      oneose: () => {
        sub.close()
        resolve(events)
      },
    })
  })
}

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-relay-'))
  dirs.push(dir)
  return join(dir, 'data', 'relay.sqlite')
}

describe('relay over WebSocket (nostr-tools client)', () => {
  it('accepts a signed announce and returns it for #i', async () => {
    const { url } = await start()
    const relay = await connect(url)
    const ev = signAnnounce(newKey().sk, now(), { uploaded: 1_048_576n, port: 6881 })
    await expect(relay.publish(ev)).resolves.toBe('')
    expect(await fetchSwarm(relay, HASH_A)).toEqual([ev])
    expect(await fetchSwarm(relay, HASH_B)).toEqual([])
  })

  it('delivers a new announce to a live subscription', async () => {
    const { url } = await start()
    const watcher = await connect(url)
    const publisher = await connect(url)
    let published: Promise<string> | undefined
    const received = new Promise<NostrEvent>((resolve) => {
      watcher.subscribe([{ kinds: [21000], '#i': [HASH_B] }], {
        oneose: () => {
          published = publisher.publish(signAnnounce(newKey().sk, now(), { infoHash: HASH_B }))
        },
        onevent: resolve,
      })
    })
    const ev = await received
    await expect(published).resolves.toBe('')
    expect(ev.tags).toContainEqual(['i', HASH_B])
  })

  it('replaces an announce with a newer one of the same session', async () => {
    const { url } = await start()
    const relay = await connect(url)
    const { sk } = newKey()
    const t = now()
    const older = signAnnounce(sk, t - 60, { downloaded: 100n })
    const newer = signAnnounce(sk, t, { downloaded: 5000n })
    const otherSession = signAnnounce(sk, t - 30, { session: SESSION_2 })
    await relay.publish(older)
    await relay.publish(newer)
    await relay.publish(otherSession)
    await expect(relay.publish(older)).resolves.toMatch(/^duplicate: a newer announce/)
    const swarm = await fetchSwarm(relay, HASH_A)
    expect(swarm.map((e) => e.id)).toEqual([newer.id, otherSession.id])
  })

  it('drops announces after the TTL (injected clock)', async () => {
    let clockMs = Date.UTC(2030, 0, 1)
    const r = await start({ clock: () => clockMs, announceTtlSeconds: 120 })
    const relay = await connect(r.url)
    const ev = signAnnounce(newKey().sk, Math.floor(clockMs / 1000))
    await relay.publish(ev)
    clockMs += 119_000
    expect(await fetchSwarm(relay, HASH_A)).toEqual([ev])
    clockMs += 1_000
    expect(await fetchSwarm(relay, HASH_A)).toEqual([])
    expect(await r.relay.prune()).toBe(1)
  })

  it('does not store or broadcast an announce the policy refuses', async () => {
    const refusing = newKey()
    const { url } = await start({
      policy: (ev) =>
        Promise.resolve(
          ev.pubkey === refusing.pubkey
            ? { accept: false, message: 'blocked: insufficient balance: need 5 TSEED, have 0' }
            : { accept: true },
        ),
    })
    const watcher = await connect(url)
    const live: NostrEvent[] = []
    await new Promise<void>((resolve) => {
      watcher.subscribe([{ kinds: [21000] }], {
        onevent: (e) => live.push(JSON.parse(JSON.stringify(e)) as NostrEvent),
        oneose: resolve,
      })
    })
    const relay = await connect(url)
    await expect(relay.publish(signAnnounce(refusing.sk, now()))).rejects.toThrow(
      'blocked: insufficient balance: need 5 TSEED, have 0',
    )
    const accepted = signAnnounce(newKey().sk, now())
    await relay.publish(accepted)
    expect(await fetchSwarm(relay, HASH_A)).toEqual([accepted])
    await expect.poll(() => live.length).toBe(1)
    expect(live).toEqual([accepted])
  })

  it('forwards an ephemeral NWC request between two clients without storing it', async () => {
    const { url } = await start()
    const wallet = newKey()
    const app = newKey()
    const walletConn = await connect(url)
    const appConn = await connect(url)
    let published: Promise<string> | undefined
    const got = new Promise<NostrEvent>((resolve) => {
      walletConn.subscribe([{ kinds: [23194], '#p': [wallet.pubkey] }], {
        onevent: resolve,
        oneose: () => {
          const ev = signEvent(app.sk, 23194, now(), [['p', wallet.pubkey]], 'ciphertext')
          published = appConn.publish(ev)
        },
      })
    })
    const request = await got
    await expect(published).resolves.toBe('')
    expect(request.pubkey).toBe(app.pubkey)
    expect(request.content).toBe('ciphertext')
    const later = await new Promise<NostrEvent[]>((resolve) => {
      const events: NostrEvent[] = []
      const sub = appConn.subscribe([{ kinds: [23194] }], {
        onevent: (e) => events.push(e),
        oneose: () => {
          sub.close()
          resolve(events)
        },
      })
    })
    expect(later).toEqual([])
  })

  it('refuses kinds it does not serve', async () => {
    const { url } = await start()
    const relay = await connect(url)
    await expect(relay.publish(signEvent(newKey().sk, 1, now(), [], 'hi'))).rejects.toThrow(
      'blocked: this relay accepts only kind 21000 announces and ephemeral events',
    )
  })
})

describe('relay over WebSocket: bad input', () => {
  it('answers each kind of bad input with the right prefix and keeps serving', async () => {
    const { url } = await start({ limits: { maxMessageBytes: 4096 } })
    const c = await raw(url)
    const { sk } = newKey()

    const good = signAnnounce(sk, now())
    const forged = { ...good, sig: signAnnounce(sk, now() + 1).sig }
    c.send(['EVENT', forged])
    expect(await c.next(isOk(forged.id))).toEqual([
      'OK',
      forged.id,
      false,
      'invalid: bad signature',
    ])

    const numberTag = {
      ...good,
      tags: [
        ['i', HASH_A],
        ['port', 6881],
      ],
    }
    c.send(`["EVENT",${JSON.stringify(numberTag)}]`)
    expect(await c.next(isOk(good.id))).toEqual([
      'OK',
      good.id,
      false,
      'invalid: tag 1 holds a number; tag values must be strings',
    ])

    c.send('["EVENT",{"id":')
    expect(await c.next(isNotice)).toEqual(['NOTICE', 'invalid: message is not valid JSON'])

    const big = signEvent(sk, 24133, now(), [], 'x'.repeat(5000))
    c.send(['EVENT', big])
    expect(await c.next(isOk(big.id))).toEqual([
      'OK',
      big.id,
      false,
      expect.stringMatching(/^invalid: event too large: \d+ bytes, limit 4096$/),
    ])

    c.send(['HELLO', 1])
    expect(await c.next(isNotice)).toEqual(['NOTICE', 'invalid: unknown command "HELLO"'])

    c.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    expect(await c.next(isNotice)).toEqual([
      'NOTICE',
      'invalid: binary frames are not supported; send JSON text',
    ])

    c.send(['EVENT', good])
    expect(await c.next(isOk(good.id), 3000)).toEqual(['OK', good.id, true, ''])
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
  })

  it('drops a frame beyond the hard cap by closing that connection only', async () => {
    const { url } = await start({ limits: { maxMessageBytes: 1024 } })
    const bad = await raw(url)
    const other = await connect(url)
    bad.send(`["EVENT",{"content":"${'x'.repeat(8192)}"}]`)
    expect(await bad.closed()).toBe(1009)
    await expect(other.publish(signAnnounce(newKey().sk, now()))).resolves.toBe('')
  })
})

describe('relay transport', () => {
  it('serves NIP-11 on the WebSocket URL', async () => {
    const { url, port } = await start({ info: { tseed: { api: '/api' } } })
    const info = (await fetchRelayInformation(url)) as unknown as Record<string, unknown>
    expect(info.supported_nips).toEqual([1, 11, 40])
    expect(info.tseed).toEqual({
      kinds: [21000],
      announce_ttl: 7200,
      api: '/api',
      limits: {
        max_filters: 10,
        max_filter_values: 1000,
        ephemeral_max_age: 300,
        rate_limit: { burst: 120, per_second: 30 },
        max_connections_per_ip: 20,
        max_send_queue_bytes: 8 * 1024 * 1024,
      },
    })
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { Accept: 'application/nostr+json' },
    })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('drops a connection that stops reading once its unsent output passes maxBufferedBytes', async () => {
    // A store whose every query answers with large events: the output of a few REQs is
    // far more than the kernel's socket buffers hold, so the rest queues in the relay.
    // Distinct ids, as the relay sends an event once per REQ; a store is trusted, so the
    // copies need no signature of their own.
    const big = signEvent(newKey().sk, 21000, now(), [], 'x'.repeat(60_000))
    const events = Array.from({ length: 500 }, (_, i) => ({
      ...big,
      id: i.toString(16).padStart(64, '0'),
    }))
    class BigEvents extends MemoryAnnounceStore {
      override query(_f: Filter, _now: number, limit: number): Promise<NostrEvent[]> {
        return Promise.resolve(events.slice(0, limit))
      }
    }
    const { url, relay } = await start({ store: new BigEvents(), maxBufferedBytes: 1024 * 1024 })
    const stalled = await raw(url)
    stalled.send(['REQ', 'first', { kinds: [21000], limit: 1 }])
    await stalled.next((m) => m[0] === 'EOSE')
    expect(relay.stats.clients).toBe(1)
    // The client stops reading; TCP back-pressure then leaves the relay's output unsent.
    ;(stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause()
    for (let i = 0; i < 20; i++) stalled.send(['REQ', `s${i}`, { kinds: [21000], limit: 500 }])
    await expect.poll(() => relay.stats.clients, { timeout: 5_000 }).toBe(0)
    // Everyone else is still served.
    const other = await raw(url)
    other.send(['REQ', 'x', { kinds: [21000], limit: 1 }])
    expect((await other.next((m) => m[0] === 'EOSE'))[1]).toBe('x')
  })

  it('caps connections per IP', async () => {
    const { url } = await start({ maxConnectionsPerIp: 2 })
    const a = await raw(url)
    await raw(url)
    await expect(RawClient.connect(url)).rejects.toThrow(/429/)
    a.close()
    await a.closed()
    // The freed slot is usable once the server has seen the close.
    await expect
      .poll(async () => {
        try {
          const c = await raw(url)
          return c.ws.readyState === WebSocket.OPEN
        } catch {
          return false
        }
      })
      .toBe(true)
  })

  it('drops a connection that stops answering pings, keeps one that answers', async () => {
    const { url } = await start({ pingIntervalMs: 50 })
    const deaf = await raw(url, { autoPong: false })
    const healthy = await raw(url)
    expect(await deaf.closed()).toBe(1006)
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN)
  })

  it('closes client connections cleanly on close()', async () => {
    const r = await start()
    const c = await raw(r.url)
    const code = c.closed()
    await r.close()
    expect(await code).toBe(1001)
    await expect(RawClient.connect(r.url)).rejects.toThrow()
  })

  it('keeps announces across a restart on the same SQLite file', async () => {
    const dbPath = tempDb()
    const first = await startRelay({ port: 0, dbPath, logger: silent })
    const ev = signAnnounce(newKey().sk, now())
    const c1 = await NostrRelay.connect(first.url)
    await c1.publish(ev)
    c1.close()
    await first.close()

    const second = await start({ dbPath })
    const c2 = await connect(second.url)
    expect(await fetchSwarm(c2, HASH_A)).toEqual([ev])
  })
})
