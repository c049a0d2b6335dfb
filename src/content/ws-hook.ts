/**
 * The MAIN-world WebSocket hook: sees the JSON announces a web torrent client
 * sends to a WebSocket tracker and the tracker's replies, and posts a reduced
 * copy to the isolated-world bridge (ws-bridge.ts).
 *
 * `installWsHook` is deliberately one self-contained function that uses
 * nothing from outside its body, not even the constants of ws-protocol.ts:
 * the background passes this very function to `scripting.executeScript` for
 * tabs that were open before the extension was installed, and the browser
 * serialises it to source text, which drops every closure. ws-hook.test.ts
 * runs it from its source text to keep it that way.
 *
 * The page shares this world and may replace any global or prototype method
 * after we ran, so every built-in used later is captured here at injection
 * (at document_start, that is before any page script) and called through the captured
 * `Reflect.apply`. Property reads on JSON.parse results only touch own data
 * properties. A page that breaks what we captured can at worst hide its own
 * sockets from us; it cannot make us report a frame no real socket sent.
 *
 * The constructor is left untouched, so `WebSocket` keeps its identity,
 * `prototype`, `instanceof`, static constants and `toString`. Only
 * `WebSocket.prototype.send` is replaced by a Proxy of itself (its
 * `toString` still reads as native code), and a socket gets a `message`
 * listener once it has carried an announce: tracker replies only ever follow
 * an announce on the same socket.
 *
 * @param given The per-page secret when the background injects the hook into
 *   a live page; null at document_start, where the secret comes from the
 *   bridge through a synchronous event exchange (see ws-bridge.ts).
 */
