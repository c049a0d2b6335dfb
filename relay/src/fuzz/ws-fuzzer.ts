/**
 * Drives fuzz frames into a relay over real WebSocket connections and checks
 * every answer against the oracle (frame-oracle.ts): each frame gets the
 * answer it must get (a NOTICE, an OK for its event id, a CLOSED or EOSE for
 * its subscription, nothing, or a closed connection), with a documented
 * NIP-01 prefix, never `error:` for client input, and a forged event is
 * never accepted. Frames are pipelined, a window per connection.
 */
import { WebSocket, type RawData } from 'ws'
import { expectAnswer, prefixOf, type Expectation, type OracleLimits } from './frame-oracle'
import type { FuzzFrame } from './nostr-frames'

export interface WsFuzzOptions {
  url: string
  frames: number
  next: () => FuzzFrame
  limits: OracleLimits
  /** Parallel connections. */
  connections: number
  /** Frames awaiting an answer per connection. */
  window: number
  /** How long a frame may wait for its answer. Default 10 s. */
  answerTimeoutMs?: number
  /**
   * Skip frames the relay answers with silence (a valid CLOSE): under a
   * tight rate limit they may get a NOTICE instead, which the oracle could
   * not tell apart from the next frame's.
   */
  skipSilent?: boolean
}

export interface WsFuzzReport {
  frames: number
  durationMs: number
  /** Answers by kind and prefix: `NOTICE invalid:`, `OK false blocked:`, `close 1009`, … */
  answers: Record<string, number>
  families: Record<string, number>
  violations: number
  /** The first violations, each with its frame (truncated). */
  examples: string[]
  reconnects: number
}

const MAX_EXAMPLES = 30

interface Pending {
  exp: Expectation
  frame: FuzzFrame
}

/** What one connection still waits for. */
class Outstanding {
  readonly notices: Pending[] = []
  readonly oks = new Map<string, Pending[]>()
  readonly reqs = new Map<string, { required: Pending[]; optional: number }>()
  /** Subscriptions this connection ever opened: events for them are expected. */
  readonly subs: Set<string>

  constructor(subs: Set<string> = new Set()) {
    this.subs = subs
  }

  get size(): number {
    let n = this.notices.length
    for (const list of this.oks.values()) n += list.length
    for (const r of this.reqs.values()) n += r.required.length
    return n
  }

  all(): Pending[] {
    return [
      ...this.notices,
      ...[...this.oks.values()].flat(),
      ...[...this.reqs.values()].flatMap((r) => r.required),
    ]
  }
}

/** A report with nothing counted yet, to add runs into. */
export function emptyWsFuzzReport(): WsFuzzReport {
  return {
    frames: 0,
    durationMs: 0,
    answers: {},
    families: {},
    violations: 0,
    examples: [],
    reconnects: 0,
  }
}

/**
 * Runs the fuzz. Resolves with the counts; violations are counted, not
 * thrown, so one run reports everything it found.
 */
