/**
 * `npm run bench -- --only clients [--clients 1000] [--seconds 60]`: many
 * concurrent clients on the TSEED relay. The relay runs as a child process
 * (relay-child.ts, with its own per-connection limits except the number of
 * connections per address) on a prebuilt database (stored-db.ts) in which
 * a third of the clients' keys are funded; the clients run in another child
 * (clients-child.ts), so the CPU of each side is measured apart. This process
 * only samples both from /proc.
 *
 * Reported: relay RSS over time, OK latency per publishing client and the
 * worst one, live events delivered against those expected, client errors,
 * CPU per process, and when the relay dropped the client that never reads.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadNostrWasm } from '../relay/src/core/verifier'
import { Ledger } from '../relay/src/ledger/ledger'
import { openDatabase } from '../relay/src/store/database'
import type { ClientsConfig, ClientsResult } from './clients-child'
import { fundDatabase } from './fund'
import { coresUsed, cpuSnapshot, memory, type CpuSnapshot } from './proc'
import type { ChildOptions } from './relay-child'
import { fmt, percentile } from './stats'
import { prepareStored } from './stored'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const RELAY_CHILD = fileURLToPath(new URL('./relay-child.ts', import.meta.url))
const CLIENTS_CHILD = fileURLToPath(new URL('./clients-child.ts', import.meta.url))

/** Swarms the clients publish to and subscribe to; swarm 0 is the busy one. */
const ACTIVE_SWARMS = 100
const BUSY_SWARM = 0

export interface ClientsStageOptions {
  clients: number
  seconds: number
  threads: number
  /** Announces stored before the run; the busy swarm holds one in 100 of them. */
  stored: number
  storedSign: boolean
  /** A folder for the database and the clients' configuration. */
  dir: string
}

export interface ClientsReport {
  options: ClientsStageOptions
  result: ClientsResult
  samples: { s: number; relayRssMiB: number; clientsRssMiB: number; relayClients?: number }[]
  relayRssMaxMiB: number
  relayRssEndMiB: number
  cpu: { relayMain: number; relayOthers: number; clients: number }
  droppedAt?: {
    s: number
    relayRssMiB: number
    relayClientsBefore?: number
    relayClientsAfter?: number
  }
  relayStats: unknown
  audit: string
  /** Relay event-loop stalls over 50 ms while publishing: [s into publishing, ms]. */
  relayStalls: [number, number][]
}

interface Lines {
  proc: ChildProcess
  exited: Promise<number | null>
}

/** Runs `node --import tsx <script> ...args`, handing each stdout line to `onLine`. */
function run(script: string, args: string[], onLine: (line: string) => void): Lines {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let buf = ''
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl: number
    while ((nl = buf.indexOf('\n')) !== -1) {
      onLine(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
    }
  })
  const exited = new Promise<number | null>((done) => proc.once('exit', done))
  return { proc, exited }
}

