/**
 * The client side of `npm run bench -- --only clients`, in a process of its
 * own so that its CPU is measured apart from the relay's:
 * `tsx bench/clients-child.ts <config.json>`.
 *
 * Opens `clients` WebSocket connections, each with one subscription
 * (`REQ {"kinds":[21000],"#i":[3 swarms],"limit":10}`); the first
 * `publishers.length` of them also publish a signed announce every
 * `intervalMs` (random phase), each in its own session, and time each `OK`.
 * `slowReader` adds one more client that subscribes to a busy swarm and never
 * reads (slow-reader.ts), asking for that swarm's history again every
 * `reqEveryMs` so the relay's output for it keeps growing.
 *
 * Prints `PHASE <name> <ms>` lines as it goes, `DROPPED <ms>` when the slow
 * reader's connection is gone, and `RESULT <json>` ({@link ClientsResult}) at
 * the end.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import type { NostrEvent } from 'nostr-tools/core'
import { loadNostrWasm } from '../relay/src/core/verifier'
import { toEventTemplate } from '../src/nostr/kind21000'
import { swarmHash } from './plan'
import { connectSlowReader } from './slow-reader'
import { percentile } from './stats'

export interface ClientsConfig {
  url: string
  clients: number
  /** Client i < publishers.length publishes with publishers[i]. */
  publishers: { sk: string; swarm: number; role: 'downloader' | 'seeder' }[]
  /** Client i subscribes to these swarm indexes. */
  subscriptions: number[][]
  seconds: number
  intervalMs: number
  slowReader?: { swarm: number; afterMs: number; reqEveryMs: number }
}

export interface PublisherResult {
  sent: number
  answered: number
  accepted: number
  p50: number
  p99: number
}

export interface ClientsResult {
  connectMs: number
  subscribeMs: number
  /** Stored events received before EOSE, over all clients. */
  storedDelivered: number
  publishers: PublisherResult[]
  refused: Record<string, number>
  /** Live events received by subscribers, and how many the accepted announces should have produced. */
  delivered: number
  expectedDeliveries: number
  errors: { connect: number; error: number; closed: number }
  /** OKs still missing when the run ended. */
  unanswered: number
  slow?: { startedAtMs: number; reqs: number; droppedAfterMs: number | null }
  /** OKs that took over 100 ms: [ms into publishing when it arrived, latency]. */
  slowOks: [number, number][]
  /** This process's event-loop delay while publishing, ms beyond the 10 ms timer. */
  loopDelay: { p50: number; p99: number; max: number }
  /** Half-seconds in which that delay passed 50 ms: [ms into publishing, longest stall]. */
  loopStalls: [number, number][]
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ClientsConfig
const nw = await loadNostrWasm()
const t0 = performance.now()
const phase = (name: string): void => {
  process.stdout.write(`PHASE ${name} ${Math.round(performance.now() - t0)}\n`)
}

const errors = { connect: 0, error: 0, closed: 0 }
let ending = false

interface Client {
  ws: WebSocket
  eose: Promise<void>
  live: number
  stored: number
}

function open(i: number): Promise<Client> {
  const ws = new WebSocket(config.url, { perMessageDeflate: false })
  let eosed = false
  let onEose: () => void = () => undefined
  const c: Client = {
    ws,
    eose: new Promise<void>((r) => (onEose = r)),
    live: 0,
    stored: 0,
  }
  ws.on('message', (data: Buffer) => {
    // Only the frame's start is looked at: parsing every delivered event
    // would make the clients, not the relay, the bottleneck.
    const head = data.toString('latin1', 0, 12)
    if (head.startsWith('["EVENT"')) {
      if (eosed) c.live++
      else c.stored++
    } else if (head.startsWith('["EOSE"')) {
      eosed = true
      onEose()
    } else if (head.startsWith('["OK"')) {
      onOk(i, JSON.parse(data.toString('utf8')) as [string, string, boolean, string])
    }
  })
  ws.on('error', () => {
    errors.error++
  })
  ws.on('close', () => {
    if (!ending) errors.closed++
  })
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      resolve(c)
    })
    ws.once('error', (err) => {
      errors.connect++
      reject(err)
    })
  })
}

// Publishing state, per publisher.
const pubs = config.publishers.map((p) => ({
  sk: Buffer.from(p.sk, 'hex'),
  swarm: p.swarm,
  role: p.role,
  session: randomBytes(16).toString('hex'),
  n: 0,
  sentAt: new Map<string, number>(),
  latencies: [] as number[],
  sent: 0,
  accepted: 0,
}))
const refused: Record<string, number> = {}
const subscribersOf = new Map<number, number>()
for (const subs of config.subscriptions) {
  for (const s of subs) subscribersOf.set(s, (subscribersOf.get(s) ?? 0) + 1)
}
let expectedDeliveries = 0
const slowOks: [number, number][] = []
let publishStart = 0

function onOk(i: number, msg: [string, string, boolean, string]): void {
  const p = pubs[i]
  const at = p?.sentAt.get(msg[1])
  if (p === undefined || at === undefined) return
  p.sentAt.delete(msg[1])
  const now = performance.now()
  p.latencies.push(now - at)
  if (now - at > 100) slowOks.push([Math.round(now - publishStart), Math.round(now - at)])
  if (msg[2]) {
    p.accepted++
    if (msg[3] === '') expectedDeliveries += subscribersOf.get(p.swarm) ?? 0
  } else {
    const prefix = msg[3].split(':')[0] ?? ''
    refused[prefix] = (refused[prefix] ?? 0) + 1
  }
}