export async function runWsFuzz(o: WsFuzzOptions): Promise<WsFuzzReport> {
  const report = emptyWsFuzzReport()
  const count = (bag: Record<string, number>, key: string): void => {
    bag[key] = (bag[key] ?? 0) + 1
  }
  const violation = (what: string, frame?: FuzzFrame): void => {
    report.violations++
    if (report.examples.length < MAX_EXAMPLES) {
      report.examples.push(frame === undefined ? what : `${what}: [${frame.family}] ${show(frame)}`)
    }
  }
  const timeoutMs = o.answerTimeoutMs ?? 10_000
  let left = o.frames
  const started = performance.now()

  const worker = async (): Promise<void> => {
    let conn = await Connection.open(o.url, onMessage)
    let pending = new Outstanding()
    function onMessage(from: Connection, msg: unknown[]): void {
      // A connection given up on may still deliver what it had buffered.
      if (from !== conn) return
      const [type] = msg
      if (type === 'NOTICE') {
        const p = pending.notices.shift()
        const message = String(msg[1])
        count(report.answers, `NOTICE ${prefixOf(message)}`)
        if (p === undefined) {
          violation(`unexpected NOTICE ${JSON.stringify(message)}`)
          return
        }
        checkPrefix(p, message)
      } else if (type === 'OK') {
        const id = String(msg[1])
        const accepted = msg[2] === true
        const message = String(msg[3])
        count(report.answers, `OK ${accepted} ${prefixOf(message)}`.trimEnd())
        const list = pending.oks.get(id) ?? []
        // Frames with one id (an event, its forgeries, an oversized copy) may be answered in
        // any order: an answer goes to the frame it fits best (see bestFit).
        const at = bestFit(list, accepted, prefixOf(message))
        const [p] = list.splice(at, 1)
        if (list.length === 0) pending.oks.delete(id)
        if (p === undefined || p.exp.kind !== 'ok') {
          violation(`unexpected OK for ${id}`)
          return
        }
        if (accepted) {
          // A duplicate is answered by its id, whose hash the relay checks, without
          // verifying the signature again (relay.ts, `duplicate`): nothing is stored or sent.
          const duplicate = prefixOf(message) === 'duplicate:'
          if (!p.exp.mayAccept && !duplicate) {
            violation(`forged event accepted (${message})`, p.frame)
          }
        } else checkPrefix(p, message)
      } else if (type === 'CLOSED' || type === 'EOSE') {
        const subId = String(msg[1])
        const message = type === 'CLOSED' ? String(msg[2]) : ''
        count(report.answers, `${type} ${prefixOf(message)}`.trimEnd())
        const entry = pending.reqs.get(subId)
        const p = entry?.required.shift()
        if (p === undefined) {
          if (entry !== undefined && entry.optional > 0) entry.optional--
          else violation(`unexpected ${type} for ${JSON.stringify(subId)}`)
        } else if (type === 'CLOSED') checkPrefix(p, message)
        if (entry !== undefined && entry.required.length === 0 && entry.optional === 0) {
          pending.reqs.delete(subId)
        }
      } else if (type === 'EVENT') {
        count(report.answers, 'EVENT')
        if (!pending.subs.has(String(msg[1])))
          violation(`EVENT for unknown subscription ${String(msg[1])}`)
      } else {
        count(report.answers, `other ${String(type)}`)
        violation(`unknown relay message ${JSON.stringify(msg).slice(0, 100)}`)
      }
      conn.wake()
    }
    function checkPrefix(p: Pending, message: string): void {
      const prefix = prefixOf(message)
      if (prefix === 'error:') violation(`internal error answered: ${message}`, p.frame)
      else if (!('prefixes' in p.exp) || !p.exp.prefixes.includes(prefix)) {
        violation(
          `answer ${JSON.stringify(message.slice(0, 120))} has an undocumented prefix`,
          p.frame,
        )
      }
    }
    /** Waits until everything sent on this connection was answered. */
    const drain = async (): Promise<void> => {
      const deadline = Date.now() + timeoutMs
      while (pending.size > 0 && Date.now() < deadline && conn.isOpen) await conn.wait(deadline)
      for (const p of pending.all()) violation(`no answer within ${timeoutMs} ms`, p.frame)
      if (!conn.isOpen) violation(`connection closed unexpectedly (${conn.closeCode ?? 'no code'})`)
      // Its subscriptions stay open: events other connections publish may still arrive.
      pending = new Outstanding(pending.subs)
    }
    async function reconnect(): Promise<void> {
      conn.terminate()
      report.reconnects++
      pending = new Outstanding()
      conn = await Connection.open(o.url, onMessage)
    }

    while (left > 0) {
      left--
      const frame = o.next()
      const exp = expectAnswer(frame.text, frame.transport, o.limits, frame.forged)
      if (o.skipSilent === true && exp.kind === 'none') {
        left++
        continue
      }
      report.frames++
      count(report.families, frame.family)
      if (exp.kind === 'close') {
        await drain()
        const code = await conn.sendAndAwaitClose(frame, timeoutMs)
        count(report.answers, `close ${code ?? 'none'}`)
        if (code === undefined || !exp.codes.includes(code)) {
          violation(`expected close ${exp.codes.join('/')}, got ${code ?? 'none'}`, frame)
        }
        await reconnect()
        continue
      }
      const deadline = Date.now() + timeoutMs
      while (pending.size >= o.window && conn.isOpen && Date.now() < deadline) {
        await conn.wait(deadline)
      }
      if (pending.size >= o.window) {
        for (const p of pending.all()) violation(`no answer within ${timeoutMs} ms`, p.frame)
        await reconnect()
      }
      if (!conn.isOpen) {
        violation(`connection closed unexpectedly (${conn.closeCode ?? 'no code'})`, frame)
        await reconnect()
        continue
      }
      register(pending, exp, frame)
      conn.send(frame)
    }
    await drain()
    conn.terminate()
  }

  await Promise.all(Array.from({ length: o.connections }, worker))
  report.durationMs = performance.now() - started
  return report
}

