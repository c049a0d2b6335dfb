import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { availableParallelism } from 'node:os'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import type { RelayClient, RelayLogger } from '../core/client'
import { OVERSIZE_PARSE_FACTOR } from '../core/messages'
import { Relay, type RelayOptions } from '../core/relay'
import type { VerifierChoice } from '../core/batch-checker'
import type { Verifier } from '../core/verifier'
import { createVerifier } from '../core/worker-verifier'
import { buildRelayInfo, type RelayInfoOptions } from '../http/nip11'
import type { AnnounceStore } from '../store/announce-store'
import type { SyncMode } from '../store/database'
import { SqliteAnnounceStore } from '../store/sqlite-store'
import { answerClientError } from './client-error'
import { ConnectionCounter } from './connection-counter'
import { createHttpHandler, type HttpRoute } from './http-handler'

export interface StartRelayOptions extends Omit<RelayOptions, 'store' | 'verifier'> {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string
  /** Default 0: any free port (see `RunningRelay.port`). */
  port?: number
  /** The announce store; the relay owns it from here on and closes it in `close()`. */
  store?: AnnounceStore
  /** Used when no `store` is given: a SQLite file, default `:memory:`. */
  dbPath?: string
  /** For the `dbPath` database: `normal` (default) or `full`; see docs/performance.md. */
  synchronous?: SyncMode
  /**
   * Default: the WASM verifier on `verifierThreads` worker threads. A given
   * verifier belongs to the caller, who closes it.
   */
  verifier?: Verifier
  /** Worker threads verifying signatures; default one per core, 0 verifies on the main thread. */
  verifierThreads?: number
  /**
   * `native` (libsecp256k1 addon), `wasm` (nostr-wasm) or `auto`; default the
   * TSEED_VERIFIER environment variable, else `auto`. See docs/relay.md.
   */
  verifierImplementation?: VerifierChoice
  /** Operator parts of the NIP-11 document, including the `tseed` extension. */
  info?: RelayInfoOptions
  /** HTTP endpoints tried before the 404. */
  routes?: readonly HttpRoute[]
  /** Open WebSocket connections per remote address; default 20. */
  maxConnectionsPerIp?: number
  /** Ping period; a connection that did not answer the previous ping is dropped. Default 30 s. */
  pingIntervalMs?: number
  /** How often expired announces are deleted. Default 60 s. */
  pruneIntervalMs?: number
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  trustProxy?: boolean
  /** A connection whose unsent output exceeds this is dropped. Default 8 MiB. */
  maxBufferedBytes?: number
  /** How long `close()` waits for clients to finish the close handshake. Default 2 s. */
  closeGraceMs?: number
}

export interface RunningRelay {
  /** `ws://host:port`, the address clients use; NIP-11 is on the same URL over HTTP. */
  url: string
  port: number
  relay: Relay
  /** Stops listening, closes every connection, then closes the store. Idempotent. */
  close(): Promise<void>
}

/** Why a connection over its send-queue bound was dropped; one instance for all of them. */
const SEND_QUEUE_FULL = new Error('send queue over maxBufferedBytes: the client does not read')

/** Connection-level defaults; the message-level ones are `DEFAULT_LIMITS`. */
export const START_RELAY_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  maxConnectionsPerIp: 20,
  pingIntervalMs: 30_000,
  pruneIntervalMs: 60_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  closeGraceMs: 2_000,
})
const DEFAULTS = START_RELAY_DEFAULTS

/**
 * Starts the relay: one `node:http` server that serves NIP-11 and the HTTP
 * routes and upgrades WebSocket connections to the NIP-01 core.
 *
 * @example
 * const running = await startRelay({ port: 0, dbPath: 'data/relay.sqlite' })
 * console.info(running.url)
 * await running.close()
 */
