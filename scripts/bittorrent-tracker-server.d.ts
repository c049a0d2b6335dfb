// The parts of bittorrent-tracker's server the demo and the browser tests use; the package ships no types.
declare module 'bittorrent-tracker/server' {
  import type { AddressInfo } from 'node:net'

  export interface ServerOptions {
    udp?: boolean
    http?: boolean
    ws?: boolean
    stats?: boolean
    /** The announce interval in ms; WebSocket clients are told a fifth of it. */
    interval?: number
  }

  export default class Server {
    constructor(opts?: ServerOptions)
    ws: { address(): AddressInfo | string | null }
    on(event: string, listener: (...args: never[]) => void): this
    listen(port: number, hostname: string, onListening: () => void): void
    close(cb: () => void): void
  }
}