function publish(i: number, c: Client): void {
  const p = pubs[i]!
  p.n++
  const template = toEventTemplate(
    {
      infoHash: swarmHash(p.swarm),
      // Counters grow through the session: a downloader is charged for each
      // new megabyte, a seeder claims for what it uploaded.
      uploaded: p.role === 'seeder' ? BigInt(p.n) * 2_000_000n : 0n,
      downloaded: p.role === 'seeder' ? 0n : BigInt(p.n) * 1_000_000n,
      left: p.role === 'seeder' ? 0n : 500_000_000n,
      session: p.session,
      port: 6881,
      event: p.n === 1 ? 'started' : undefined,
    },
    Math.floor(Date.now() / 1000),
  )
  const ev = { ...template } as NostrEvent
  nw.finalizeEvent(ev, p.sk)
  p.sentAt.set(ev.id, performance.now())
  p.sent++
  c.ws.send(JSON.stringify(['EVENT', ev]))
}

// 1. Connect, a few dozen handshakes at a time.
const clients: Client[] = []
for (let i = 0; i < config.clients; i += 50) {
  const batch = await Promise.allSettled(
    Array.from({ length: Math.min(50, config.clients - i) }, (_, j) => open(i + j)),
  )
  for (const r of batch) if (r.status === 'fulfilled') clients.push(r.value)
}
const connectMs = performance.now() - t0
phase('connected')

// 2. Subscribe, and wait for every EOSE.
const t1 = performance.now()
clients.forEach((c, i) => {
  const swarms = config.subscriptions[i] ?? []
  c.ws.send(
    JSON.stringify(['REQ', 'sub', { kinds: [21000], '#i': swarms.map(swarmHash), limit: 10 }]),
  )
})
await Promise.all(clients.map((c) => c.eose))
const subscribeMs = performance.now() - t1
phase('subscribed')

// 3. Publish for `seconds`, with the slow reader joining after `afterMs`.
const timers: NodeJS.Timeout[] = []
const start = performance.now()
publishStart = start
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
const tick = monitorEventLoopDelay({ resolution: 10 })
tick.enable()
const loopStalls: [number, number][] = []
const beyondTimer = (ns: number): number => Math.max(0, ns / 1e6 - 10)
const stallTimer = setInterval(() => {
  const worst = beyondTimer(tick.max)
  tick.reset()
  if (worst > 50) loopStalls.push([Math.round(performance.now() - start), Math.round(worst)])
}, 500)
phase('publish')
clients.slice(0, pubs.length).forEach((c, i) => {
  const first = setTimeout(() => {
    publish(i, c)
    timers.push(
      setInterval(() => {
        publish(i, c)
      }, config.intervalMs),
    )
  }, Math.random() * config.intervalMs)
  timers.push(first)
})
let slow: ClientsResult['slow']
const slowDone = (async () => {
  const s = config.slowReader
  if (s === undefined) return
  await new Promise((r) => setTimeout(r, s.afterMs))
  let reader: Awaited<ReturnType<typeof connectSlowReader>>
  try {
    reader = await connectSlowReader(config.url)
  } catch (err) {
    process.stderr.write(`slow reader: ${String(err)}\n`)
    errors.connect++
    return
  }
  const startedAt = performance.now()
  const result = { startedAtMs: startedAt - start, reqs: 0, droppedAfterMs: null as number | null }
  slow = result
  const ask = (): void => {
    // The same subscription id each time: the relay replaces the
    // subscription and sends the swarm's stored announces again.
    reader.send(['REQ', 'slow', { kinds: [21000], '#i': [swarmHash(s.swarm)], limit: 500 }])
    result.reqs++
  }
  ask()
  const timer = setInterval(ask, s.reqEveryMs)
  timers.push(timer)
  void reader.dropped.then((at) => {
    clearInterval(timer)
    result.droppedAfterMs = at - startedAt
    process.stdout.write(`DROPPED ${Math.round(at - t0)}\n`)
  })
})()
await new Promise((r) => setTimeout(r, config.seconds * 1000))
for (const t of timers) clearTimeout(t)
loop.disable()
clearInterval(stallTimer)
await slowDone
phase('drain')
// Answers still on their way.
const drainUntil = performance.now() + 5_000
while (pubs.some((p) => p.sentAt.size > 0) && performance.now() < drainUntil) {
  await new Promise((r) => setTimeout(r, 50))
}
await new Promise((r) => setTimeout(r, 500))
ending = true

const result: ClientsResult = {
  connectMs,
  subscribeMs,
  storedDelivered: clients.reduce((sum, c) => sum + c.stored, 0),
  publishers: pubs.map((p) => {
    const xs = Float64Array.from(p.latencies)
    return {
      sent: p.sent,
      answered: p.latencies.length,
      accepted: p.accepted,
      p50: percentile(xs, 50),
      p99: percentile(xs, 99),
    }
  }),
  refused,
  delivered: clients.reduce((sum, c) => sum + c.live, 0),
  expectedDeliveries,
  errors,
  unanswered: pubs.reduce((sum, p) => sum + p.sentAt.size, 0),
  slow,
  slowOks,
  loopDelay: {
    p50: beyondTimer(loop.percentile(50)),
    p99: beyondTimer(loop.percentile(99)),
    max: beyondTimer(loop.max),
  },
  loopStalls,
}
for (const c of clients) c.ws.terminate()
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
process.exit(0)
