import {
  startWebTorrentSite as startSite,
  type WebTorrentSite,
} from '../../../scripts/webtorrent-site'

export type { WebTorrentSite }

/** The web torrent app of the WebSocket announce tests, with their pages. */
export function startWebTorrentSite(): Promise<WebTorrentSite> {
  return startSite({ pages: PAGES })
}

/**
 * `/app?tracker=…&seed=N&leech=M`: seeds N random bytes, and adds the
 * metadata of another M random bytes that nobody seeds, so it announces as a
 * downloader with `left` = M. (WebTorrent counts the bytes it holds as
 * `downloaded`, so the seed announces `downloaded` = N.) The two are different swarms, so no WebRTC
 * connection between peers is ever attempted (only offers are created, with
 * no STUN server); `window.app` exposes what the page saw.
 */
const APP = `<!doctype html><html><head><meta charset="utf-8"><title>Web torrent app</title></head>
<body><h1>Web torrent app</h1><p id="status">starting</p>
<script type="module">
import WebTorrent from '/webtorrent.min.js'
const q = new URLSearchParams(location.search)
const tracker = q.get('tracker')
const app = (window.app = { seeded: null, leeching: null, answers: {}, errors: [] })
const randomFile = (size, name) => {
  const bytes = new Uint8Array(size)
  for (let o = 0; o < size; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536))
  return new File([bytes], name)
}
// No STUN: offers are made for the tracker, never used to reach the network.
const client = (app.client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } }))
client.on('error', (e) => app.errors.push(String(e && e.message ? e.message : e)))
const track = (torrent) => {
  torrent.on('trackerAnnounce', () => {
    app.answers[torrent.infoHash] = (app.answers[torrent.infoHash] || 0) + 1
  })
  torrent.on('warning', (e) => app.errors.push('warning: ' + String(e && e.message ? e.message : e)))
}
window.seed = (size) =>
  new Promise((done) => {
    const t = client.seed(randomFile(size, 'seed-' + size + '.bin'), { announce: [tracker] }, (torrent) => {
      done(torrent.infoHash)
    })
    track(t)
  })
// A download nobody can serve: a .torrent made here by hand (single file, SHA-1 pieces), so
// no chunk store ever holds its data and the client starts with everything left.
const enc = new TextEncoder()
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
const bencode = (v) => {
  if (typeof v === 'number') return enc.encode('i' + v + 'e')
  if (typeof v === 'string') return bencode(enc.encode(v))
  if (v instanceof Uint8Array) return concat([enc.encode(v.length + ':'), v])
  return concat([enc.encode('d'), ...Object.keys(v).sort().flatMap((k) => [bencode(k), bencode(v[k])]), enc.encode('e')])
}
window.leech = async (size) => {
  const data = new Uint8Array(await randomFile(size, 'x').arrayBuffer())
  const pieceLength = 16384
  const hashes = []
  for (let o = 0; o < size; o += pieceLength) {
    hashes.push(new Uint8Array(await crypto.subtle.digest('SHA-1', data.subarray(o, o + pieceLength))))
  }
  const info = { length: size, name: 'leech-' + size + '.bin', 'piece length': pieceLength, pieces: concat(hashes) }
  const torrentFile = bencode({ announce: tracker, info })
  return new Promise((done) => {
    const t = client.add(torrentFile, { announce: [tracker] }, (torrent) => done(torrent.infoHash))
    track(t)
  })
}
const seed = Number(q.get('seed') || 0)
const leech = Number(q.get('leech') || 0)
;(async () => {
  if (seed > 0) app.seeded = await window.seed(seed)
  if (leech > 0) app.leeching = await window.leech(leech)
  document.getElementById('status').textContent = 'running'
})().catch((e) => app.errors.push(String(e)))
</script></body></html>`

/**
 * `/hostile?tracker=…`: a page that attacks the hook and the bridge, then
 * makes one honest announce on a real socket. `window.hostile` holds the info
 * hashes it used and what it saw.
 */
