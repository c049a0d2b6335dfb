/**
 * The load generator: several `ws` connections, each keeping up to `window`
 * EVENTs in flight (pipelined), timing every EVENT from send to its OK.
 * With `ratePerSecond` it paces the sends instead of saturating the relay.
 */
import { WebSocket } from 'ws'

export interface LoadOptions {
  connections: number
  /** EVENTs in flight per connection. */
  window: number
  /** The run stops here even if OKs are missing. */
  timeLimitMs: number
  /** Total EVENTs per second over all connections; unset sends as fast as the window allows. */
  ratePerSecond?: number
}

export interface LoadResult {
  sent: number
  answered: number
  accepted: number
  /** Accepted per connection: with several relays, connection c went to relay c % relays. */
  acceptedByConnection: number[]
  /** Refusals by their prefix (`blocked`, `invalid`, `error`, …). */
  refused: Record<string, number>
  /** Send-to-OK times of the answered events, in milliseconds, unsorted. */
  latenciesMs: Float64Array
  /** From the first send to the last OK. */
  durationMs: number
  /** From the 10th to the 90th percentile of OK arrival, and the OKs in it. */
  steady: { durationMs: number; answered: number }
  timedOut: boolean
}

export interface Frame {
  id: string
  frame: string
}

/**
 * Sends every frame once and waits for every OK (or the time limit). Given
 * several relay URLs, connection c goes to `url[c % url.length]`.
 */
export async function runLoad(
  url: string | readonly string[],
  frames: readonly Frame[],
  opts: LoadOptions,
): Promise<LoadResult> {
  const urls = typeof url === 'string' ? [url] : url
  const sockets = await Promise.all(
    Array.from({ length: opts.connections }, (_, c) => open(urls[c % urls.length]!)),
  )
  const latencies = new Float64Array(frames.length)
  const okAt = new Float64Array(frames.length)
  const refused: Record<string, number> = {}
  let answered = 0
  let accepted = 0
  const acceptedByConnection = sockets.map(() => 0)
  let sent = 0
  const start = performance.now()
  let timer: NodeJS.Timeout | undefined
  const pacers: NodeJS.Timeout[] = []
  const finished = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(true)
    }, opts.timeLimitMs)
    let open = sockets.length
    sockets.forEach((ws, c) => {
      // Connection c sends frames c, c + C, c + 2C, …
      const mine: number[] = []
      for (let i = c; i < frames.length; i += sockets.length) mine.push(i)
      const index = new Map<string, number>()
      const sentAt = new Map<string, number>()
      let next = 0
      const rate = opts.ratePerSecond
      const pump = (): void => {
        const due =
          rate === undefined
            ? Infinity
            : Math.floor(((performance.now() - start) * rate) / sockets.length / 1000) + 1
        while (next < mine.length && sentAt.size < opts.window && next < due) {
          const i = mine[next++]!
          const f = frames[i]!
          index.set(f.id, i)
          sentAt.set(f.id, performance.now())
          ws.send(f.frame)
          sent++
        }
      }
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString('utf8')) as [string, string, boolean, string]
        if (msg[0] !== 'OK') return
        const t = performance.now()
        const at = sentAt.get(msg[1])
        const i = index.get(msg[1])
        if (at === undefined || i === undefined) return
        sentAt.delete(msg[1])
        latencies[answered] = t - at
        okAt[answered] = t
        answered++
        if (msg[2]) {
          accepted++
          acceptedByConnection[c]!++
        } else {
          const prefix = msg[3].split(':')[0] ?? ''
          refused[prefix] = (refused[prefix] ?? 0) + 1
        }
        if (next === mine.length && sentAt.size === 0) {
          clearInterval(pacer)
          if (--open === 0) resolve(false)
          return
        }
        pump()
      })
      const pacer = setInterval(pump, opts.ratePerSecond === undefined ? 1_000 : 5)
      pacers.push(pacer)
      if (mine.length === 0) {
        clearInterval(pacer)
        if (--open === 0) resolve(false)
      } else pump()
    })
  })
  const timedOut = await finished
  clearTimeout(timer)
  for (const t of pacers) clearInterval(t)
  const end = answered > 0 ? okAt.subarray(0, answered).reduce((a, b) => Math.max(a, b)) : start
  for (const ws of sockets) ws.terminate()
  const arrivals = Float64Array.from(okAt.subarray(0, answered)).sort()
  const lo = Math.floor(answered * 0.1)
  const hi = Math.max(lo, Math.floor(answered * 0.9) - 1)
  return {
    sent,
    answered,
    accepted,
    acceptedByConnection,
    refused,
    latenciesMs: latencies.subarray(0, answered),
    durationMs: end - start,
    steady: { durationMs: (arrivals[hi] ?? 0) - (arrivals[lo] ?? 0), answered: hi - lo },
    timedOut,
  }
}

/** Sends `REQ {kinds:[21000], '#i':[h], limit}` one at a time; times each until EOSE. */
export async function runReqs(
  url: string,
  infoHashes: readonly string[],
  limit: number,
): Promise<{ latenciesMs: Float64Array; events: number }> {
  const ws = await open(url)
  const latencies = new Float64Array(infoHashes.length)
  let events = 0
  for (const [n, h] of infoHashes.entries()) {
    const subId = `q${n}`
    const t0 = performance.now()
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => {
        reject(new Error(`no EOSE for ${subId}`))
      }, 10_000)
      const onMessage = (data: Buffer): void => {
        const msg = JSON.parse(data.toString('utf8')) as unknown[]
        if (msg[1] !== subId) return
        if (msg[0] === 'EVENT') events++
        if (msg[0] === 'EOSE' || msg[0] === 'CLOSED') {
          clearTimeout(timeout)
          ws.off('message', onMessage)
          resolve()
        }
      }
      ws.on('message', onMessage)
      ws.send(JSON.stringify(['REQ', subId, { kinds: [21000], '#i': [h], limit }]))
    })
    latencies[n] = performance.now() - t0
    ws.send(JSON.stringify(['CLOSE', subId]))
  }
  ws.terminate()
  return { latenciesMs: latencies, events }
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      resolve(ws)
    })
    ws.once('error', reject)
  })
}