export async function runClientsStage(o: ClientsStageOptions): Promise<ClientsReport> {
  const db = join(o.dir, 'clients.sqlite')
  const plan = await prepareStored(db, o.stored, o.storedSign)

  // A third of the clients publish, alternately as funded downloaders (each
  // announce is charged) and seeders (each records an upload claim).
  const nw = await loadNostrWasm()
  const publishers: ClientsConfig['publishers'] = Array.from(
    { length: Math.floor(o.clients / 3) },
    (_, i) => ({
      sk: randomBytes(32).toString('hex'),
      // One publisher in ten announces on the busy swarm.
      swarm: i % 10 === 0 ? BUSY_SWARM : 1 + (i % (ACTIVE_SWARMS - 1)),
      role: i % 2 === 0 ? 'downloader' : 'seeder',
    }),
  )
  const funded = publishers
    .filter((p) => p.role === 'downloader')
    .map((p) => Buffer.from(nw.getPublicKey(Buffer.from(p.sk, 'hex'))).toString('hex'))
  fundDatabase(db, funded)
  const subscriptions = Array.from({ length: o.clients }, (_, i) => [
    ...new Set([i % ACTIVE_SWARMS, (i * 7 + 3) % ACTIVE_SWARMS, (i * 13 + 5) % ACTIVE_SWARMS]),
  ])
  const config: ClientsConfig = {
    url: '',
    clients: o.clients,
    publishers,
    subscriptions,
    seconds: o.seconds,
    intervalMs: 3_000,
    slowReader: {
      swarm: BUSY_SWARM,
      afterMs: Math.min(5_000, (o.seconds * 1000) / 4),
      reqEveryMs: 50,
    },
  }

  const childOptions: ChildOptions = {
    // Every client comes from 127.0.0.1; the relay's other limits stay as shipped.
    maxConnectionsPerIp: o.clients + 50,
    defaultLimits: true,
    ticksMs: 500,
  }
  let relayStats: unknown
  const ticks: { at: number; clients: number; loopMaxMs: number }[] = []
  let onReady: (url: string) => void = () => undefined
  const ready = new Promise<string>((r) => (onReady = r))
  const relay = run(
    RELAY_CHILD,
    ['tseed', String(o.threads), db, 'normal', JSON.stringify(childOptions)],
    (line) => {
      const [word, ...rest] = line.split(' ')
      const json = rest.join(' ')
      if (word === 'READY') onReady(json)
      if (word === 'TICK') {
        const t = JSON.parse(json) as { at: number; clients: number; loopMaxMs: number }
        ticks.push({ at: t.at, clients: t.clients, loopMaxMs: t.loopMaxMs })
      }
      if (word === 'STATS') relayStats = JSON.parse(json)
    },
  )
  const failed = relay.exited.then((code) => {
    throw new Error(`relay child exited with ${code} before READY`)
  })
  const relayUrl = await Promise.race([ready, failed])
  const relayPid = relay.proc.pid!
  config.url = relayUrl
  const configPath = join(o.dir, 'clients.json')
  writeFileSync(configPath, JSON.stringify(config))
  console.info(
    `clients: ${fmt(o.clients)} clients (${fmt(publishers.length)} publishing one announce every ` +
      `${config.intervalMs / 1000} s), ${o.seconds} s, relay at ${relayUrl} with at most ` +
      `${fmt(childOptions.maxConnectionsPerIp ?? 0)} connections per address, default per-connection limits, ` +
      `send queue bound 8 MiB (maxBufferedBytes default)`,
  )

  const t0 = performance.now()
  const samples: ClientsReport['samples'] = []
  let result: ClientsResult | undefined
  let publishAt: { relay: CpuSnapshot; clients: CpuSnapshot } | undefined
  let drainAt: { relay: CpuSnapshot; clients: CpuSnapshot } | undefined
  let droppedAt: ClientsReport['droppedAt']
  let publishWall: number | undefined
  const clients = run(CLIENTS_CHILD, [configPath], (line) => {
    const [word, arg, ...rest] = line.split(' ')
    const clientsPid = clients.proc.pid!
    if (word === 'PHASE') {
      console.info(`  clients: ${arg} at ${fmt(Number(rest[0]) / 1000, 1)} s`)
      const snap = { relay: cpuSnapshot(relayPid), clients: cpuSnapshot(clientsPid) }
      if (arg === 'publish') {
        publishAt = snap
        publishWall = Date.now()
      }
      if (arg === 'drain') drainAt = snap
    }
    if (word === 'DROPPED') {
      const at = performance.now()
      droppedAt = { s: (at - t0) / 1000, relayRssMiB: memory(relayPid).rssMiB }
      console.info(`  slow reader dropped at ${fmt(droppedAt.s, 1)} s`)
    }
    if (word === 'RESULT') result = JSON.parse([arg, ...rest].join(' ')) as ClientsResult
  })
  const sampler = setInterval(() => {
    try {
      const t = ticks.at(-1)
      samples.push({
        s: (performance.now() - t0) / 1000,
        relayRssMiB: memory(relayPid).rssMiB,
        clientsRssMiB: clients.proc.pid === undefined ? 0 : memory(clients.proc.pid).rssMiB,
        ...(t === undefined ? {} : { relayClients: t.clients }),
      })
    } catch {
      // A process just ended.
    }
  }, 1_000)
  await clients.exited
  clearInterval(sampler)
  const relayRssEndMiB = memory(relayPid).rssMiB
  relay.proc.kill('SIGTERM')
  await relay.exited
  if (result === undefined) throw new Error('the clients child gave no result')
  if (droppedAt !== undefined) {
    // The relay's own count of connections around the drop, from its TICK lines.
    const wall = Date.now() - (performance.now() - t0 - droppedAt.s * 1000)
    const before = ticks.filter((t) => t.at <= wall - 1_000).at(-1)
    const after = ticks.find((t) => t.at >= wall + 1_000)
    droppedAt.relayClientsBefore = before?.clients
    droppedAt.relayClientsAfter = after?.clients
  }
  const cpu =
    publishAt !== undefined && drainAt !== undefined
      ? (() => {
          const r = coresUsed(publishAt.relay, drainAt.relay)
          const c = coresUsed(publishAt.clients, drainAt.clients)
          return { relayMain: r.main, relayOthers: r.others, clients: c.main + c.others }
        })()
      : { relayMain: NaN, relayOthers: NaN, clients: NaN }
  // The relay's stalls over 50 ms while the clients published, in seconds into publishing.
  const relayStalls = ticks
    .filter((t) => publishWall !== undefined && t.at >= publishWall && t.loopMaxMs > 50)
    .map((t): [number, number] => [(t.at - publishWall!) / 1000, t.loopMaxMs])
  const report: ClientsReport = {
    options: o,
    relayStalls,
    result,
    samples,
    relayRssMaxMiB: Math.max(relayRssEndMiB, ...samples.map((s) => s.relayRssMiB)),
    relayRssEndMiB,
    cpu,
    ...(droppedAt === undefined ? {} : { droppedAt }),
    relayStats,
    audit: auditDatabase(db, plan.announces),
  }
  console.info(describeClients(report).join('\n'))
  return report
}

