/**
 * `/transfer`: a small web torrent app on the real WebTorrent bundle, for the
 * demo (`npm start`) and the two-browser e2e test. Nothing in it knows about
 * TSEED; it is what a user would run anyway.
 *
 * - `?tracker=WS_URL&seed=BYTES` generates a file of random bytes and seeds it.
 * - `?tracker=WS_URL&magnet=URI&sha256=HEX` downloads the magnet and, once
 *   done, compares the SHA-256 of what arrived with the seeder's. `&rate=N`
 *   limits the download to N bytes/s, WebTorrent's own throttle: between two
 *   browsers on one machine a few MB arrive in well under a second, before
 *   the client re-announces even once, and a viewer (or a test of growing
 *   counters) wants to see the announces of a download under way.
 *
 * Only the given tracker is used (WebTorrent would add public trackers to a
 * torrent it creates), and no STUN server: both peers are on this machine.
 * `window.transfer` ({@link TransferState}) is what the page shows.
 */
export const TRANSFER_PATH = '/transfer'

export interface TransferState {
  role: 'seed' | 'download'
  name: string | null
  /** File size in bytes, once known. */
  size: number
  infoHash: string | null
  magnet: string | null
  /** SHA-256 (hex) of the file: generated (seeder) or received (downloader, once done). */
  sha256: string | null
  /** Downloader only: the received file's hash equals the `sha256` it was given. */
  intact: boolean | null
  progress: number
  downloaded: number
  uploaded: number
  peers: number
  /** Seeder: seeding. Downloader: every piece received and the hash compared. */
  done: boolean
  errors: string[]
}

export const TRANSFER_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Web torrent app</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:38em;margin:1.5em auto;padding:0 1em;color:#1d2330}
h1{font-size:1.35em;margin:0 0 .2em}
.role{font-weight:600;color:#4b5563;margin:0 0 1em}
dl{display:grid;grid-template-columns:8em 1fr;gap:.25em .75em;margin:0 0 1em}
dt{color:#6b7280}dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
progress{width:100%;height:1.1em}
code{font-size:.85em;background:#f1f3f6;padding:.1em .3em;border-radius:3px;overflow-wrap:anywhere}
.ok{color:#0f7b3f;font-weight:600}.bad{color:#b42318;font-weight:600}
.note{color:#6b7280;font-size:.9em;border-top:1px solid #e5e7eb;padding-top:.8em}
</style></head>
<body><h1>Web torrent app</h1><p class="role" id="role">starting</p>
<progress id="bar" max="1" value="0"></progress>
<dl>
<dt>File</dt><dd id="name">-</dd>
<dt>Info hash</dt><dd><code id="hash">-</code></dd>
<dt>Peers</dt><dd id="peers">0</dd>
<dt>Downloaded</dt><dd id="down">0 B</dd>
<dt>Uploaded</dt><dd id="up">0 B</dd>
<dt>SHA-256</dt><dd id="check">-</dd>
</dl>
<p id="magnet-line" hidden>Magnet: <code id="magnet"></code></p>
<p class="note">An ordinary WebTorrent page: it announces to its WebSocket tracker and trades pieces
with its peers over WebRTC. TSEED reads the announces it sends to the tracker and publishes them,
signed with your seeding key, to your TSEED relays.</p>
<script type="module">
import WebTorrent from '/webtorrent.min.js'
const q = new URLSearchParams(location.search)
const tracker = q.get('tracker')
const seedBytes = Number(q.get('seed') || 0)
const expected = q.get('sha256')
const rate = Number(q.get('rate') || 0)
const s = (window.transfer = { role: seedBytes > 0 ? 'seed' : 'download', name: null, size: 0,
  infoHash: null, magnet: null, sha256: null, intact: null, progress: 0, downloaded: 0,
  uploaded: 0, peers: 0, done: false, errors: [] })
const $ = (id) => document.getElementById(id)
const fail = (e) => s.errors.push(String(e && e.message ? e.message : e))
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')
const sha256 = async (bytes) => hex(await crypto.subtle.digest('SHA-256', bytes))
const bytes = (n) => n < 1e3 ? n + ' B' : n < 1e6 ? (n / 1e3).toFixed(1) + ' kB' : (n / 1e6).toFixed(2) + ' MB'
const client = new WebTorrent({
  tracker: { rtcConfig: { iceServers: [] } },
  ...(rate > 0 ? { downloadLimit: rate } : {}),
})
client.on('error', fail)
const opts = { announce: [tracker], announceList: [[tracker]] }
let torrent = null

const render = () => {
  if (torrent) {
    s.progress = torrent.progress
    s.downloaded = torrent.downloaded
    s.uploaded = torrent.uploaded
    s.peers = torrent.numPeers
  }
  document.title = (s.role === 'seed' ? 'Seeding' : 'Downloading') + ' - Web torrent app'
  $('role').textContent = s.role === 'seed'
    ? (s.done ? 'Seeding a generated file' : 'Generating a file to seed…')
    : (s.done ? 'Downloaded' : torrent && torrent.name ? 'Downloading' : 'Fetching the torrent from peers…') +
      (rate > 0 && !s.done ? ' (limited to ' + bytes(rate) + '/s)' : '')
  $('bar').value = s.progress
  $('name').textContent = s.name ? s.name + ' (' + bytes(s.size) + ')' : '-'
  $('hash').textContent = s.infoHash || '-'
  $('peers').textContent = String(s.peers)
  $('down').textContent = bytes(s.downloaded)
  $('up').textContent = bytes(s.uploaded)
  if (s.magnet && s.role === 'seed') { $('magnet').textContent = s.magnet; $('magnet-line').hidden = false }
  const check = $('check')
  if (s.intact === null) check.textContent = s.sha256 ? s.sha256.slice(0, 16) + '…' : '-'
  else {
    check.textContent = s.intact ? 'matches the seeder\\'s file' : 'differs from the seeder\\'s file'
    check.className = s.intact ? 'ok' : 'bad'
  }
}
setInterval(render, 250)

const watch = (t) => {
  torrent = t
  t.on('warning', (e) => fail('warning: ' + (e && e.message ? e.message : e)))
  t.on('error', fail)
}

if (s.role === 'seed') {
  const data = new Uint8Array(seedBytes)
  for (let o = 0; o < data.length; o += 65536) crypto.getRandomValues(data.subarray(o, o + 65536))
  s.sha256 = await sha256(data)
  s.name = 'random-' + s.sha256.slice(0, 8) + '.bin'
  s.size = data.length
  watch(client.seed(new File([data], s.name), opts, (t) => {
    s.infoHash = t.infoHash
    s.magnet = t.magnetURI
    s.done = true
    render()
  }))
} else {
  const t = client.add(q.get('magnet'), opts)
  watch(t)
  t.on('infoHash', () => { s.infoHash = t.infoHash })
  t.on('metadata', () => {
    s.infoHash = t.infoHash
    s.name = t.name
    s.size = t.length
  })
  t.on('done', async () => {
    try {
      s.sha256 = await sha256(await t.files[0].arrayBuffer())
      s.intact = s.sha256 === expected
      s.done = true
      render()
    } catch (e) { fail(e) }
  })
}
render()
</script></body></html>`
