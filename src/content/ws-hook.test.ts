import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { handOverSecret } from './ws-bridge'
import { createFakePage, type FakePage } from './testing/fake-page'
import { ANSWER_EVENT_PREFIX, KEY_EVENT, READY_EVENT, SECRET_KEY } from './ws-protocol'

const SECRET = '0123456789abcdef0123456789abcdef'
const TRACKER = 'wss://tracker.test/announce'
// Binary strings as bittorrent-tracker sends them: one char per byte, 0xff and 0x00 included.
const INFO_HASH_BYTES = Buffer.from('ff2b2000' + 'a1'.repeat(16), 'hex')
const PEER_ID = '-WW0300-abcdefghijkl'

const frame = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    action: 'announce',
    info_hash: INFO_HASH_BYTES.toString('latin1'),
    peer_id: PEER_ID,
    uploaded: 10,
    downloaded: 20,
    left: 30,
    event: 'started',
    numwant: 5,
    offers: [
      { offer: { type: 'offer', sdp: 'v=0 o=- 1 IN IP4 192.0.2.7' }, offer_id: 'x'.repeat(20) },
    ],
    ...over,
  })

function openPage(secret: string | null = SECRET): FakePage {
  const page = createFakePage()
  page.installHook(secret)
  page.run(`globalThis.ws = new WebSocket(${JSON.stringify(TRACKER)})`)
  return page
}

function send(page: FakePage, data: string): void {
  page.run(`ws.send(${JSON.stringify(data)})`)
}

const reports = (page: FakePage): unknown[] =>
  page.posted.map((p) => (p.data as Record<string, unknown>).report)

