import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import TrackerServer from 'bittorrent-tracker/server'
import { escapeBytes } from '../../../scripts/demo-site'
import { devApi } from '../../../scripts/dev-top-up'
import { decode } from '../../../src/nostr/bencode'
import { readAnnounceAnswer } from '../../../src/nostr/bep3-answer'
import type { TrackerPeer } from '../../../src/nostr/compact-peers'

/**
 * The replace-mode tests' world: a real `bittorrent-tracker` (HTTP and
 * WebSocket on one port) as the page's own tracker, and a site on another
 * origin whose pages announce to it with `fetch` and over a WebSocket.
 */
export interface ReplaceSite {
  origin: string
  /** `http://127.0.0.1:PORT/announce` */
  trackerHttp: string
  /** `ws://127.0.0.1:PORT` */
  trackerWs: string
  close(): Promise<void>
}

/**
 * `/http`: `window.announce(url)` fetches `url` and returns the status,
 * whether it was redirected, and the body's bytes in base64, as the page
 * reads them. `/ws`: `window.wsAnnounce(tracker, infoHashHex, left)` opens a
 * socket, sends one announce and collects every `message` event in
 * `window.wsMessages` with its `isTrusted`.
 */
const PAGES: Record<string, string> = {
  '/http': `<!doctype html><meta charset="utf-8"><title>Replace mode, HTTP</title>
<script>
window.announce = async (url) => {
  const r = await fetch(url)
  const bytes = new Uint8Array(await r.arrayBuffer())
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return { status: r.status, redirected: r.redirected, body: btoa(s) }
}
</script><p>HTTP announces</p>`,
  '/ws': `<!doctype html><meta charset="utf-8"><title>Replace mode, WebSocket</title>
<script>
window.wsMessages = []
const bin = (hex) => hex.match(/../g).map((h) => String.fromCharCode(parseInt(h, 16))).join('')
window.wsAnnounce = (tracker, infoHashHex, left) =>
  new Promise((done, fail) => {
    const ws = new WebSocket(tracker)
    ws.addEventListener('message', (ev) => {
      window.wsMessages.push({ trusted: ev.isTrusted, data: String(ev.data) })
    })
    ws.onerror = () => fail(new Error('socket error'))
    ws.onopen = () => {
      ws.send(JSON.stringify({
        action: 'announce', info_hash: bin(infoHashHex), peer_id: '-WW0001-' + 'wspeer000001',
        uploaded: 0, downloaded: 0, left, event: 'started', numwant: 0, offers: [],
      }))
      done(true)
    }
  })
</script><p>WebSocket announces</p>`,
}

export async function startReplaceSite(): Promise<ReplaceSite> {
  const tracker = new TrackerServer({ udp: false, http: true, ws: true, stats: false })
  // Before the tracker's own handler (added on the next tick): pages on another origin may read it.
  tracker.http?.on('request', (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
  })
  await new Promise<void>((done) => {
    tracker.listen(0, '127.0.0.1', done)
  })
  const trackerPort = (tracker.http?.address() as AddressInfo).port
  const site: Server = createServer((req, res) => {
    const page = PAGES[(req.url ?? '/').split('?')[0] ?? '']
    res.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(page ?? '')
  })
  await new Promise<void>((done) => site.listen(0, '127.0.0.1', done))
  return {
    origin: `http://127.0.0.1:${(site.address() as AddressInfo).port}`,
    trackerHttp: `http://127.0.0.1:${trackerPort}/announce`,
    trackerWs: `ws://127.0.0.1:${trackerPort}`,
    close: async () => {
      site.closeAllConnections()
      await new Promise<void>((done) =>
        site.close(() => {
          done()
        }),
      )
      await new Promise<void>((done) => {
        tracker.close(done)
      })
    },
  }
}

/** A BEP 3 announce query with a given peer port and `left`. */
export function query(
  infoHash: Uint8Array,
  peer: string,
  port: number,
  left: number,
  uploaded = 0,
): string {
  return (
    `info_hash=${escapeBytes(infoHash)}&peer_id=${peer}&port=${port}` +
    `&uploaded=${uploaded}&downloaded=0&left=${left}&event=started&compact=1`
  )
}

/**
 * A desktop client that announced only to the TSEED relay's HTTP tracker, as
 * a seeder at 127.0.0.1:`port`, with a personal tracker URL issued through
 * the relay's API for `sk`.
 */
export async function announceToRelayOnly(
  relayUrl: string,
  sk: Uint8Array,
  infoHash: Uint8Array,
  port: number,
): Promise<void> {
  const api = await devApi(relayUrl, sk)
  const cred = await api.createTrackerCredential('seedbox')
  await expectAnnounced(`${cred.announceUrl}?${query(infoHash, '-TR4000-relayonly001', port, 0)}`)
}

/** A peer that announced only to the page's own tracker. */
export async function announceToTrackerOnly(site: ReplaceSite, infoHash: Uint8Array, port: number) {
  await expectAnnounced(`${site.trackerHttp}?${query(infoHash, '-TR4000-trackeronly1', port, 0)}`)
}

async function expectAnnounced(url: string): Promise<void> {
  const res = await fetch(url)
  const body = new Uint8Array(await res.arrayBuffer())
  const read = readAnnounceAnswer(body)
  if (res.status !== 200 || read === undefined || read.failure !== undefined) {
    throw new Error(`announce refused: ${Buffer.from(body).toString('latin1')}`)
  }
}

/** An answer as the page read it: the bencoded dictionary and its peers as `ip:port`. */
export function readPageAnswer(base64: string): {
  dict: Record<string, unknown>
  peers: string[]
} {
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'))
  const dict = decode(bytes)
  if (
    typeof dict !== 'object' ||
    dict === null ||
    dict instanceof Uint8Array ||
    Array.isArray(dict)
  ) {
    throw new Error(`not a bencoded dictionary: ${Buffer.from(bytes).toString('latin1')}`)
  }
  const read = readAnnounceAnswer(bytes)
  if (read === undefined) throw new Error('unreadable peers')
  return {
    dict: dict as Record<string, unknown>,
    peers: read.peers.map((p: TrackerPeer) => `${p.ip}:${p.port}`),
  }
}
