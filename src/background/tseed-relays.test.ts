import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { startQuietRelay } from '../../tests/support/tseed-relay'
import { POOL_URL } from '../balance/webledger'
import { closedPort, countingFetch, createHttpServers } from './testing/http'
import { createTseedRelayDirectory, fetchWithTimeout } from './tseed-relays'

/** A relay that answers NIP-11 like any relay, without a `tseed` object. */
async function plainRelay() {
  const requests: { url: string | undefined; accept: string | undefined }[] = []
  const { port } = await listen((req, res) => {
    requests.push({ url: req.url, accept: req.headers.accept })
    res.writeHead(200, { 'Content-Type': 'application/nostr+json' })
    res.end(JSON.stringify({ name: 'plain relay', supported_nips: [1, 11] }))
  })
  return { url: `ws://127.0.0.1:${port}`, requests }
}

const PLAIN = { kind: 'plain', name: 'plain relay' }

const http = createHttpServers()
const listen = (...a: Parameters<typeof http.listen>) => http.listen(...a)
afterEach(() => http.closeAll())

let relay: RunningTseedRelay
beforeAll(async () => {
  relay = await startQuietRelay()
})
afterAll(async () => {
  await relay.close()
})

describe('createTseedRelayDirectory', () => {
  it('finds a TSEED relay and where its API is', async () => {
    const dir = createTseedRelayDirectory({ fetch: (u, i) => fetch(u, i), now: () => 0 })
    expect(dir.peek(relay.url)).toBeUndefined()
    const r = await dir.lookup(relay.url)
    if (r.kind !== 'tseed') throw new Error(`expected a TSEED relay, got ${r.kind}`)
    expect(r.name).toBe('TSEED relay')
    expect(dir.peek(relay.url)).toBe(r)
    expect(r.info).toEqual({
      apiUrl: relay.apiUrl,
      pool: POOL_URL,
      lightning: 'dev',
      testMode: true,
      reqLimits: { maxMessageLength: 131072, maxLimit: 500 },
    })
    expect(relay.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/)
  })

  it('tells a plain relay apart, and asks it once while the answer is fresh', async () => {
    const plain = await plainRelay()
    let now = 1_000
    const dir = createTseedRelayDirectory({ fetch: (u, i) => fetch(u, i), now: () => now })
    expect(await dir.lookup(plain.url)).toEqual(PLAIN)
    // The NIP-11 request: over HTTP, asking for the relay information document.
    expect(plain.requests).toEqual([{ url: '/', accept: 'application/nostr+json' }])
    now += 10 * 60 * 1000 - 1
    expect(await dir.lookup(plain.url)).toEqual(PLAIN)
    expect(plain.requests).toHaveLength(1)
    // After 10 minutes it is asked again.
    now += 1
    expect(await dir.lookup(plain.url)).toEqual(PLAIN)
    expect(plain.requests).toHaveLength(2)
  })

  it('caches a TSEED relay too, per relay URL', async () => {
    const plain = await plainRelay()
    const { fetch: f, urls } = countingFetch()
    const dir = createTseedRelayDirectory({ fetch: f, now: () => 5 })
    await dir.lookup(relay.url)
    await dir.lookup(plain.url)
    expect((await dir.lookup(relay.url)).kind).toBe('tseed')
    expect((await dir.lookup(plain.url)).kind).toBe('plain')
    expect(urls).toEqual([relay.httpUrl, plain.url.replace('ws://', 'http://')])
  })

  it('asks once for lookups made together', async () => {
    const plain = await plainRelay()
    const dir = createTseedRelayDirectory({ fetch: (u, i) => fetch(u, i), now: () => 0 })
    const all = await Promise.all([
      dir.lookup(plain.url),
      dir.lookup(plain.url),
      dir.lookup(plain.url),
    ])
    expect(all).toEqual([PLAIN, PLAIN, PLAIN])
    expect(plain.requests).toHaveLength(1)
  })

  it('reports a relay it cannot reach as unknown, and asks again only after 30 s', async () => {
    const port = await closedPort()
    const url = `ws://127.0.0.1:${port}`
    const { fetch: f, urls } = countingFetch()
    let now = 50_000
    const dir = createTseedRelayDirectory({ fetch: f, now: () => now })
    const r = await dir.lookup(url)
    expect(r.kind).toBe('unknown')
    expect(r.kind === 'unknown' ? r.error : '').not.toBe('')
    expect(urls).toHaveLength(1)
    now += 29_999
    expect((await dir.lookup(url)).kind).toBe('unknown')
    expect(urls).toHaveLength(1)
    now += 1
    expect((await dir.lookup(url)).kind).toBe('unknown')
    expect(urls).toHaveLength(2)
  })

  it('treats an HTTP error or a document that is not JSON as a plain relay', async () => {
    const { port: errorPort } = await listen((_req, res) => {
      res.writeHead(404)
      res.end('not found')
    })
    const { port: htmlPort } = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end('<html>hello</html>')
    })
    const dir = createTseedRelayDirectory({ fetch: (u, i) => fetch(u, i), now: () => 0 })
    expect(await dir.lookup(`ws://127.0.0.1:${errorPort}`)).toEqual({ kind: 'plain' })
    expect(await dir.lookup(`ws://127.0.0.1:${htmlPort}`)).toEqual({ kind: 'plain' })
  })
})

describe('fetchWithTimeout', () => {
  it('gives up on a server that never answers', async () => {
    let received = 0
    const { port } = await listen(() => {
      received++
      // Holds the request: no answer ever.
    })
    const start = Date.now()
    const err = await fetchWithTimeout((u, i) => fetch(u, i), 200)(`http://127.0.0.1:${port}/`, {
      method: 'GET',
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const elapsed = Date.now() - start
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('TimeoutError')
    expect(received).toBe(1)
    expect(elapsed).toBeGreaterThanOrEqual(150)
    expect(elapsed).toBeLessThan(5_000)
  })

  it('makes a hanging relay unknown instead of stalling the lookup', async () => {
    const { port } = await listen(() => undefined)
    const dir = createTseedRelayDirectory({
      fetch: fetchWithTimeout((u, i) => fetch(u, i), 200),
      now: () => 0,
    })
    const r = await dir.lookup(`ws://127.0.0.1:${port}`)
    expect(r.kind).toBe('unknown')
  })

  it('passes the request through to a server that answers in time', async () => {
    const plain = await plainRelay()
    const res = await fetchWithTimeout((u, i) => fetch(u, i), 2_000)(
      plain.url.replace('ws://', 'http://'),
      { method: 'GET', headers: { Accept: 'application/nostr+json' } },
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ name: 'plain relay' })
    expect(plain.requests).toEqual([{ url: '/', accept: 'application/nostr+json' }])
  })
})