describe('installWsHook', () => {
  it('reports an announce with the info hash in hex, a hash of peer_id and the counters', () => {
    const page = openPage()
    send(page, frame())
    expect(page.posted).toHaveLength(1)
    const data = page.posted[0]!.data as Record<string, unknown>
    expect(Object.keys(data).sort()).toEqual([SECRET_KEY, 'report'].sort())
    expect(data[SECRET_KEY]).toBe(SECRET)
    expect(data.report).toEqual({
      kind: 'announce',
      tracker: TRACKER,
      infoHash: INFO_HASH_BYTES.toString('hex'),
      peer: createHash('sha256').update(PEER_ID, 'latin1').digest('hex'),
      uploaded: 10,
      downloaded: 20,
      left: 30,
      event: 'started',
    })
    // The page's frame reached the socket unchanged.
    expect(page.socket(page.run('ws')).sent).toEqual([frame()])
  })

  it('never forwards the raw peer_id or anything of the SDP offers', () => {
    const page = openPage()
    send(page, frame())
    const flat = JSON.stringify(page.posted)
    expect(flat).not.toContain('abcdefghijkl')
    expect(flat).not.toContain(Buffer.from(PEER_ID).toString('hex'))
    expect(flat).not.toContain('sdp')
    expect(flat).not.toContain('192.0.2.7')
  })

  it('hashes any 20-byte peer_id like SHA-256 does', () => {
    const page = openPage()
    const ids = [
      '\u0000'.repeat(20),
      '\u00ff'.repeat(20),
      String.fromCharCode(...Array.from({ length: 20 }, (_, i) => (i * 37 + 11) % 256)),
    ]
    for (const id of ids) send(page, frame({ peer_id: id }))
    expect(reports(page).map((r) => (r as { peer: string }).peer)).toEqual(
      ids.map((id) => createHash('sha256').update(id, 'latin1').digest('hex')),
    )
  })

  it('passes a missing left as null and a periodic announce as an empty event', () => {
    const page = openPage()
    send(page, frame({ left: null, event: undefined }))
    expect(reports(page)[0]).toMatchObject({ left: null, event: '' })
  })

  it('reports nothing for binary frames, other JSON and WebRTC answers, and sends them all', () => {
    const page = openPage()
    page.run(`ws.send(new Uint8Array([123, 34]).buffer); ws.send(new Uint8Array(4))`)
    for (const other of [
      'hello',
      '{not json',
      JSON.stringify({ action: 'scrape', info_hash: INFO_HASH_BYTES.toString('latin1') }),
      frame({ to_peer_id: 'y'.repeat(20), answer: { type: 'answer', sdp: 'v=0' } }),
      frame({ info_hash: 'short' }),
      frame({ peer_id: '\u0100'.repeat(20) }),
      frame({ uploaded: '10' }),
      JSON.stringify([frame()]),
    ]) {
      send(page, other)
    }
    expect(page.posted).toEqual([])
    expect(page.socket(page.run('ws')).sent).toHaveLength(10)
  })

  it("keeps send's errors for a forged receiver or a connecting socket, and reports nothing", () => {
    const page = openPage()
    const f = JSON.stringify(frame())
    expect(() => page.run(`WebSocket.prototype.send.call({}, ${f})`)).toThrow(/Illegal invocation/)
    expect(() =>
      page.run(`WebSocket.prototype.send.call(Object.create(WebSocket.prototype), ${f})`),
    ).toThrow(/Illegal invocation/)
    const ws = page.run('ws')
    page.socket(ws).readyState = 0
    expect(() => {
      send(page, frame())
    }).toThrow(/InvalidStateError/)
    page.socket(ws).readyState = 3
    send(page, frame())
    expect(page.posted).toEqual([])
  })

  it('leaves the constructor as it was and keeps send looking native', () => {
    const page = createFakePage()
    const before = page.run('[WebSocket, WebSocket.prototype]') as [unknown, unknown]
    page.installHook(SECRET)
    expect(page.run('WebSocket')).toBe(before[0])
    expect(page.run('WebSocket.prototype')).toBe(before[1])
    expect(page.run('new WebSocket("wss://x.test") instanceof WebSocket')).toBe(true)
    expect(
      page.run('[WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]'),
    ).toEqual([0, 1, 2, 3])
    expect(page.run('WebSocket.prototype.send.name')).toBe('send')
    expect(page.run('WebSocket.prototype.send.length')).toBe(1)
    expect(page.run('Function.prototype.toString.call(WebSocket.prototype.send)')).toContain(
      '[native code]',
    )
  })

  it('keeps working after the page replaces the globals it uses', () => {
    const page = openPage()
    page.run(`
      JSON.parse = () => ({ action: 'announce' })
      Reflect.apply = () => { throw new Error('hooked') }
      Object.prototype.hasOwnProperty = () => true
      String.prototype.charCodeAt = () => 300
      Int32Array.prototype.fill = () => { throw new Error('hooked') }
      WeakMap.prototype.get = () => undefined
      EventTarget.prototype.addEventListener = () => { throw new Error('hooked') }
      globalThis.postMessage = () => { throw new Error('hooked') }
      Object.defineProperty(Object.prototype, 'report', { set() { throw new Error('hooked') } })
      Object.defineProperty(Object.prototype, 'apply', { get() { throw new Error('hooked') } })
    `)
    send(page, frame())
    expect(reports(page)).toEqual([expect.objectContaining({ kind: 'announce', uploaded: 10 })])
    page.receive(
      page.run('ws'),
      JSON.stringify({
        action: 'announce',
        info_hash: INFO_HASH_BYTES.toString('latin1'),
        complete: 1,
        incomplete: 0,
        interval: 120,
      }),
    )
    expect(reports(page)[1]).toMatchObject({ kind: 'answer', complete: 1 })
  })

  it('sees nothing a page sends through a WebSocket of its own making', () => {
    const page = createFakePage()
    page.installHook(SECRET)
    page.run(`
      globalThis.WebSocket = class { constructor(u) { this.url = u; this.readyState = 1 } send() {} }
      new WebSocket('wss://fake.test').send(${JSON.stringify(frame())})
    `)
    expect(page.posted).toEqual([])
  })

  it("reports the tracker's answer to an announce that socket carried", () => {
    const page = openPage()
    const ws = page.run('ws')
    const reply = (over: Record<string, unknown> = {}): string =>
      JSON.stringify({
        action: 'announce',
        info_hash: INFO_HASH_BYTES.toString('latin1'),
        complete: 3,
        incomplete: 4,
        interval: 120,
        ...over,
      })
    // Before any announce, the socket has no listener of ours.
    page.receive(ws, reply())
    expect(page.posted).toEqual([])
    send(page, frame())
    page.receive(ws, reply())
    expect(reports(page)[1]).toEqual({
      kind: 'answer',
      tracker: TRACKER,
      infoHash: INFO_HASH_BYTES.toString('hex'),
      interval: 120,
      complete: 3,
      incomplete: 4,
    })
    // Another torrent's answer, a relayed offer, an oversized frame, binary data: nothing.
    page.receive(ws, reply({ info_hash: 'z'.repeat(20) }))
    page.receive(ws, reply({ offer: { type: 'offer', sdp: 'v=0' }, offer_id: 'o'.repeat(20) }))
    page.receive(ws, reply({ padding: 'p'.repeat(2000) }))
    page.receive(ws, new Uint8Array([1, 2]).buffer)
    // A page can dispatch its own MessageEvent on the socket: it is not the tracker's.
    page.run(
      `ws.dispatchEvent(new MessageEvent('message', { data: ${JSON.stringify(reply({ complete: 99 }))} }))`,
    )
    expect(page.posted).toHaveLength(2)
  })

  it('posts nothing while it has no secret', () => {
    const page = openPage(null)
    send(page, frame())
    expect(page.posted).toEqual([])
  })
})