const HOSTILE = `<!doctype html><html><head><meta charset="utf-8"><title>Hostile page</title></head>
<body><h1>Hostile page</h1>
<script>
const tracker = new URLSearchParams(location.search).get('tracker')
const rand = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('')
const forgedSecrets = new Set()
const guess = () => { const s = rand(16); forgedSecrets.add(s); return s }
const bin = (hex) => hex.replace(/../g, (x) => String.fromCharCode(parseInt(x, 16)))
const frame = (hex) => JSON.stringify({ action: 'announce', info_hash: bin(hex), peer_id: '-XX0001-' + rand(6),
  uploaded: 0, downloaded: 0, left: 1000, event: 'started', numwant: 0 })
const report = (hex) => ({ kind: 'announce', tracker, infoHash: hex, peer: rand(32), uploaded: 0,
  downloaded: 0, left: 1000, event: 'started' })
const h = (window.hostile = { forged: rand(20), ownKey: rand(20), fakeClass: rand(20), fakeThis: rand(20),
  connecting: rand(20), closed: rand(20), real: rand(20), iframe: rand(20), leakedKeys: [], errors: [],
  leakedSecrets: [], answer: null, done: false })
// Any hook message this page could read would give the secret away.
addEventListener('message', (e) => {
  const s = e.data && e.data.__tseedWs
  if (typeof s === 'string' && !forgedSecrets.has(s)) h.leakedSecrets.push(s)
}, true)
const RealWS = WebSocket
const parse = JSON.parse

// Guessed secrets, in a flood; an oversized report; malformed ones.
for (let i = 0; i < 2000; i++) postMessage({ __tseedWs: guess(), report: report(h.forged) }, '*')
postMessage({ __tseedWs: guess(), report: { ...report(h.forged), tracker: 'wss://t.test/' + 'a'.repeat(5e6) } }, '*')
for (const bad of [null, 'x', [report(h.forged)], { ...report(h.forged), kind: 'scrape' }]) {
  postMessage({ __tseedWs: guess(), report: bad }, '*')
}

// Ask for the key, and offer the hook one of its own.
addEventListener('tseed-ws-key', (e) => {
  if (!forgedSecrets.has(String(e.detail))) h.leakedKeys.push(String(e.detail))
}, true)
dispatchEvent(new CustomEvent('tseed-ws-ready'))
const mine = guess()
dispatchEvent(new CustomEvent('tseed-ws-key', { detail: mine, cancelable: true }))
for (let i = 0; i < 50; i++) postMessage({ __tseedWs: mine, report: report(h.ownKey) }, '*')

// Its own WebSocket class; the real send on things that are no open socket.
window.WebSocket = class { constructor(u) { this.url = u; this.readyState = 1 } send() {} }
new WebSocket(tracker).send(frame(h.fakeClass))
for (const self of [{}, Object.create(RealWS.prototype)]) {
  try { RealWS.prototype.send.call(self, frame(h.fakeThis)) } catch (e) { h.errors.push(e.name) }
}
const early = new RealWS(tracker)
try { early.send(frame(h.connecting)) } catch (e) { h.errors.push(e.name) }

// Replace the built-ins a hook would use.
JSON.parse = () => ({ action: 'announce' })
Reflect.apply = () => { throw new Error('hooked') }
Object.prototype.hasOwnProperty = () => true
String.prototype.charCodeAt = () => 300
window.postMessage = () => {}

// A pristine WebSocket from a fresh about:blank frame: still a real socket.
const f = document.createElement('iframe')
document.body.appendChild(f)
const FrameWS = f.contentWindow.WebSocket
const fromFrame = new FrameWS(tracker)
fromFrame.onopen = () => fromFrame.send(frame(h.iframe))

// A closed socket sends nothing; then one honest announce on a real, open socket.
early.onopen = () => {
  early.close()
  early.send(frame(h.closed))
  const ws = new RealWS(tracker)
  ws.onmessage = (e) => { h.answer = parse(e.data); h.done = true }
  ws.onopen = () => ws.send(frame(h.real))
}
</script></body></html>`

const PAGES: Record<string, string> = {
  '/app': APP,
  '/hostile': HOSTILE,
  '/blank':
    '<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head><body></body></html>',
}
