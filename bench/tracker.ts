/**
 * The tracker part of `npm run bench`: HTTP announces per second, latency and
 * memory of the TSEED relay's tracker endpoint (ledger on) next to
 * bittorrent-tracker's HTTP server and, where installed, opentracker, all
 * driven by Debian's `wrk` with the same Lua script (tracker-announce.lua) in
 * the same run. Each server runs alone, pinned to the first core when there
 * are two or more, with wrk on the others.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ledger } from '../relay/src/ledger/ledger'
import { openDatabase } from '../relay/src/store/database'
import { TrackerCredentials } from '../relay/src/tracker/credentials'
import { DEV_POOL } from '../relay/src/tseed-relay'
import { cpuSnapshot, memory } from './proc'
import { startReadyChild, type ReadyChild } from './ready-child'
import { fmt } from './stats'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const CHILD = fileURLToPath(new URL('tracker-child.ts', import.meta.url))
const SCRIPT = fileURLToPath(new URL('tracker-announce.lua', import.meta.url))
const PUBKEY = 'b'.repeat(64)

export interface TrackerBenchOptions {
  /** Measured seconds per server, after a 2 s warm-up. */
  seconds: number
  connections: number
  swarms: number
  peers: number
}

export interface TrackerRun {
  name: string
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  /** Responses wrk counted as errors: non-2xx, or sockets closed after each answer. */
  errors: string
  /** CPU time of the server per request, all its threads. */
  cpuUsPerRequest: number
  rssMiB: number
  peakMiB: number
  stats?: unknown
}

interface Target {
  name: string
  prefix: string
  start(): Promise<ReadyChild>
}