describe('the secret exchange at document_start', () => {
  it('works when the hook runs first', () => {
    const page = createFakePage()
    page.installHook(null)
    handOverSecret(page.window as unknown as EventTarget, SECRET, page.classes.CustomEvent as never)
    page.run(`globalThis.ws = new WebSocket(${JSON.stringify(TRACKER)})`)
    send(page, frame())
    expect((page.posted[0]?.data as Record<string, unknown>)[SECRET_KEY]).toBe(SECRET)
  })

  it('works when the bridge runs first, and the bridge answers only once', () => {
    const page = createFakePage()
    const win = page.window as unknown as EventTarget
    handOverSecret(win, SECRET, page.classes.CustomEvent as never)
    page.installHook(null)
    page.run(`globalThis.ws = new WebSocket(${JSON.stringify(TRACKER)})`)
    send(page, frame())
    expect((page.posted[0]?.data as Record<string, unknown>)[SECRET_KEY]).toBe(SECRET)
    // A page script asking later gets no key.
    const leaked = page.run(`
      const got = []
      addEventListener(${JSON.stringify(KEY_EVENT)}, (e) => got.push(e.detail), true)
      dispatchEvent(new CustomEvent(${JSON.stringify(READY_EVENT)}))
      got
    `)
    expect(leaked).toEqual([])
  })

  it('keeps the first key: a page cannot swap in its own later', () => {
    const page = createFakePage()
    page.installHook(null)
    handOverSecret(page.window as unknown as EventTarget, SECRET, page.classes.CustomEvent as never)
    page.run(
      `dispatchEvent(new CustomEvent(${JSON.stringify(KEY_EVENT)}, { detail: 'f'.repeat(32), cancelable: true }))`,
    )
    page.run(`globalThis.ws = new WebSocket(${JSON.stringify(TRACKER)})`)
    send(page, frame())
    expect((page.posted[0]?.data as Record<string, unknown>)[SECRET_KEY]).toBe(SECRET)
  })
})

describe('replace mode: the in-page answer', () => {
  const counts = { interval: 120, complete: 7, incomplete: 2 }
  const answer = (over: Record<string, unknown> = {}): string =>
    JSON.stringify({
      tracker: TRACKER,
      infoHash: INFO_HASH_BYTES.toString('hex'),
      ...counts,
      ...over,
    })
  const deliver = (page: FakePage, detail: string, secret = SECRET): void => {
    ;(page.window as unknown as EventTarget).dispatchEvent(
      new page.classes.CustomEvent(ANSWER_EVENT_PREFIX + secret, { detail }) as unknown as Event,
    )
  }
  const received = (page: FakePage): unknown[] => page.run('got') as unknown[]
  function listening(): FakePage {
    const page = openPage()
    page.run(
      `globalThis.got = []; ws.addEventListener('message', (e) => got.push(JSON.parse(e.data)))`,
    )
    return page
  }

  it('the literal in the hook matches ws-protocol.ts', () => {
    expect(ANSWER_EVENT_PREFIX).toBe('tseed-ws-answer-')
  })

  it('gives the socket that sent the announce a tracker-shaped reply, once', () => {
    const page = listening()
    send(page, frame())
    deliver(page, answer())
    expect(received(page)).toEqual([
      { action: 'announce', info_hash: INFO_HASH_BYTES.toString('latin1'), ...counts },
    ])
    deliver(page, answer())
    expect(received(page)).toHaveLength(1)
    // Our own dispatch is not a tracker reply: nothing is reported for it.
    expect(reports(page)).toHaveLength(1)
  })

  it('ignores an answer with the wrong secret, for no announce, or out of shape', () => {
    const page = listening()
    deliver(page, answer())
    send(page, frame())
    deliver(page, answer(), 'f'.repeat(32))
    for (const bad of [
      answer({ complete: -1 }),
      answer({ incomplete: 1.5 }),
      answer({ interval: '120' }),
      answer({ complete: 2e9 }),
      answer({ infoHash: 'AB'.repeat(20) }),
      answer({ infoHash: 'ab'.repeat(20) }),
      answer({ tracker: 'wss://other.test/announce' }),
      answer({ padding: 'p'.repeat(600) }),
      'not json',
    ]) {
      deliver(page, bad)
    }
    expect(received(page)).toEqual([])
    deliver(page, answer())
    expect(received(page)).toHaveLength(1)
  })

  it('keeps working after the page replaces the globals it uses', () => {
    const page = listening()
    page.run(`
      JSON.stringify = () => '{"action":"forged"}'
      String.fromCharCode = () => 'x'
      Array.prototype.slice = () => { throw new Error('hooked') }
      EventTarget.prototype.dispatchEvent = () => { throw new Error('hooked') }
    `)
    send(page, frame())
    page.run(`globalThis.got = []`)
    deliver(page, answer())
    expect((page.run('got') as { action: string }[])[0]?.action).toBe('announce')
  })
})
