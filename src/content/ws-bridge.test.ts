import { describe, expect, it } from 'vitest'
import { BRIDGE_GLOBAL, GIVEN_SECRET_GLOBAL, type BridgeMarker } from './bridge-handover'
import { createFakePage } from './testing/fake-page'
import { createTokenBucket } from './token-bucket'
import {
  createBridgeFilter,
  readReport,
  replaceAnswer,
  startWsBridge,
  type BridgeMessage,
  type BridgeRuntime,
  type MessageEventLike,
} from './ws-bridge'
import {
  BRIDGE_BURST,
  SECRET_KEY,
  WS_TRACKER_ROUTE,
  type HookAnnounce,
  type HookReport,
} from './ws-protocol'

const SECRET = 'a'.repeat(32)
const WIN = { name: 'this frame' }

const announce = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: 'announce',
  tracker: 'wss://tracker.test/announce',
  infoHash: 'ab'.repeat(20),
  peer: 'cd'.repeat(32),
  uploaded: 1,
  downloaded: 2,
  left: 3,
  event: 'started',
  ...over,
})

function event(data: unknown, source: unknown = WIN) {
  let stopped = false
  const ev: MessageEventLike = {
    source,
    data,
    stopImmediatePropagation: () => {
      stopped = true
    },
  }
  return { ev, stopped: () => stopped }
}

function setup(capacity = 5) {
  const sent: BridgeMessage[] = []
  let now = 0
  const filter = createBridgeFilter({
    window: WIN,
    secret: SECRET,
    limiter: createTokenBucket({ capacity, refillPerSecond: 1, now: () => now }),
    send: (m) => sent.push(m),
  })
  const judge = (data: unknown, source: unknown = WIN) => {
    const e = event(data, source)
    return { verdict: filter(e.ev), stopped: e.stopped() }
  }
  return {
    sent,
    judge,
    advance: (ms: number) => {
      now += ms
    },
  }
}

const ours = (report: unknown, secret: unknown = SECRET) => ({ [SECRET_KEY]: secret, report })

describe('createBridgeFilter', () => {
  it('forwards a report from its own hook as a copy, and hides it from the page', () => {
    const s = setup()
    const report = announce()
    expect(s.judge(ours(report))).toEqual({ verdict: 'sent', stopped: true })
    expect(s.sent).toEqual([{ type: WS_TRACKER_ROUTE, params: announce() }])
    report.uploaded = 999
    expect((s.sent[0]?.params as HookAnnounce).uploaded).toBe(1)
    expect(s.sent[0]?.params).not.toBe(report)
  })

  it("leaves the page's own messages alone", () => {
    const s = setup()
    for (const data of ['hello', 42, null, { type: 'page' }, [SECRET_KEY]]) {
      expect(s.judge(data)).toEqual({ verdict: 'not-ours', stopped: false })
    }
    expect(s.sent).toEqual([])
  })

  it('refuses a message from another window, even with the right secret', () => {
    const s = setup()
    expect(s.judge(ours(announce()), { name: 'a child frame' })).toEqual({
      verdict: 'wrong-source',
      stopped: false,
    })
    expect(s.judge(ours(announce()), null).verdict).toBe('wrong-source')
    expect(s.sent).toEqual([])
  })

  it('refuses a wrong or guessed secret', () => {
    const s = setup()
    for (const secret of ['b'.repeat(32), SECRET.slice(1), SECRET + 'a', '', 0, null, [SECRET]]) {
      expect(s.judge(ours(announce(), secret))).toEqual({ verdict: 'wrong-secret', stopped: false })
    }
    expect(s.sent).toEqual([])
  })

  it('refuses malformed reports', () => {
    const s = setup(100)
    const malformed: unknown[] = [
      { ...ours(announce()), extra: 1 },
      { [SECRET_KEY]: SECRET },
      ours(null),
      ours('announce'),
      ours([announce()]),
      ours(announce({ kind: 'offer' })),
      ours(announce({ tracker: 'https://tracker.test/announce' })),
      ours(announce({ infoHash: 'AB'.repeat(20) })),
      ours(announce({ infoHash: 'ab'.repeat(19) })),
      ours(announce({ peer: 'xyz' })),
      ours(announce({ uploaded: -1 })),
      ours(announce({ downloaded: 1.5 })),
      ours(announce({ left: '3' })),
      ours(announce({ uploaded: 2 ** 53 })),
      ours(announce({ event: 5 })),
      ours({ ...announce(), offers: [] }),
      ours({
        kind: 'answer',
        tracker: 'wss://t.test',
        infoHash: 'ab'.repeat(20),
        complete: -1,
        incomplete: null,
        interval: null,
      }),
    ]
    for (const data of malformed) expect(s.judge(data).verdict).toBe('malformed')
    expect(s.sent).toEqual([])
  })

  it('refuses oversized fields', () => {
    const s = setup(100)
    const huge = 'wss://t.test/' + 'a'.repeat(1 << 20)
    for (const report of [
      announce({ tracker: huge }),
      announce({ infoHash: 'ab'.repeat(1000) }),
      announce({ peer: 'cd'.repeat(1000) }),
      announce({ event: 'started'.repeat(10) }),
    ]) {
      expect(s.judge(ours(report)).verdict).toBe('oversize')
    }
    expect(s.sent).toEqual([])
  })

  it('rate-limits what passes, and recovers with time', () => {
    const s = setup(5)
    const verdicts = Array.from({ length: 8 }, () => s.judge(ours(announce())).verdict)
    expect(verdicts).toEqual([
      ...Array<string>(5).fill('sent'),
      ...Array<string>(3).fill('rate-limited'),
    ])
    s.advance(1_000)
    expect(s.judge(ours(announce())).verdict).toBe('sent')
    expect(s.sent).toHaveLength(6)
  })

  it('forwards a tracker answer', () => {
    const s = setup()
    const answer = {
      kind: 'answer',
      tracker: 'ws://127.0.0.1:9000',
      infoHash: 'ab'.repeat(20),
      interval: 120,
      complete: 1,
      incomplete: null,
    }
    expect(s.judge(ours(answer)).verdict).toBe('sent')
    expect(s.sent[0]?.params).toEqual(answer)
  })
})