/** Runs every available server in turn; returns their runs (empty when wrk is missing). */
export async function runTrackerBench(o: TrackerBenchOptions): Promise<TrackerRun[]> {
  if (!has('wrk', ['--version'])) {
    console.info('tracker: wrk is not installed (scripts/setup.sh installs it); skipped')
    return []
  }
  const pin = availableParallelism() >= 2 && has('taskset', ['--version'])
  const serverCpu = pin ? ['taskset', '-c', '0'] : []
  const loadCpu = pin ? ['taskset', '-c', `1-${availableParallelism() - 1}`] : []
  const threads = Math.max(1, Math.min(2, availableParallelism() - 1))
  const dir = mkdtempSync(join(tmpdir(), 'tseed-tracker-bench-'))
  try {
    const db = join(dir, 'relay.sqlite')
    const credential = prepareDatabase(db)
    const targets: Target[] = [
      {
        name: 'TSEED relay tracker (ledger on)',
        prefix: `/t/${credential}`,
        start: () => startNode(serverCpu, ['tseed', db]),
      },
      {
        name: 'bittorrent-tracker 11 HTTP',
        prefix: '',
        start: () => startNode(serverCpu, ['bittorrent-tracker']),
      },
    ]
    if (has('opentracker', ['-h'])) {
      targets.push({ name: 'opentracker', prefix: '', start: () => startOpentracker(serverCpu) })
    } else {
      console.info('tracker: opentracker is not installed; compared with bittorrent-tracker only')
    }
    console.info(
      `tracker: wrk ${threads} threads × ${o.connections} connections, ${o.seconds} s per server ` +
        `after 2 s of warm-up, ${fmt(o.swarms)} swarms × ${fmt(o.peers)} peers` +
        (pin ? '; servers on core 0, wrk on the others' : ''),
    )
    const runs: TrackerRun[] = []
    for (const t of targets) {
      const server = await t.start()
      const pid = server.proc.pid
      if (pid === undefined) throw new Error(`${t.name} has no pid`)
      const args = (seconds: number): string[] => [
        ...loadCpu,
        'wrk',
        `-t${threads}`,
        `-c${o.connections}`,
        `-d${seconds}s`,
        '--latency',
        '-s',
        SCRIPT,
        server.url,
        '--',
        t.prefix,
        String(o.swarms),
        String(o.peers),
        String(threads),
      ]
      await wrk(args(2))
      const before = cpuSnapshot(pid)
      const out = await wrk(args(o.seconds))
      const after = cpuSnapshot(pid)
      const mem = memory(pid)
      const stats = await server.stop()
      const run = parseWrk(t.name, out)
      const cpu = after.main + after.others - before.main - before.others
      run.cpuUsPerRequest = run.requests > 0 ? (cpu * 1e6) / run.requests : 0
      run.rssMiB = mem.rssMiB
      run.peakMiB = mem.peakMiB
      if (stats !== undefined) run.stats = stats
      runs.push(run)
      console.info(describeRun(run))
    }
    const base = runs.find((r) => r.name.startsWith('bittorrent-tracker'))
    const ours = runs[0]
    if (base !== undefined && ours !== undefined && base.requestsPerSecond > 0) {
      console.info(
        `tracker: TSEED / bittorrent-tracker: req/s ${fmt(ours.requestsPerSecond / base.requestsPerSecond, 2)}×, ` +
          `p50 ${fmt(ours.p50Ms / base.p50Ms, 2)}×, p99 ${fmt(ours.p99Ms / base.p99Ms, 2)}×, ` +
          `CPU per request ${fmt(ours.cpuUsPerRequest / base.cpuUsPerRequest, 2)}×, ` +
          `RSS ${fmt(ours.rssMiB / base.rssMiB, 2)}× (peak ${fmt(ours.peakMiB / base.peakMiB, 2)}×)`,
      )
    }
    return runs
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A pool, and one key funded well past what the run can charge, with a credential. */
function prepareDatabase(path: string): string {
  const db = openDatabase(path)
  try {
    const ledger = new Ledger(db)
    ledger.bootstrapPool(DEV_POOL)
    ledger.deposit(PUBKEY, 1_000_000n, 'bench-tracker-deposit')
    ledger.swap(PUBKEY, 'sat_to_tseed', 1_000_000n, 1n, 'bench-tracker-swap')
    return new TrackerCredentials(db).issue(PUBKEY, 'bench', Math.floor(Date.now() / 1000))
      .credential
  } finally {
    db.close()
  }
}

function describeRun(r: TrackerRun): string {
  return (
    `  ${r.name}: ${fmt(r.requestsPerSecond)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, ` +
    `${fmt(r.cpuUsPerRequest)} µs CPU per request, RSS ${fmt(r.rssMiB)} MiB (peak ${fmt(r.peakMiB)} MiB)` +
    (r.errors === '' ? '' : `; wrk: ${r.errors}`) +
    (r.stats === undefined ? '' : `\n    server stats ${JSON.stringify(r.stats)}`)
  )
}

/** Reads wrk's summary: requests, req/s and the 50th and 99th latency percentiles. */
export function parseWrk(name: string, out: string): TrackerRun {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN)
  const ms = (pct: string): number => {
    const m = new RegExp(`^\\s*${pct}%\\s+([0-9.]+)(us|ms|s)\\s*$`, 'm').exec(out)
    if (m?.[1] === undefined) return NaN
    const scale = m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1
    return Number(m[1]) * scale
  }
  const errors = [/Non-2xx or 3xx responses: [0-9]+/, /Socket errors: [^\n]+/]
    .map((re) => re.exec(out)?.[0])
    .filter((x): x is string => x !== undefined)
    .join('; ')
  return {
    name,
    requestsPerSecond: num(/Requests\/sec:\s+([0-9.]+)/),
    p50Ms: ms('50'),
    p99Ms: ms('99'),
    requests: num(/([0-9]+) requests in /),
    errors,
    cpuUsPerRequest: 0,
    rssMiB: 0,
    peakMiB: 0,
  }
}

function wrk(args: string[]): Promise<string> {
  const [cmd, ...rest] = args
  if (cmd === undefined) throw new Error('no command')
  return new Promise((done, fail) => {
    const p = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d: Buffer) => (out += d.toString()))
    p.once('error', fail)
    p.once('exit', (code) => {
      if (code === 0) done(out)
      else fail(new Error(`wrk exited with ${code}: ${out}`))
    })
  })
}

function startNode(cpu: string[], args: string[]): Promise<ReadyChild> {
  const cmd = [...cpu, process.execPath, '--import', 'tsx', CHILD, ...args]
  return startReadyChild(cmd, ROOT, args[0] ?? 'tracker child')
}

async function startOpentracker(cpu: string[]): Promise<ReadyChild> {
  const port = await freePort()
  const cmd = [...cpu, 'opentracker', '-i', '127.0.0.1', '-p', String(port), '-P', String(port)]
  const proc = spawn(cmd[0] ?? 'opentracker', cmd.slice(1), { stdio: 'ignore' })
  const exited = new Promise<void>((done) =>
    proc.once('exit', () => {
      done()
    }),
  )
  await waitForPort(port)
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      proc.kill('SIGTERM')
      await exited
      return undefined
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => {
        if (a !== null && typeof a === 'object') done(a.port)
        else fail(new Error('no port'))
      })
    })
  })
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    )
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing listens on ${port}`)
}

function has(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined
}
