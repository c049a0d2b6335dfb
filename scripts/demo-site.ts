import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A small torrent web site with an HTTP BitTorrent tracker on it, for the
 * browser tests. `/` is a page whose `window.announce(query)` performs an
 * announce with fetch() the way a web torrent client does; `/announce` answers
 * like a tracker (bencoded, no peers). Raw announce URLs are recorded so tests
 * can compare bytes.
 */
export interface TrackerSite {
  origin: string
  announces: string[]
  close(): Promise<void>
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>A torrent site</title>
<style>body{font:15px system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>A torrent site</h1>
<p>This page behaves like a web torrent client: it announces to the tracker on this site with
<code>fetch('/announce?info_hash=…')</code>. The TSEED extension observes the announce, signs it as a
kind 21000 Nostr event and publishes it to your TSEED relays. Open the TSEED popup to see it.</p>
<p id="status">idle</p>
<script>
  window.announce = async (query) => {
    const res = await fetch('/announce?' + query)
    document.getElementById('status').textContent = 'announced: ' + decodeURIComponent(query.split('&').slice(3).join(', '))
    return res.status
  }
</script></body></html>`

const TRACKER_REPLY = 'd8:completei0e10:incompletei1e8:intervali1800e5:peers0:e'

export async function startTrackerSite(listenPort = 0): Promise<TrackerSite> {
  const announces: string[] = []
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/'
    if (url.startsWith('/announce')) {
      announces.push(url)
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end(TRACKER_REPLY)
      return
    }
    if (url === '/' || url.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(PAGE)
      return
    }
    res.writeHead(404)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    announces,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

/** Percent-escapes every byte, so the query carries exactly these bytes. */
export function escapeBytes(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += '%' + b.toString(16).toUpperCase().padStart(2, '0')
  return s
}

export interface AnnounceQuery {
  infoHash: Uint8Array
  peerId?: string
  uploaded: bigint
  downloaded: bigint
  left: bigint
  event?: string
  port?: number
}

export function announceQuery(q: AnnounceQuery): string {
  const parts = [
    `info_hash=${escapeBytes(q.infoHash)}`,
    `peer_id=${q.peerId ?? '-WW0001-abcdefghijkl'}`,
    `port=${q.port ?? 6881}`,
    `uploaded=${q.uploaded}`,
    `downloaded=${q.downloaded}`,
    `left=${q.left}`,
  ]
  if (q.event) parts.push(`event=${q.event}`)
  return parts.join('&')
}
