/**
 * A page for content-script tests: a `node:vm` context (its own Object,
 * JSON, Reflect… as a separate page realm has) with just enough DOM for the
 * WebSocket hook and the bridge: EventTarget, Event, CustomEvent,
 * MessageEvent, window.postMessage and a WebSocket whose `send` checks its
 * receiver and state the way the browser's does. The hook is run from its
 * source text, so a dependency on anything outside its body fails here just
 * as it would in `scripting.executeScript`.
 */
import vm from 'node:vm'
import { installWsHook } from '../ws-hook'

export interface SocketRecord {
  url: string
  readyState: number
  sent: unknown[]
}

/**
 * Fresh DOM classes for each page: a page may patch their prototypes, as a
 * real page can, without touching the next test's page.
 */
function makeDom() {
  type Listener = { fn: (ev: FakeEvent) => unknown; capture: boolean }
  const listeners = new WeakMap<object, Map<string, Listener[]>>()

  class FakeEvent {
    readonly type: string
    readonly cancelable: boolean
    defaultPrevented = false
    stopped = false
    readonly isTrusted: boolean
    constructor(type: string, init: { cancelable?: boolean } = {}, trusted = false) {
      this.type = type
      this.cancelable = init.cancelable === true
      this.isTrusted = trusted
    }
    preventDefault(): void {
      if (this.cancelable) this.defaultPrevented = true
    }
    stopImmediatePropagation(): void {
      this.stopped = true
    }
  }

  class FakeCustomEvent extends FakeEvent {
    #detail: unknown
    constructor(type: string, init: { cancelable?: boolean; detail?: unknown } = {}) {
      super(type, init)
      this.#detail = init.detail ?? null
    }
    get detail(): unknown {
      return this.#detail
    }
  }

  class FakeMessageEvent extends FakeEvent {
    #data: unknown
    readonly source: unknown
    constructor(type: string, init: { data?: unknown; source?: unknown } = {}, trusted = false) {
      super(type, {}, trusted)
      this.#data = init.data
      this.source = init.source ?? null
    }
    get data(): unknown {
      return this.#data
    }
  }

  class FakeEventTarget {
    addEventListener(type: string, fn: Listener['fn'], capture?: boolean): void {
      let byType = listeners.get(this)
      if (byType === undefined) listeners.set(this, (byType = new Map<string, Listener[]>()))
      const list = byType.get(type) ?? []
      if (!list.some((l) => l.fn === fn && l.capture === (capture === true))) {
        list.push({ fn, capture: capture === true })
      }
      byType.set(type, list)
    }
    removeEventListener(type: string, fn: Listener['fn'], capture?: boolean): void {
      const list = listeners.get(this)?.get(type)
      if (list === undefined) return
      const i = list.findIndex((l) => l.fn === fn && l.capture === (capture === true))
      if (i >= 0) list.splice(i, 1)
    }
    /** At the target capture listeners run before the others, as in the DOM. */
    dispatchEvent(ev: FakeEvent): boolean {
      const list = [...(listeners.get(this)?.get(ev.type) ?? [])]
      for (const l of [...list.filter((x) => x.capture), ...list.filter((x) => !x.capture)]) {
        if (ev.stopped) break
        l.fn(ev)
      }
      return !ev.defaultPrevented
    }
  }

  const sockets = new WeakMap<object, SocketRecord>()

  class FakeWebSocket extends FakeEventTarget {
    static readonly CONNECTING = 0
    static readonly OPEN = 1
    static readonly CLOSING = 2
    static readonly CLOSED = 3
    constructor(url: string) {
      super()
      sockets.set(this, { url, readyState: 1, sent: [] })
    }
    get url(): string {
      return record(this).url
    }
    get readyState(): number {
      return record(this).readyState
    }
    send(data: unknown): void {
      const r = record(this)
      if (r.readyState === 0) throw new Error('InvalidStateError: still connecting')
      if (r.readyState === 1) r.sent.push(data)
    }
  }

  function record(ws: object): SocketRecord {
    const r = sockets.get(ws)
    if (r === undefined) throw new TypeError('Illegal invocation')
    return r
  }

  return { FakeEvent, FakeCustomEvent, FakeMessageEvent, FakeEventTarget, FakeWebSocket, record }
}

/** What the hook posted to its window, after the browser's structured clone. */
export interface Posted {
  data: unknown
  targetOrigin: string
}

export interface FakePage {
  /** The page's global object, as its own scripts see it. */
  window: Record<string, unknown> & InstanceType<Dom['FakeEventTarget']>
  /** Runs code in the page, as a page script. */
  run(code: string): unknown
  /** Runs the hook from its source text, as executeScript does. */
  installHook(secret: string | null): void
  /** Every postMessage the page made, in order. */
  posted: Posted[]
  /** Delivers the queued posts as `message` events on the window (one task each). */
  deliver(): void
  /** The browser's view of a socket the page created. */
  socket(ws: unknown): SocketRecord
  /** A tracker's reply arriving on a socket: a trusted event. */
  receive(ws: unknown, data: unknown): void
  classes: {
    CustomEvent: Dom['FakeCustomEvent']
  }
}

type Dom = ReturnType<typeof makeDom>

export function createFakePage(): FakePage {
  const { FakeEvent, FakeCustomEvent, FakeMessageEvent, FakeEventTarget, FakeWebSocket, record } =
    makeDom()
  const posted: Posted[] = []
  const queue: Posted[] = []
  const sandbox: Record<string, unknown> = {
    EventTarget: FakeEventTarget,
    Event: FakeEvent,
    CustomEvent: FakeCustomEvent,
    MessageEvent: FakeMessageEvent,
    WebSocket: FakeWebSocket,
    postMessage: (data: unknown, targetOrigin: string) => {
      const p = { data: structuredClone(data), targetOrigin }
      posted.push(p)
      queue.push(p)
    },
  }
  const ctx = vm.createContext(sandbox)
  const win = vm.runInContext('globalThis', ctx) as FakePage['window']
  // The global object is not an instance of the fake class; lend it the methods.
  for (const m of ['addEventListener', 'removeEventListener', 'dispatchEvent'] as const) {
    win[m] = FakeEventTarget.prototype[m].bind(win) as never
  }
  return {
    window: win,
    run: (code: string): unknown => vm.runInContext(code, ctx),
    installHook: (secret) => {
      vm.runInContext(`(${installWsHook.toString()})(${JSON.stringify(secret)})`, ctx)
    },
    posted,
    deliver: () => {
      for (const p of queue.splice(0)) {
        win.dispatchEvent(new FakeMessageEvent('message', { data: p.data, source: win }, true))
      }
    },
    socket: (ws) => record(ws as object),
    receive: (ws, data) => {
      ;(ws as InstanceType<Dom['FakeEventTarget']>).dispatchEvent(
        new FakeMessageEvent('message', { data }, true),
      )
    },
    classes: { CustomEvent: FakeCustomEvent },
  }
}
