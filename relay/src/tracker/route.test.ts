import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decode } from './bencode'
import type { Failure } from './failures'
import { createTrackerRoute, type TrackerRequest } from './route'

const OWNER = { id: '0'.repeat(16), pubkey: 'a'.repeat(64) }

describe('the tracker route', () => {
  let server: Server
  let base: string
  const seen: TrackerRequest[] = []
  const answered: (Failure | undefined)[] = []
  const errors: string[] = []
  let admit = true

  beforeAll(async () => {
    const route = createTrackerRoute({
      resolve: (c) => (c === 'good' ? OWNER : undefined),
      handle: (req) => {
        if (req.params.has('boom')) return Promise.reject(new Error('boom'))
        seen.push(req)
        return Promise.resolve({ ok: true, body: Buffer.from('d2:okli1eee') })
      },
      admit: () => admit,
      answered: (_action, failure) => answered.push(failure),
      trustProxy: false,
      logger: {
        error: (m: string) => {
          errors.push(m)
        },
      },
    })
    server = createServer((req, res) => {
      void Promise.resolve(route(req, res, new URL(req.url ?? '/', 'http://relay.invalid'))).then(
        (handled) => {
          if (!handled) res.writeHead(404).end()
        },
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve()
        }),
      ),
  )

  const get = async (path: string, method = 'GET') => {
    const res = await fetch(base + path, { method })
    const body = new Uint8Array(await res.arrayBuffer())
    return { status: res.status, type: res.headers.get('content-type'), body }
  }
  const reason = async (path: string, method = 'GET') => {
    const r = await get(path, method)
    expect(r.status).toBe(200)
    const d = decode(r.body) as Record<string, Uint8Array>
    return Buffer.from(d['failure reason'] ?? new Uint8Array()).toString()
  }

  it('takes the credential from the path or from ?auth=, and hands over the decoded query', async () => {
    const a = await get('/t/good/announce?info_hash=%ff&x=1')
    expect(a).toMatchObject({ status: 200, type: 'text/plain' })
    expect(Buffer.from(a.body).toString()).toBe('d2:okli1eee')
    await get('/scrape?auth=good&info_hash=%01')
    await get('/announce?info_hash=%02&auth=good')
    expect(seen.map((r) => [r.action, r.credential])).toEqual([
      ['announce', 'good'],
      ['scrape', 'good'],
      ['announce', 'good'],
    ])
    expect(seen[0]?.params.get('info_hash')).toEqual([Uint8Array.of(0xff)])
    expect(seen[0]?.observed).toBe('127.0.0.1')
  })

  it('answers every refusal bencoded with HTTP 200', async () => {
    expect(await reason('/t/bad/announce?info_hash=%01')).toMatch(
      /^unknown or revoked tracker credential: /,
    )
    expect(await reason('/announce?info_hash=%01')).toMatch(/^this tracker needs a personal URL/)
    expect(await reason('/announce?auth=good&auth=good')).toBe(
      'malformed request: duplicate auth parameter',
    )
    expect(await reason('/t/good/announce?info_hash=%zz')).toBe(
      'malformed request: malformed percent escape in info_hash',
    )
    expect(await reason('/t/good/nonsense')).toBe(
      'tracker URLs look like /t/<credential>/announce; check the torrent',
    )
    expect(await reason('/t/good/announce', 'POST')).toBe('the tracker answers GET requests only')
    admit = false
    expect(await reason('/t/good/announce')).toBe(
      'too many requests from this address; announce less often',
    )
    admit = true
  })

  it('turns a failure inside the tracker into a bencoded answer and a log line', async () => {
    expect(await reason('/t/good/announce?boom')).toBe(
      'the tracker could not process this announce; it will be retried',
    )
    expect(errors).toEqual(['tracker: GET /t/good/announce failed'])
    expect(answered.at(-1)?.kind).toBe('error')
  })

  it('leaves other paths to the next route', async () => {
    expect((await get('/api/v1/pool')).status).toBe(404)
    expect((await get('/announcements')).status).toBe(404)
  })
})