export function installWsHook(given: string | null): void {
  const g = globalThis as unknown as Window & typeof globalThis
  const WS = g.WebSocket
  if (typeof WS !== 'function') return
  /* eslint-disable @typescript-eslint/unbound-method -- captured now, called later through `apply` with an explicit receiver */
  const R = Reflect
  const apply = R.apply
  const getDesc = Object.getOwnPropertyDescriptor
  const defineProperty = Object.defineProperty
  const create = Object.create as (p: null) => Record<string, unknown>
  const hasOwn = Object.prototype.hasOwnProperty
  const parse = JSON.parse
  const stringify = JSON.stringify
  const fromCharCode = String.fromCharCode
  const isSafeInteger = Number.isSafeInteger
  const MessageEventC = g.MessageEvent
  const charCodeAt = String.prototype.charCodeAt
  const I32 = Int32Array
  const ProxyC = Proxy
  const WeakMapC = WeakMap
  const wmGet = WeakMapC.prototype.get
  const wmSet = WeakMapC.prototype.set
  const addListener = EventTarget.prototype.addEventListener
  const removeListener = EventTarget.prototype.removeEventListener
  const dispatch = EventTarget.prototype.dispatchEvent
  const preventDefault = Event.prototype.preventDefault
  const detailGet = getDesc(CustomEvent.prototype, 'detail')?.get
  const dataGet = getDesc(MessageEvent.prototype, 'data')?.get
  const postMessage = g.postMessage
  const proto = WS.prototype
  const sendDesc = getDesc(proto, 'send')
  const urlGet = getDesc(proto, 'url')?.get
  const stateGet = getDesc(proto, 'readyState')?.get
  const origSend = sendDesc?.value as unknown
  /* eslint-enable @typescript-eslint/unbound-method */
  if (
    sendDesc === undefined ||
    typeof origSend !== 'function' ||
    urlGet === undefined ||
    stateGet === undefined ||
    detailGet === undefined ||
    dataGet === undefined
  ) {
    return
  }

  /** Announces with up to ten SDP offers fit; anything longer is other traffic. */
  const MAX_SENT_CHARS = 262144
  /** Tracker replies are ~100 chars; relayed offers (SDP) are longer and never parsed. */
  const MAX_REPLY_CHARS = 1024
  const HEX = '0123456789abcdef'
  const K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]

  let secret = given
  /** Per socket: the info hashes (hex) it announced, so only their replies are reported. */
  const announced = new WeakMapC<object, Record<string, unknown>>()
  /**
   * Replace mode: the latest announces waiting for the TSEED relays' counts,
   * by socket URL and info hash; each is answered at most once.
   */
  const MAX_PENDING = 64
  const MAX_ANSWER_CHARS = 512
  const MAX_COUNT = 1e9
  let pending: { ws: object; tracker: unknown; infoHash: string }[] = []

  const own = (o: object, k: string): unknown =>
    apply(hasOwn, o, [k]) ? (o as Record<string, unknown>)[k] : undefined

  /** A 20-char "binary string" (bittorrent-tracker's info_hash and peer_id) as bytes. */
  const binary20 = (v: unknown): Int32Array | undefined => {
    if (typeof v !== 'string' || v.length !== 20) return undefined
    const out = new I32(20)
    for (let i = 0; i < 20; i++) {
      const c = apply(charCodeAt, v, [i])
      if (c > 255) return undefined
      out[i] = c
    }
    return out
  }

  const hex = (words: Int32Array, bytesPerWord: 1 | 4): string => {
    let s = ''
    for (let i = 0; i < words.length; i++) {
      const w = words[i] ?? 0
      for (let shift = (bytesPerWord - 1) * 8; shift >= 0; shift -= 8) {
        const b = (w >>> shift) & 255
        s += (HEX[b >> 4] ?? '') + (HEX[b & 15] ?? '')
      }
    }
    return s
  }

  /**
   * SHA-256 of at most 55 bytes (one block), written out because the page
   * may be an insecure context without `crypto.subtle`, which is async and
   * page-replaceable anyway.
   */
  const sha256 = (bytes: Int32Array): string => {
    const w = new I32(64)
    const put = (i: number, byte: number): void => {
      w[i >> 2] = (w[i >> 2] ?? 0) | (byte << (24 - (i % 4) * 8))
    }
    for (let i = 0; i < bytes.length; i++) put(i, bytes[i] ?? 0)
    put(bytes.length, 0x80)
    w[15] = bytes.length * 8
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15] ?? 0
      const b = w[i - 2] ?? 0
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
      w[i] = ((w[i - 16] ?? 0) + s0 + (w[i - 7] ?? 0) + s1) | 0
    }
    const H = new I32([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
      0x5be0cd19,
    ])
    let a = H[0] ?? 0
    let b = H[1] ?? 0
    let c = H[2] ?? 0
    let d = H[3] ?? 0
    let e = H[4] ?? 0
    let f = H[5] ?? 0
    let h6 = H[6] ?? 0
    let h7 = H[7] ?? 0
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h7 + S1 + ((e & f) ^ (~e & h6)) + (K[i] ?? 0) + (w[i] ?? 0)) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h7 = h6
      h6 = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    const out = new I32([a, b, c, d, e, f, h6, h7])
    for (let i = 0; i < 8; i++) out[i] = ((out[i] ?? 0) + (H[i] ?? 0)) | 0
    return hex(out, 4)
  }

  const post = (report: Record<string, unknown>): void => {
    if (secret === null) return
    apply(postMessage, g, [{ __tseedWs: secret, report }, '*'])
  }

  const parseObject = (text: string): object | undefined => {
    if (apply(charCodeAt, text, [0]) !== 123) return undefined // '{'
    let msg: unknown
    try {
      msg = parse(text)
    } catch {
      return undefined
    }
    return typeof msg === 'object' && msg !== null ? msg : undefined
  }

  const count = (v: unknown): number | null => (typeof v === 'number' ? v : null)

  const onReply = (ws: object, ev: Event): void => {
    // Only the browser's own events: a page can dispatch a made-up MessageEvent on a socket.
    if (!ev.isTrusted) return
    const data = apply(dataGet, ev, []) as unknown
    if (typeof data !== 'string' || data.length > MAX_REPLY_CHARS) return
    const msg = parseObject(data)
    if (msg === undefined || own(msg, 'action') !== 'announce') return
    if (own(msg, 'offer') !== undefined || own(msg, 'answer') !== undefined) return
    const ih = binary20(own(msg, 'info_hash'))
    const mine = apply(wmGet, announced, [ws]) as Record<string, unknown> | undefined
    if (ih === undefined || mine === undefined) return
    const infoHash = hex(ih, 1)
    if (mine[infoHash] !== 1) return
    const interval = count(own(msg, 'interval'))
    const complete = count(own(msg, 'complete'))
    const incomplete = count(own(msg, 'incomplete'))
    if (interval === null && complete === null && incomplete === null) return
    post({
      kind: 'answer',
      tracker: apply(urlGet, ws, []),
      infoHash,
      interval,
      complete,
      incomplete,
    })
  }

  const onSent = (ws: object, args: ArrayLike<unknown>): void => {
    if (secret === null || args.length < 1) return
    const data = args[0]
    if (typeof data !== 'string' || data.length < 2 || data.length > MAX_SENT_CHARS) return
    // CLOSING and CLOSED sockets drop what is sent; CONNECTING ones already threw.
    if (apply(stateGet, ws, []) !== 1) return
    const msg = parseObject(data)
    if (msg === undefined || own(msg, 'action') !== 'announce') return
    // WebRTC answers to other peers carry no counters; their SDP is never read.
    if (own(msg, 'answer') !== undefined || own(msg, 'to_peer_id') !== undefined) return
    const uploaded = own(msg, 'uploaded')
    const downloaded = own(msg, 'downloaded')
    const left = own(msg, 'left')
    const event = own(msg, 'event')
    if (typeof uploaded !== 'number' || typeof downloaded !== 'number') return
    if (left !== null && typeof left !== 'number') return
    if (event !== undefined && typeof event !== 'string') return
    const ih = binary20(own(msg, 'info_hash'))
    const peerId = binary20(own(msg, 'peer_id'))
    if (ih === undefined || peerId === undefined) return
    const infoHash = hex(ih, 1)
    let mine = apply(wmGet, announced, [ws]) as Record<string, unknown> | undefined
    if (mine === undefined) {
      mine = create(null)
      apply(wmSet, announced, [ws, mine])
      apply(addListener, ws, [
        'message',
        (ev: Event) => {
          try {
            onReply(ws, ev)
          } catch {
            // Never disturb the page's own listeners.
          }
        },
      ])
    }
    mine[infoHash] = 1
    const tracker = apply(urlGet, ws, []) as unknown
    pending[pending.length] = { ws, tracker, infoHash }
    if (pending.length > MAX_PENDING) pending = without(pending, 0)
    post({
      kind: 'announce',
      tracker: apply(urlGet, ws, []),
      infoHash,
      peer: sha256(peerId),
      uploaded,
      downloaded,
      left,
      event: event ?? '',
    })
  }

  /**
   * The bridge relays the background's answer for an announce of a
   * replace-mode site. It is checked here again (the detail is the only
   * thing read), then given to the socket that sent the announce as a
   * tracker reply: `{"action":"announce","info_hash":…,"interval":…,"complete":…,"incomplete":…}`.
   */
  const onAnswer = (ev: Event): void => {
    const detail = apply(detailGet, ev, []) as unknown
    if (typeof detail !== 'string' || detail.length > MAX_ANSWER_CHARS) return
    const a = parseObject(detail)
    if (a === undefined) return
    const tracker = own(a, 'tracker')
    const infoHash = own(a, 'infoHash')
    const nums = [own(a, 'interval'), own(a, 'complete'), own(a, 'incomplete')]
    for (let i = 0; i < 3; i++) {
      const n = nums[i]
      if (typeof n !== 'number' || !isSafeInteger(n) || n < 0 || n > MAX_COUNT) return
    }
    if (typeof infoHash !== 'string' || infoHash.length !== 40) return
    let at = -1
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]
      if (p !== undefined && p.tracker === tracker && p.infoHash === infoHash) {
        at = i
        break
      }
    }
    const p = pending[at]
    if (p === undefined) return
    pending = without(pending, at)
    let binary = ''
    for (let i = 0; i < 40; i += 2) {
      const hi = nibble(apply(charCodeAt, infoHash, [i]))
      const lo = nibble(apply(charCodeAt, infoHash, [i + 1]))
      if (hi < 0 || lo < 0) return
      binary += fromCharCode(hi * 16 + lo)
    }
    const data = stringify({
      action: 'announce',
      info_hash: binary,
      interval: nums[0],
      complete: nums[1],
      incomplete: nums[2],
    })
    apply(dispatch, p.ws, [new MessageEventC('message', { data })])
  }
  /** 0–15 for a lowercase hex digit's char code, else -1. */
  const nibble = (c: number): number =>
    c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1
  /** A copy of `list` without index `at`, by plain loops: the page may replace Array methods. */
  function without<T>(list: T[], at: number): T[] {
    const out: T[] = []
    for (let i = 0; i < list.length; i++) {
      if (i !== at) out[out.length] = list[i] as T
    }
    return out
  }
  const listenForAnswers = (key: string): void => {
    apply(addListener, g, [
      'tseed-ws-answer-' + key,
      (ev: Event) => {
        try {
          onAnswer(ev)
        } catch {
          // A broken answer is dropped; the page never sees an error of ours.
        }
      },
      true,
    ])
  }

  const handler = create(null)
  handler.apply = (target: (...a: unknown[]) => unknown, self: object, args: unknown[]) => {
    // The real send first: for a `this` that is not a WebSocket, or one still
    // connecting, it throws to the page exactly as before and nothing is seen.
    const result = apply(target, self, args)
    try {
      onSent(self, args)
    } catch {
      // Observing must never break the page's send.
    }
    return result
  }
  const descriptor = create(null)
  descriptor.value = new ProxyC(origSend, handler)
  descriptor.writable = sendDesc.writable
  descriptor.enumerable = sendDesc.enumerable
  descriptor.configurable = sendDesc.configurable
  defineProperty(proto, 'send', descriptor as PropertyDescriptor)

  if (secret !== null) {
    listenForAnswers(secret)
    return
  }
  // document_start: no page script has run yet, so these synchronous events
  // reach only the bridge. The first key wins; the listener then goes away.
  const onKey = (ev: Event): void => {
    const key = apply(detailGet, ev, []) as unknown
    if (secret !== null || typeof key !== 'string' || key.length !== 32) return
    secret = key
    listenForAnswers(key)
    apply(preventDefault, ev, [])
    apply(removeListener, g, ['tseed-ws-key', onKey, true])
  }
  apply(addListener, g, ['tseed-ws-key', onKey, true])
  apply(dispatch, g, [new CustomEvent('tseed-ws-ready')])
}
