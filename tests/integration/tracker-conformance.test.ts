import { register } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type Client from 'bittorrent-tracker/client'
import type { TrackerAnswer } from 'bittorrent-tracker/client'
import type { IssuedTrackerCredential } from '../../src/balance/api-client'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { newUser, startQuietRelay, type TestUser } from '../support/tseed-relay'

// bittorrent-tracker's client module loads a WebRTC polyfill whose native
// addon is not built here (environment notes). HTTP trackers never touch it,
// so the polyfill is replaced by empty classes before the client is loaded.
register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier === 'webrtc-polyfill') {
        return { shortCircuit: true, url: 'data:text/javascript,export class RTCPeerConnection {}; export class RTCSessionDescription {}; export class RTCIceCandidate {}' }
      }
      return next(specifier, context)
    }`),
)
const { default: TrackerClient } = await import('bittorrent-tracker/client')

// Info hashes whose bytes are all below 0x80: bittorrent-tracker's client reads
// scrape keys as UTF-8 text, which mangles higher bytes (the relay's raw-byte
// keys are checked with its own decoder in relay/src/tracker/bep48-scrape.test.ts).
const IH1 = '0102030405060708090a0b0c0d0e0f1011121314'
const IH2 = '2122232425262728292a2b2c2d2e2f3031323334'
const MB = 1_000_000

type Opts = { uploaded?: number; downloaded?: number; left?: number }

/** One bittorrent-tracker client on one announce URL, with its counters under the test's control. */
function client(announce: string, infoHash: string, port: number, counters: Opts = {}): Client {
  const c = new TrackerClient({
    infoHash,
    peerId: Buffer.from(`-BT0000-${String(port).padStart(12, '0')}`).toString('hex'),
    announce: [announce],
    port,
    getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left: 0, ...counters }),
  })
  c.on('error', () => undefined)
  return c
}

function next(c: Client, event: 'update' | 'scrape'): Promise<TrackerAnswer> {
  return new Promise((resolve) => c.once(event, resolve))
}

function warning(c: Client): Promise<string> {
  return new Promise((resolve) =>
    c.once('warning', (e: Error) => {
      resolve(e.message)
    }),
  )
}

/**
 * The `peer` events' addresses. For a dictionary answer the client (with
 * bencode 4) writes the `ip` byte string as its comma-separated byte values,
 * "49,50,55,…:port"; those are read back into text.
 */
function peers(c: Client, n: number): Promise<string[]> {
  const got: string[] = []
  return new Promise((resolve) => {
    const on = (addr: string): void => {
      const m = /^([0-9]+(?:,[0-9]+)+):([0-9]+)$/.exec(addr)
      got.push(
        m === null ? addr : `${Buffer.from(m[1]!.split(',').map(Number)).toString()}:${m[2]!}`,
      )
      if (got.length >= n) {
        c.off('peer', on)
        resolve(got.sort())
      }
    }
    c.on('peer', on)
  })
}

describe('the tracker endpoint, driven by bittorrent-tracker’s HTTP client', () => {
  let relay: RunningTseedRelay
  let seeder: TestUser
  let leecher: TestUser
  let seedCred: IssuedTrackerCredential
  let leechCred: IssuedTrackerCredential
  const clients: Client[] = []
  const track = (c: Client): Client => {
    clients.push(c)
    return c
  }
  let v4: string
  let v6: string

  beforeAll(async () => {
    // Both families on one port: clients reach it over 127.0.0.1 and ::1.
    relay = await startQuietRelay({
      host: '::',
      tracker: { intervalSeconds: 60, minIntervalSeconds: 30 },
    })
    const api = { apiUrl: `http://127.0.0.1:${relay.port}/api/v1` }
    seeder = newUser(api)
    leecher = newUser(api)
    const d = await leecher.api.createDeposit({ amountSat: 1_000n, swapMinOut: 1n })
    await leecher.api.deposit(d.paymentHash)
    seedCred = await seeder.api.createTrackerCredential('seedbox')
    leechCred = await leecher.api.createTrackerCredential('laptop')
    v4 = `http://127.0.0.1:${relay.port}`
    v6 = `http://[::1]:${relay.port}`
  })

  afterAll(async () => {
    for (const c of clients) c.destroy()
    await relay.close()
  })

  const path = (c: IssuedTrackerCredential): string => new URL(c.announceUrl).pathname

  it('issues personal URLs through the API and lists them without the secret', async () => {
    expect(seedCred.announceUrl).toMatch(/\/t\/[A-Za-z0-9_-]{24}\/announce$/)
    expect(seedCred.scrapeUrl).toBe(seedCred.announceUrl.replace(/announce$/, 'scrape'))
    const list = await seeder.api.trackerCredentials()
    expect(list).toEqual([
      { id: seedCred.id, label: 'seedbox', createdAt: seedCred.createdAt, lastUsedAt: null },
    ])
  })

  it('answers compact peers (BEP 23) with interval, min interval and counts', async () => {
    const s = track(client(v4 + path(seedCred), IH1, 7001))
    const first = next(s, 'update')
    s.start()
    expect(await first).toMatchObject({
      complete: 1,
      incomplete: 0,
      interval: 60,
      'min interval': 30,
    })

    const l = track(client(v4 + path(leechCred), IH1, 7002, { left: 50 * MB }))
    const got = peers(l, 1)
    const update = next(l, 'update')
    l.start()
    expect(await update).toMatchObject({ complete: 1, incomplete: 1 })
    expect(await got).toEqual(['127.0.0.1:7001'])
  })

  it('answers dictionary peers for compact=0', async () => {
    const l = track(client(v4 + path(leechCred), IH1, 7003, { left: 50 * MB }))
    const got = peers(l, 2)
    l.start({ compact: 0 })
    expect(await got).toEqual(['127.0.0.1:7001', '127.0.0.1:7002'])
  })

  it('lists IPv6 announcers in peers6 (BEP 7) and hands them to IPv4 clients', async () => {
    const s6 = track(client(v6 + path(seedCred), IH1, 7004))
    const up = next(s6, 'update')
    s6.start()
    expect(await up).toMatchObject({ complete: 2 })
    const l = track(client(v4 + path(leechCred), IH1, 7005, { left: 50 * MB }))
    const got = peers(l, 4)
    l.start()
    expect(await got).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '[::1]:7004'])
  })

  it('sends no more than numwant peers', async () => {
    const l = track(client(v4 + path(leechCred), IH1, 7006, { left: 50 * MB }))
    const update = next(l, 'update')
    const seen: string[] = []
    l.on('peer', (a) => seen.push(a))
    l.start({ numwant: 2 })
    await update
    await new Promise((r) => setTimeout(r, 50))
    expect(seen).toHaveLength(2)
  })

  it('follows started, completed and stopped, and charges what the leecher reports', async () => {
    const counters: Opts = { left: 3 * MB, downloaded: 0 }
    const url = `${v4}/announce?auth=${leechCred.credential}`
    const l = track(client(url, IH2, 7010, counters))
    const before = (await leecher.api.balance()).balances.tseed
    let u = next(l, 'update')
    l.start()
    expect(await u).toMatchObject({ complete: 0, incomplete: 1 })
    counters.downloaded = 3 * MB
    counters.left = 0
    u = next(l, 'update')
    l.complete()
    expect(await u).toMatchObject({ complete: 1, incomplete: 0 })
    expect((await leecher.api.balance()).balances.tseed).toBe(before - 3n)
    const scraped = next(l, 'scrape')
    l.scrape()
    expect(await scraped).toMatchObject({
      infoHash: IH2,
      complete: 1,
      incomplete: 0,
      downloaded: 1,
    })
    u = next(l, 'update')
    l.stop()
    expect(await u).toMatchObject({ complete: 0, incomplete: 0 })
    expect(relay.ledger.escrowOf(IH2, Math.floor(Date.now() / 1000))).toEqual({
      escrow: 3n,
      claims: 0n,
    })
  })

  it('scrapes several info hashes at once (BEP 48)', async () => {
    const c = track(client(v4 + path(seedCred), IH1, 7020))
    const results: TrackerAnswer[] = []
    const two = new Promise<void>((resolve) =>
      c.on('scrape', (d) => {
        results.push(d)
        if (results.length === 2) resolve()
      }),
    )
    c.scrape({ infoHash: [IH1, IH2] })
    await two
    const by = Object.fromEntries(results.map((r) => [r.infoHash, r]))
    expect(by[IH1]).toMatchObject({ complete: 2, incomplete: 4 })
    expect(by[IH2]).toMatchObject({ complete: 0, incomplete: 0, downloaded: 1 })
  })

  it('refuses a revoked credential with a failure reason the client reports', async () => {
    await seeder.api.revokeTrackerCredential(seedCred.id)
    expect(await seeder.api.trackerCredentials()).toEqual([])
    const c = track(client(v4 + path(seedCred), IH1, 7030))
    const w = warning(c)
    c.start()
    expect(await w).toMatch(/^unknown or revoked tracker credential: /)
  })
})