export async function startRelay(opts: StartRelayOptions = {}): Promise<RunningRelay> {
  const logger: RelayLogger = opts.logger ?? console
  const host = opts.host ?? DEFAULTS.host
  const ownStore = opts.store === undefined
  const store =
    opts.store ??
    SqliteAnnounceStore.open(opts.dbPath ?? ':memory:', { synchronous: opts.synchronous })
  let relay: Relay
  let ownVerifier: Verifier | undefined
  try {
    const verifier =
      opts.verifier ??
      (ownVerifier = await createVerifier(opts.verifierThreads ?? availableParallelism(), {
        logger,
        implementation: opts.verifierImplementation,
      }))
    relay = new Relay({ ...opts, store, verifier })
  } catch (err) {
    await ownVerifier?.close?.()
    if (ownStore) await store.close()
    throw err
  }

  const maxConnectionsPerIp = opts.maxConnectionsPerIp ?? DEFAULTS.maxConnectionsPerIp
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes
  const infoOptions: RelayInfoOptions = {
    ...opts.info,
    // The enforced values come last: a caller's entry cannot make the document drift from them.
    limits: {
      ...opts.info?.limits,
      max_connections_per_ip: maxConnectionsPerIp,
      max_send_queue_bytes: maxBuffered,
    },
  }
  const info = (): ReturnType<typeof buildRelayInfo> =>
    buildRelayInfo(relay.limits, relay.announceTtlSeconds, infoOptions)
  const server = createServer(createHttpHandler({ info, routes: opts.routes, logger }))
  // Node's own answer to a request its parser refuses is a bare status line; ours is JSON.
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    answerClientError(err, socket)
  })
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: relay.limits.maxMessageBytes * OVERSIZE_PARSE_FACTOR,
    perMessageDeflate: false,
  })
  const perIp = new ConnectionCounter(maxConnectionsPerIp)
  const alive = new WeakMap<WebSocket, boolean>()
  let nextClient = 0
  let closing = false

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, an error on it must not crash the process.
    socket.on('error', () => undefined)
    const ip = clientIp(req, opts.trustProxy === true)
    if (closing) {
      refuseUpgrade(socket, 503, 'Service Unavailable')
      return
    }
    if (!perIp.tryAcquire(ip)) {
      refuseUpgrade(socket, 429, 'Too Many Requests')
      return
    }
    // Released when the socket goes, whether or not the handshake succeeded.
    socket.once('close', () => {
      perIp.release(ip)
    })
    wss.handleUpgrade(req, socket, head, (ws) => {
      onConnection(ws, ip, socket)
    })
  })

  function onConnection(ws: WebSocket, ip: string, socket: Duplex): void {
    let corked = false
    const uncork = (): void => {
      corked = false
      socket.uncork()
    }
    const client: RelayClient = {
      id: `c${++nextClient}`,
      ip,
      send(msg) {
        if (ws.readyState !== WebSocket.OPEN) return
        if (ws.bufferedAmount > maxBuffered) {
          // A client that does not read would make the relay hold its output forever.
          // The socket goes first, with one shared error: destroyed without one,
          // Node builds a new error for every queued write, which stalled the
          // relay for about 130 ms at 8 MiB of small frames (docs/performance.md).
          socket.destroy(SEND_QUEUE_FULL)
          ws.terminate()
          return
        }
        // A group commit answers its events in one burst of callbacks. The
        // socket is corked until that burst is over, so its frames leave in
        // one write, not one system call per OK (docs/performance.md).
        if (!corked) {
          corked = true
          socket.cork()
          process.nextTick(uncork)
        }
        ws.send(JSON.stringify(msg))
      },
    }
    alive.set(ws, true)
    ws.on('pong', () => alive.set(ws, true))
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        client.send(['NOTICE', 'invalid: binary frames are not supported; send JSON text'])
        return
      }
      void relay.handleMessage(client, rawToString(data))
    })
    ws.on('close', () => {
      relay.disconnect(client)
    })
    // ws closes the connection itself after protocol errors (oversized frame, bad UTF-8).
    ws.on('error', () => undefined)
  }

  const pingTimer = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate()
        continue
      }
      alive.set(ws, false)
      ws.ping()
    }
  }, opts.pingIntervalMs ?? DEFAULTS.pingIntervalMs)
  pingTimer.unref()
  const pruneTimer = setInterval(() => {
    relay.prune().catch((err: unknown) => {
      logger.error('relay: pruning expired announces failed', err)
    })
  }, opts.pruneIntervalMs ?? DEFAULTS.pruneIntervalMs)
  pruneTimer.unref()

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    clearInterval(pingTimer)
    clearInterval(pruneTimer)
    await ownVerifier?.close?.()
    if (ownStore) await store.close()
    throw err
  }
  const port = (server.address() as AddressInfo).port

  let closed: Promise<void> | undefined
  async function close(): Promise<void> {
    closing = true
    clearInterval(pingTimer)
    clearInterval(pruneTimer)
    const serverClosed = new Promise<void>((resolve) =>
      server.close(() => {
        resolve()
      }),
    )
    server.closeIdleConnections()
    for (const ws of wss.clients) ws.close(1001, 'relay shutting down')
    const force = setTimeout(() => {
      for (const ws of wss.clients) ws.terminate()
      server.closeAllConnections()
    }, opts.closeGraceMs ?? DEFAULTS.closeGraceMs)
    await serverClosed
    clearTimeout(force)
    await new Promise<void>((resolve) => {
      wss.close(() => {
        resolve()
      })
    })
    await ownVerifier?.close?.()
    await store.close()
  }

  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    relay,
    close: () => (closed ??= close()),
  }
}

function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for']
  if (trustProxy && typeof forwarded === 'string' && forwarded.trim() !== '') {
    return forwarded.split(',')[0]?.trim() ?? 'unknown'
  }
  const addr = req.socket.remoteAddress ?? 'unknown'
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}