describe('readReport', () => {
  it('accepts an unknown left and a periodic announce', () => {
    expect(readReport(announce({ left: null, event: '' }))).toMatchObject({ left: null, event: '' })
  })
})

function runtime(): BridgeRuntime & {
  messages: unknown[]
  id: string | undefined
  fail: boolean
  reply: unknown
} {
  const r = {
    messages: [] as unknown[],
    id: 'ext' as string | undefined,
    fail: false,
    reply: { ok: true } as unknown,
    sendMessage(m: unknown) {
      if (r.fail) return Promise.reject(new Error('Extension context invalidated.'))
      r.messages.push(m)
      return Promise.resolve(r.reply)
    },
  }
  return r
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('startWsBridge with the real hook in a page', () => {
  function start(globals: Record<string, unknown> = {}) {
    const page = createFakePage()
    const rt = runtime()
    let n = 0
    const begin = () => {
      startWsBridge({
        window: page.window as unknown as Window,
        CustomEvent: page.classes.CustomEvent as never,
        globals,
        runtime: rt,
        now: () => 0,
        randomBytes: (k) => new Uint8Array(k).map(() => ++n),
      })
    }
    return { page, rt, begin, globals }
  }

  const announceFrame = JSON.stringify({
    action: 'announce',
    info_hash: '\u00ff'.repeat(20),
    peer_id: '-WW0300-abcdefghijkl',
    uploaded: 0,
    downloaded: 0,
    left: 0,
    event: 'started',
  })

  it("passes the hook's reports to the background, and the page never sees them", () => {
    const s = start()
    s.begin()
    s.page.installHook(null)
    s.page.run(`
      globalThis.seen = []
      addEventListener('message', (e) => seen.push(e.data), true)
      globalThis.ws = new WebSocket('wss://tracker.test')
      ws.send(${JSON.stringify(announceFrame)})
      postMessage('the page talking to itself', '*')
    `)
    s.page.deliver()
    expect(s.rt.messages).toEqual([
      {
        type: WS_TRACKER_ROUTE,
        params: expect.objectContaining({ kind: 'announce', infoHash: 'ff'.repeat(20) }) as unknown,
      },
    ])
    expect(s.page.run('seen')).toEqual(['the page talking to itself'])
  })

  it('ignores what a page forges with a guessed secret', () => {
    const s = start()
    s.begin()
    s.page.installHook(null)
    s.page.run(`
      for (let i = 0; i < 1000; i++) {
        postMessage({ ${SECRET_KEY}: i.toString(16).padStart(32, '0'), report: ${JSON.stringify(announce())} }, '*')
      }
    `)
    s.page.deliver()
    expect(s.rt.messages).toEqual([])
  })

  it('caps a page that floods its own socket at the burst', () => {
    const s = start()
    s.begin()
    s.page.installHook(null)
    s.page.run(`
      globalThis.ws = new WebSocket('wss://tracker.test')
      for (let i = 0; i < ${BRIDGE_BURST + 50}; i++) ws.send(${JSON.stringify(announceFrame)})
    `)
    s.page.deliver()
    expect(s.rt.messages).toHaveLength(BRIDGE_BURST)
  })

  it('uses a secret the background handed over, without any page-visible exchange', () => {
    const given = 'c'.repeat(32)
    const s = start({ [GIVEN_SECRET_GLOBAL]: given })
    s.page.run(`
      globalThis.keys = []
      addEventListener('tseed-ws-key', (e) => keys.push(e.detail), true)
    `)
    s.begin()
    expect(s.page.run('keys')).toEqual([])
    expect(s.globals[GIVEN_SECRET_GLOBAL]).toBeUndefined()
    s.page.installHook(given)
    s.page.run(`new WebSocket('wss://tracker.test').send(${JSON.stringify(announceFrame)})`)
    s.page.deliver()
    expect(s.rt.messages).toHaveLength(1)
  })

  it('marks itself alive, and stops listening once the extension is gone', async () => {
    const s = start()
    s.begin()
    s.page.installHook(null)
    const marker = s.globals[BRIDGE_GLOBAL] as BridgeMarker
    expect(marker.alive()).toBe(true)
    s.rt.id = undefined
    s.rt.fail = true
    expect(marker.alive()).toBe(false)
    s.page.run(`globalThis.ws = new WebSocket('wss://tracker.test')`)
    s.page.run(`ws.send(${JSON.stringify(announceFrame)})`)
    s.page.deliver()
    await flush()
    s.rt.fail = false
    s.page.run(`ws.send(${JSON.stringify(announceFrame.replace('"left":0', '"left":1'))})`)
    s.page.deliver()
    expect(s.rt.messages).toEqual([])
  })
})

describe('replace mode through the bridge', () => {
  const report: HookAnnounce = {
    kind: 'announce',
    tracker: 'wss://tracker.test/',
    infoHash: 'ff'.repeat(20),
    peer: 'a'.repeat(64),
    uploaded: 0,
    downloaded: 0,
    left: 5,
    event: 'started',
  }
  const counts = { interval: 120, complete: 3, incomplete: 1 }

  it('takes the three counts from a replace reply, and the socket and torrent from the report', () => {
    expect(replaceAnswer(report, { ok: true, data: { replace: counts } })).toEqual({
      tracker: report.tracker,
      infoHash: report.infoHash,
      ...counts,
    })
    expect(
      replaceAnswer(report, {
        ok: true,
        data: { replace: { ...counts, tracker: 'wss://evil.test', infoHash: '00'.repeat(20) } },
      }),
    ).toEqual({ tracker: report.tracker, infoHash: report.infoHash, ...counts })
  })

  it('takes nothing else', () => {
    for (const reply of [
      { ok: true, data: null },
      { ok: true },
      { ok: false, error: 'x', data: { replace: counts } },
      { ok: true, data: { replace: { ...counts, complete: -1 } } },
      { ok: true, data: { replace: { ...counts, interval: '120' } } },
      { ok: true, data: { replace: { interval: 1, complete: 1 } } },
      'ok',
      null,
    ]) {
      expect(replaceAnswer(report, reply)).toBeUndefined()
    }
    const answer: HookReport = {
      kind: 'answer',
      tracker: report.tracker,
      infoHash: report.infoHash,
      interval: 1,
      complete: 1,
      incomplete: 1,
    }
    expect(replaceAnswer(answer, { ok: true, data: { replace: counts } })).toBeUndefined()
  })

  it("hands the background's counts to the hook, which answers on the page's socket", async () => {
    const page = createFakePage()
    const rt = runtime()
    rt.reply = { ok: true, data: { replace: counts } }
    let n = 0
    startWsBridge({
      window: page.window as unknown as Window,
      CustomEvent: page.classes.CustomEvent as never,
      globals: {},
      runtime: rt,
      now: () => 0,
      randomBytes: (k) => new Uint8Array(k).map(() => ++n),
    })
    page.installHook(null)
    page.run(`
      globalThis.got = []
      globalThis.ws = new WebSocket('wss://tracker.test/')
      ws.addEventListener('message', (e) => got.push(JSON.parse(e.data)))
      ws.send(${JSON.stringify(
        JSON.stringify({
          action: 'announce',
          info_hash: '\u00ff'.repeat(20),
          peer_id: '-WW0300-abcdefghijkl',
          uploaded: 0,
          downloaded: 0,
          left: 5,
          event: 'started',
        }),
      )})
    `)
    page.deliver()
    await flush()
    expect(page.run('got')).toEqual([
      { action: 'announce', info_hash: '\u00ff'.repeat(20), ...counts },
    ])
  })
})