function auditDatabase(path: string, stored: number): string {
  const db = openDatabase(path)
  try {
    const audit = new Ledger(db).audit()
    const count = db.prepare('SELECT count(*) FROM announces').pluck().get() as number
    return `audit ${audit.ok ? 'ok' : 'FAILED'}, ${fmt(count)} announces stored (${fmt(stored)} prebuilt)`
  } finally {
    db.close()
  }
}

export function describeClients(r: ClientsReport): string[] {
  const res = r.result
  const pubs = res.publishers
  const p99s = Float64Array.from(pubs.map((p) => p.p99))
  const p50s = Float64Array.from(pubs.map((p) => p.p50))
  const sent = pubs.reduce((s, p) => s + p.sent, 0)
  const answered = pubs.reduce((s, p) => s + p.answered, 0)
  const accepted = pubs.reduce((s, p) => s + p.accepted, 0)
  const over = pubs.filter((p) => p.p99 > 100).length
  const every = Math.max(1, Math.round(r.samples.length / 12))
  const timeline = r.samples
    .filter((_, i) => i % every === 0 || i === r.samples.length - 1)
    .map((s) => `${fmt(s.s)} s ${fmt(s.relayRssMiB)}`)
    .join(', ')
  const refused = Object.entries(res.refused)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ')
  const slow = res.slow
  return [
    `  connected ${fmt(res.connectMs / 1000, 1)} s, subscribed (EOSE on all) ${fmt(res.subscribeMs / 1000, 1)} s, ` +
      `${fmt(res.storedDelivered)} stored events sent before EOSE`,
    `  announces: ${fmt(sent)} sent, ${fmt(answered)} answered, ${fmt(accepted)} accepted` +
      (refused === '' ? '' : `, refused: ${refused}`) +
      `, ${fmt(res.unanswered)} unanswered`,
    `  OK latency per publishing client (${fmt(pubs.length)}): median of p50 ${fmt(percentile(p50s, 50), 1)} ms, ` +
      `median of p99 ${fmt(percentile(p99s, 50), 1)} ms, worst client's p99 ${fmt(Math.max(...p99s), 1)} ms; ` +
      `${over} clients above 100 ms (goal 0)`,
    `  OKs over 100 ms: ${fmt(res.slowOks.length)}, arriving in ${fmt(new Set(res.slowOks.map(([t]) => Math.floor(t / 1000))).size)} distinct ` +
      `seconds of the run (${slowSeconds(res.slowOks)})`,
    `  event-loop stalls over 50 ms while publishing (s into publishing: ms): relay ${stalls(r.relayStalls)}; ` +
      `clients ${stalls(res.loopStalls.map(([t, ms]) => [t / 1000, ms]))}; clients' delay p99 ${fmt(res.loopDelay.p99, 1)} ms`,
    `  live events delivered to subscribers: ${fmt(res.delivered)} of ${fmt(res.expectedDeliveries)} expected`,
    `  client-side errors: ${fmt(res.errors.connect)} failed connections, ${fmt(res.errors.error)} socket errors, ` +
      `${fmt(res.errors.closed)} connections closed by the relay`,
    `  relay RSS (MiB) over time: ${timeline}`,
    `  relay RSS max ${fmt(r.relayRssMaxMiB)} MiB, at the end ${fmt(r.relayRssEndMiB)} MiB (goal ≤ 300 MB = 286 MiB)`,
    `  CPU while publishing: relay main thread ${fmt(r.cpu.relayMain * 100)}% of a core, relay other threads ` +
      `${fmt(r.cpu.relayOthers * 100)}%, clients process ${fmt(r.cpu.clients * 100)}%`,
    slow === undefined
      ? '  slow reader: did not connect'
      : `  slow reader (REQ the busy swarm, limit 500, every 50 ms, never reads): started ${fmt(slow.startedAtMs / 1000, 1)} s ` +
        `into publishing, ${fmt(slow.reqs)} REQs sent, ` +
        (slow.droppedAfterMs === null
          ? 'NOT dropped'
          : `dropped by the relay ${fmt(slow.droppedAfterMs / 1000, 1)} s after it stopped reading`) +
        (r.droppedAt === undefined
          ? ''
          : `; relay RSS then ${fmt(r.droppedAt.relayRssMiB)} MiB, relay connections ${r.droppedAt.relayClientsBefore ?? '?'} → ${r.droppedAt.relayClientsAfter ?? '?'}`),
    `  relay stats ${JSON.stringify(r.relayStats)}`,
    `  database after the run: ${r.audit}`,
  ]
}

/** The seconds with the most slow OKs, busiest first: `second (count, worst ms)`. */
function slowSeconds(slowOks: readonly [number, number][]): string {
  const bySecond = new Map<number, { n: number; worst: number }>()
  for (const [t, ms] of slowOks) {
    const s = Math.floor(t / 1000)
    const b = bySecond.get(s) ?? { n: 0, worst: 0 }
    b.n++
    b.worst = Math.max(b.worst, ms)
    bySecond.set(s, b)
  }
  return [...bySecond.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .slice(0, 6)
    .map(([s, b]) => `${s} s: ${b.n}, worst ${fmt(b.worst)} ms`)
    .join('; ')
}

function stalls(xs: readonly [number, number][]): string {
  return xs.length === 0 ? 'none' : xs.map(([s, ms]) => `${fmt(s, 1)}: ${fmt(ms)}`).join(', ')
}
