/**
 * Transmission as a desktop client under test: Debian's transmission-daemon,
 * driven over the JSON-RPC that transmission-remote speaks. DHT, local peer
 * discovery, uTP and port mapping are off; the torrents are private anyway.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { start, waitFor, type Child } from './processes'

export interface TransmissionTorrent {
  id: number
  hashString: string
  percentDone: number
  uploadedEver: number
  downloadedEver: number
  /** 0 stopped, 4 downloading, 6 seeding, other values in between. */
  status: number
  trackerStats: { lastAnnounceResult: string; lastAnnounceSucceeded: boolean }[]
}

export interface Transmission {
  child: Child
  add(torrentFile: string, downloadDir: string): Promise<number>
  torrents(): Promise<TransmissionTorrent[]>
  /** Stops a torrent: the client sends its `stopped` announce with its final counters. */
  stopTorrent(id: number): Promise<void>
  close(): Promise<void>
}

/**
 * `address` is the loopback address it listens, connects and announces from:
 * each client has its own, as on separate machines. Transmission accepts one
 * incoming handshake per address at a time, so clients sharing 127.0.0.1
 * block each other's connections.
 */
export async function startTransmission(
  dir: string,
  address: string,
  ports: { rpc: number; peer: number },
): Promise<Transmission> {
  const config = join(dir, 'config')
  const downloads = join(dir, 'downloads')
  mkdirSync(config, { recursive: true })
  mkdirSync(downloads, { recursive: true })
  const child = start('transmission-daemon', [
    '--foreground',
    '--config-dir',
    config,
    '--port',
    String(ports.rpc),
    '--rpc-bind-address',
    '127.0.0.1',
    '--no-auth',
    '--peerport',
    String(ports.peer),
    '--bind-address-ipv4',
    address,
    '--download-dir',
    downloads,
    '--no-incomplete-dir',
    '--no-dht',
    '--no-lpd',
    '--no-utp',
    '--no-portmap',
    '--encryption-preferred',
    '--log-info',
  ])
  const url = `http://127.0.0.1:${ports.rpc}/transmission/rpc`
  let session = ''
  const rpc = async (method: string, args: Record<string, unknown>): Promise<unknown> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'X-Transmission-Session-Id': session, 'Content-Type': 'application/json' },
        body: JSON.stringify({ method, arguments: args }),
      })
      // The first call of a session is answered 409 with the id to send (CSRF protection).
      if (res.status === 409) {
        session = res.headers.get('x-transmission-session-id') ?? ''
        continue
      }
      const body = (await res.json()) as { result: string; arguments: unknown }
      if (body.result !== 'success') throw new Error(`transmission ${method}: ${body.result}`)
      return body.arguments
    }
    throw new Error(`transmission ${method}: no session id`)
  }
  await waitFor('transmission-daemon RPC', () => rpc('session-get', {}), 20_000)
  return {
    child,
    async add(torrentFile, downloadDir) {
      const r = (await rpc('torrent-add', {
        filename: torrentFile,
        'download-dir': downloadDir,
      })) as { 'torrent-added'?: { id: number }; 'torrent-duplicate'?: { id: number } }
      const t = r['torrent-added'] ?? r['torrent-duplicate']
      if (t === undefined) throw new Error('transmission did not add the torrent')
      return t.id
    },
    async torrents() {
      const r = (await rpc('torrent-get', {
        fields: [
          'id',
          'hashString',
          'percentDone',
          'uploadedEver',
          'downloadedEver',
          'status',
          'trackerStats',
        ],
      })) as { torrents: TransmissionTorrent[] }
      return r.torrents
    },
    async stopTorrent(id) {
      await rpc('torrent-stop', { ids: [id] })
    },
    close: () => child.stop(),
  }
}
