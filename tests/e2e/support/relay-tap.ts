import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer, type RawData } from 'ws'

/**
 * A wrapper around a relay process on the same machine: every WebSocket
 * frame and HTTP request goes through it unchanged, and it notes the REQs
 * clients send and the HTTP paths they ask, so a test can count what the
 * extension asked. The NIP-11 document's API URL is pointed at the tap, so
 * API calls pass through it too.
 */
export interface RelayTap {
  /** `ws://127.0.0.1:PORT`: give this to the extension instead of the relay's URL. */
  url: string
  /** Every REQ a client sent: its filters, and when. */
  reqs: { at: number; filters: Record<string, unknown>[] }[]
  /** Every HTTP request: method and path with query. */
  http: { at: number; method: string; path: string }[]
  close(): Promise<void>
}

export async function startRelayTap(upstreamWs: string): Promise<RelayTap> {
  const upstream = new URL(upstreamWs.replace(/^ws/, 'http'))
  const reqs: RelayTap['reqs'] = []
  const http: RelayTap['http'] = []
  let origin = ''
  const server: Server = createServer((req, res) => {
    http.push({ at: Date.now(), method: req.method ?? 'GET', path: req.url ?? '/' })
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // The Host header stays the tap's: NIP-98 checks the URL the client signed.
        headers: req.headers,
      },
      (upRes) => {
        void readAll(upRes).then((body) => {
          let out = body
          if ((upRes.headers['content-type'] ?? '').includes('nostr+json')) {
            out = Buffer.from(body.toString('utf8').split(upstream.origin).join(origin))
          }
          const headers = { ...upRes.headers, 'content-length': String(out.length) }
          res.writeHead(upRes.statusCode ?? 502, headers)
          res.end(out)
        })
      },
    )
    up.on('error', () => {
      res.writeHead(502)
      res.end()
    })
    req.pipe(up)
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (client) => {
      const relay = new WebSocket(upstreamWs)
      const early: RawData[] = []
      client.on('message', (data: RawData) => {
        const text = rawText(data)
        if (text.startsWith('["REQ"')) {
          const msg = JSON.parse(text) as unknown[]
          reqs.push({ at: Date.now(), filters: msg.slice(2) as Record<string, unknown>[] })
        }
        if (relay.readyState === WebSocket.OPEN) relay.send(text)
        else early.push(data)
      })
      relay.on('open', () => {
        for (const d of early.splice(0)) relay.send(rawText(d))
      })
      relay.on('message', (data: RawData) => {
        if (client.readyState === WebSocket.OPEN) client.send(rawText(data))
      })
      const closeBoth = (): void => {
        client.close()
        relay.close()
      }
      client.on('close', closeBoth)
      relay.on('close', closeBoth)
      relay.on('error', closeBoth)
      client.on('error', closeBoth)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
  return {
    url: `ws://127.0.0.1:${port}`,
    reqs,
    http,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate()
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

function rawText(data: RawData): string {
  return Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8')
}

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => {
      resolve(Buffer.concat(chunks))
    })
    res.on('error', reject)
  })
}
