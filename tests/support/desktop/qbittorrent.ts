/**
 * qBittorrent as a desktop client under test: Debian's qbittorrent-nox (4.5),
 * headless, driven by its Web API. It must run inside the private network
 * namespace: it otherwise fetches a geolocation database from the internet.
 *
 * The profile's settings, and why:
 * - `LegalNotice\Accepted`: otherwise it waits for a keypress on stdin.
 * - `WebUI\LocalHostAuth=false`: the Web API answers 127.0.0.1 without a login.
 * - `MultiConnectionsPerIp` and `Encryption=2` (off): every peer here is
 *   127.0.0.1, and without them other clients' handshakes go unanswered.
 * - DHT, PeX, LSD and UPnP off, though a private torrent disables the first
 *   three anyway.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { start, waitFor, type Child } from './processes'

export interface QbtTorrent {
  hash: string
  progress: number
  state: string
  uploaded: number
  downloaded: number
}

export interface QBittorrent {
  child: Child
  add(torrentFile: string, savePath: string): Promise<void>
  torrents(): Promise<QbtTorrent[]>
  /** Pauses a torrent: libtorrent sends its `stopped` announce. */
  pause(hash: string): Promise<void>
  /** The torrent's trackers and their last message, for diagnostics. */
  trackers(hash: string): Promise<unknown>
  close(): Promise<void>
}

export async function startQBittorrent(
  dir: string,
  ports: { webui: number; peer: number },
): Promise<QBittorrent> {
  const config = join(dir, 'qBittorrent', 'config')
  mkdirSync(config, { recursive: true })
  writeFileSync(
    join(config, 'qBittorrent.conf'),
    [
      '[LegalNotice]',
      'Accepted=true',
      '',
      '[BitTorrent]',
      `Session\\Port=${ports.peer}`,
      'Session\\MultiConnectionsPerIp=true',
      'Session\\Encryption=2',
      'Session\\DHTEnabled=false',
      'Session\\PeXEnabled=false',
      'Session\\LSDEnabled=false',
      'Session\\AnonymousModeEnabled=false',
      '',
      '[Preferences]',
      `WebUI\\Port=${ports.webui}`,
      'WebUI\\Address=127.0.0.1',
      'WebUI\\LocalHostAuth=false',
      'WebUI\\CSRFProtection=false',
      'Connection\\UPnP=false',
      'Connection\\ResolvePeerCountries=false',
      'General\\Locale=en',
      '',
    ].join('\n'),
  )
  const child = start('qbittorrent-nox', [`--profile=${dir}`, `--webui-port=${ports.webui}`])
  const api = `http://127.0.0.1:${ports.webui}/api/v2`
  await waitFor(
    'qbittorrent-nox Web API',
    async () => ((await fetch(`${api}/app/version`)).ok ? true : undefined),
    30_000,
  )
  const post = async (path: string, body: FormData | URLSearchParams): Promise<void> => {
    const res = await fetch(`${api}${path}`, { method: 'POST', body })
    if (!res.ok) throw new Error(`qBittorrent ${path}: HTTP ${res.status} ${await res.text()}`)
  }
  return {
    child,
    async add(torrentFile, savePath) {
      const form = new FormData()
      form.append('torrents', new Blob([readFileSync(torrentFile)]), basename(torrentFile))
      form.append('savepath', savePath)
      await post('/torrents/add', form)
    },
    async torrents() {
      const res = await fetch(`${api}/torrents/info`)
      return (await res.json()) as QbtTorrent[]
    },
    pause: (hash) => post('/torrents/pause', new URLSearchParams({ hashes: hash })),
    async trackers(hash) {
      const res = await fetch(`${api}/torrents/trackers?hash=${hash}`)
      return (await res.json()) as unknown
    },
    async close() {
      await post('/app/shutdown', new URLSearchParams()).catch(() => undefined)
      await child.stop()
    },
  }
}
