/** The parts of `bittorrent-tracker` 11 the demo, the tests and the benchmark drive; it ships no types. */
declare module 'bittorrent-tracker/server' {
  import type { EventEmitter } from 'node:events'
  import type { Server as HttpServer } from 'node:http'
  import type { AddressInfo } from 'node:net'

  interface ServerOptions {
    http?: boolean
    udp?: boolean
    ws?: boolean
    stats?: boolean
    /** Announce interval in milliseconds; WebSocket clients are told a fifth of it. */
    interval?: number
  }
  class Server extends EventEmitter {
    constructor(opts?: ServerOptions)
    http: HttpServer | null
    ws: { address(): AddressInfo | string | null }
    listen(port: number, hostname: string, onListening: () => void): void
    close(cb?: () => void): void
  }
  export default Server
}

declare module 'bittorrent-tracker/client' {
  import type { EventEmitter } from 'node:events'

  interface ClientOptions {
    /** 40 hex chars or 20 bytes. */
    infoHash: string | Uint8Array
    peerId: string | Uint8Array
    announce: string[]
    port: number
    getAnnounceOpts?: () => Record<string, unknown>
  }
  /** What `update` and `scrape` events carry: the decoded answer plus these. */
  export interface TrackerAnswer {
    announce: string
    infoHash: string
    complete?: number
    incomplete?: number
    downloaded?: number
    [key: string]: unknown
  }
  class Client extends EventEmitter {
    constructor(opts: ClientOptions)
    start(opts?: Record<string, unknown>): void
    stop(opts?: Record<string, unknown>): void
    complete(opts?: Record<string, unknown>): void
    update(opts?: Record<string, unknown>): void
    scrape(opts?: { infoHash?: string | string[] }): void
    setInterval(ms: number): void
    destroy(cb?: (err: Error | null) => void): void
    on(event: 'update' | 'scrape', listener: (data: TrackerAnswer) => void): this
    on(event: 'peer', listener: (addr: string) => void): this
    on(event: 'warning' | 'error', listener: (err: Error) => void): this
  }
  export default Client
}
