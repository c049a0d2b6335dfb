import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../core/limits'
import { buildRelayInfo } from '../http/nip11'
import { createHttpHandler, type HttpHandlerOptions, type HttpRoute } from './http-handler'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(opts: Partial<HttpHandlerOptions> = {}): Promise<string> {
  const server = createServer(
    createHttpHandler({
      info: () => buildRelayInfo(DEFAULT_LIMITS, 7200),
      logger: { warn: () => undefined, error: () => undefined },
      ...opts,
    }),
  )
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('createHttpHandler', () => {
  it('serves NIP-11 with CORS for Accept: application/nostr+json', async () => {
    const base = await serve()
    const res = await fetch(`${base}/`, { headers: { Accept: 'application/nostr+json' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/nostr+json')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const doc = (await res.json()) as { supported_nips: number[]; tseed: unknown }
    expect(doc.supported_nips).toEqual([1, 11, 40])
    expect(doc.tseed).toMatchObject({ kinds: [21000], announce_ttl: 7200 })
  })

  it('serves a text page on / and 404 elsewhere', async () => {
    const base = await serve()
    const home = await fetch(`${base}/`)
    expect(home.status).toBe(200)
    expect(home.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await home.text()).toMatch(/Nostr relay/)
    const missing = await fetch(`${base}/nope`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('access-control-allow-origin')).toBe('*')
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405)
  })

  it('answers CORS preflight', async () => {
    const base = await serve()
    const res = await fetch(`${base}/api/balance`, {
      method: 'OPTIONS',
      headers: { Origin: 'chrome-extension://x', 'Access-Control-Request-Method': 'POST' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization')
  })

  it('tries injected routes in order before the 404', async () => {
    const seen: string[] = []
    const first: HttpRoute = (_req, _res, url) => {
      seen.push(`first ${url.pathname}`)
      return false
    }
    const api: HttpRoute = async (_req, res, url) => {
      await Promise.resolve()
      if (!url.pathname.startsWith('/api/')) return false
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ path: url.pathname, q: url.searchParams.get('q') }))
      return true
    }
    const base = await serve({ routes: [first, api] })
    const res = await fetch(`${base}/api/quote?q=1`)
    expect(await res.json()).toEqual({ path: '/api/quote', q: '1' })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect((await fetch(`${base}/other`)).status).toBe(404)
    expect(seen).toEqual(['first /api/quote', 'first /other'])
  })

  it('turns a failing route into a 500 and keeps serving', async () => {
    const base = await serve({ routes: [() => Promise.reject(new Error('boom'))] })
    expect((await fetch(`${base}/x`)).status).toBe(500)
    expect(
      (await fetch(`${base}/`, { headers: { Accept: 'application/nostr+json' } })).status,
    ).toBe(200)
  })

  it('answers a request target no URL parser reads with a JSON 400, not an internal error', async () => {
    const errors: unknown[] = []
    const base = await serve({
      logger: { warn: () => undefined, error: (...a: unknown[]) => errors.push(a) },
    })
    const { port } = new URL(base)
    for (const target of ['http://[x/api/v1/pool', 'http://x:99999/', 'http://%zz/']) {
      const out = await new Promise<string>((resolve) => {
        const s = connect(Number(port), '127.0.0.1', () => {
          s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
        })
        let o = ''
        s.on('data', (d: Buffer) => (o += d.toString()))
        s.on('close', () => {
          resolve(o)
        })
      })
      expect(out, target).toMatch(/^HTTP\/1\.1 400 [^]*application\/json[^]*"error":"bad_request"/)
    }
    expect(errors).toEqual([])
  })
})