/**
 * Which of the frames waiting on one event id an OK belongs to. An acceptance
 * goes to a frame that may be accepted. A refusal goes to a frame that must
 * not be, rather than to one that may (which may still be accepted later),
 * and among those to the one with the fewest allowed prefixes, so that a
 * narrow expectation (an oversized copy: `invalid:`) is not left for an
 * answer only a wide one fits (`blocked:`). Without any fit, the first.
 */
function bestFit(list: readonly Pending[], accepted: boolean, prefix: string): number {
  let best = -1
  let bestScore = Infinity
  list.forEach((q, i) => {
    if (q.exp.kind !== 'ok') return
    if (accepted) {
      if (q.exp.mayAccept && best < 0) best = i
      return
    }
    if (!q.exp.prefixes.includes(prefix)) return
    const score = (q.exp.mayAccept ? 1000 : 0) + q.exp.prefixes.length
    if (score < bestScore) {
      best = i
      bestScore = score
    }
  })
  return Math.max(0, best)
}

function register(pending: Outstanding, exp: Expectation, frame: FuzzFrame): void {
  const p: Pending = { exp, frame }
  switch (exp.kind) {
    case 'notice':
      pending.notices.push(p)
      return
    case 'ok': {
      const list = pending.oks.get(exp.id)
      if (list === undefined) pending.oks.set(exp.id, [p])
      else list.push(p)
      return
    }
    case 'req': {
      pending.subs.add(exp.subId)
      const entry = pending.reqs.get(exp.subId)
      if (entry === undefined) {
        pending.reqs.set(exp.subId, { required: [p], optional: 0 })
        return
      }
      // A REQ replaces an open subscription of the same id; the earlier one may end unanswered.
      entry.optional += entry.required.length
      entry.required = [p]
      return
    }
    case 'none': {
      // A CLOSE may end a subscription before its EOSE.
      const subId = (JSON.parse(frame.text) as unknown[])[1] as string
      const entry = pending.reqs.get(subId)
      if (entry !== undefined) {
        entry.optional += entry.required.length
        entry.required = []
      }
      return
    }
    case 'close':
      return
  }
}

/** One fuzzing WebSocket with a way to wait for its next message. */
class Connection {
  closeCode: number | undefined
  private waiter: (() => void) | undefined

  private constructor(private readonly ws: WebSocket) {}

  static open(
    url: string,
    onMessage: (from: Connection, msg: unknown[]) => void,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
      const conn = new Connection(ws)
      ws.on('message', (data: RawData) => {
        onMessage(conn, JSON.parse(rawText(data)) as unknown[])
      })
      ws.on('close', (code: number) => {
        conn.closeCode = code
        conn.wake()
      })
      ws.on('error', () => undefined)
      ws.once('open', () => {
        resolve(conn)
      })
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`relay refused the connection: HTTP ${res.statusCode ?? '?'}`))
      })
      ws.once('close', () => {
        reject(new Error('connection closed before it opened'))
      })
    })
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Resolves on the next message or close, or at `deadline` (ms since epoch). */
  wait(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))
      this.waiter = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  send(frame: FuzzFrame): void {
    if (frame.transport === 'binary') {
      this.ws.send(Buffer.from(frame.text, 'utf8'), { binary: true })
    } else if (frame.transport === 'fragmented') {
      const bytes = Buffer.from(frame.text, 'utf8')
      const parts = Math.min(frame.fragments ?? 2, Math.max(1, bytes.length))
      const size = Math.ceil(bytes.length / parts)
      for (let at = 0; at < bytes.length; at += size) {
        const fin = at + size >= bytes.length
        this.ws.send(bytes.subarray(at, at + size), { binary: false, fin })
      }
    } else if (frame.transport === 'bad-utf8') {
      this.ws.send(frame.bytes ?? Buffer.alloc(0), { binary: false })
    } else {
      this.ws.send(frame.text)
    }
  }

  /** Sends a frame that must make the relay close the connection; resolves with the code. */
  async sendAndAwaitClose(frame: FuzzFrame, timeoutMs: number): Promise<number | undefined> {
    const closed = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => {
        resolve(undefined)
      }, timeoutMs)
      this.ws.once('close', (code: number) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
    this.send(frame)
    return closed
  }

  terminate(): void {
    this.ws.terminate()
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

function show(frame: FuzzFrame): string {
  const t = frame.transport === 'bad-utf8' ? (frame.bytes?.toString('hex') ?? '') : frame.text
  const s = JSON.stringify(t)
  return s.length > 200
    ? `${s.slice(0, 200)}… (${t.length} chars, ${frame.transport})`
    : `${s} (${frame.transport})`
}
