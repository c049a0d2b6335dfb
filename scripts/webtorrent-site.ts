import { readFileSync } from 'node:fs'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import TrackerServer from 'bittorrent-tracker/server'

/**
 * A web torrent app as a user meets one, for the demo and the browser tests:
 * an HTTP site on 127.0.0.1 whose pages load the real WebTorrent browser
 * bundle, and a real `bittorrent-tracker` server with only its WebSocket
 * tracker, on another 127.0.0.1 port. The tracker records every announce it
 * takes, so a caller can tell that the page's client still talks to it
 * through the extension's hook.
 */
export interface WebTorrentSite {
  origin: string
  /** `ws://127.0.0.1:PORT`: the tracker URL the pages announce to. */
  trackerUrl: string
  /** Announces the tracker received: info hash (hex) and event. */
  trackerAnnounces: { infoHash: string; event: string; left: number }[]
  close(): Promise<void>
}

export interface WebTorrentSiteOptions {
  /** HTML by URL path; `/webtorrent.min.js` is always the real bundle. */
  pages: Record<string, string>
  /** The site's port; any free one by default. */
  port?: number
  /** The tracker's port; any free one by default. */
  trackerPort?: number
  /**
   * The re-announce period the tracker asks for, in ms. bittorrent-tracker
   * tells WebSocket clients a fifth of it (2 min by default), and a seeder
   * reports what it uploaded only when it re-announces.
   */
  announceIntervalMs?: number
}

let bundle: Buffer | undefined

export async function startWebTorrentSite(opts: WebTorrentSiteOptions): Promise<WebTorrentSite> {
  bundle ??= readFileSync(resolve('node_modules/webtorrent/dist/webtorrent.min.js'))
  const script = bundle
  const trackerAnnounces: WebTorrentSite['trackerAnnounces'] = []
  const tracker = new TrackerServer({
    udp: false,
    http: false,
    ws: true,
    stats: false,
    ...(opts.announceIntervalMs !== undefined ? { interval: opts.announceIntervalMs } : {}),
  })
  const record =
    (event: string) => (_peer: unknown, params: { info_hash: string; left: number }) => {
      trackerAnnounces.push({ infoHash: params.info_hash, event, left: params.left })
    }
  for (const event of ['start', 'update', 'complete', 'stop']) tracker.on(event, record(event))
  await new Promise<void>((done) => {
    tracker.listen(opts.trackerPort ?? 0, '127.0.0.1', done)
  })
  const trackerPort = (tracker.ws.address() as AddressInfo).port

  const server: HttpServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? ''
    if (path === '/webtorrent.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
      res.end(script)
      return
    }
    const page = opts.pages[path]
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(page)
      return
    }
    res.writeHead(404)
    res.end()
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(opts.port ?? 0, '127.0.0.1', done)
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    trackerUrl: `ws://127.0.0.1:${trackerPort}`,
    trackerAnnounces,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((done) => {
        server.close(() => {
          done()
        })
      })
      await new Promise<void>((done) => {
        tracker.close(done)
      })
    },
  }
}
