/**
 * `npm run bench`: ingest throughput of the TSEED relay against the
 * verification limit, in one run on one set of signed events.
 *
 * 1. Signs N kind 21000 announces up front (on every core), from many keys:
 *    funded downloaders, seeders and unfunded downloaders (plan.ts).
 * 2. Funds the downloaders through the Ledger API on a fresh database.
 * 3. (a) Starts a verify-only relay (relay-child.ts `verify`: same `ws`
 *    transport, same worker pool) as a child process and sends every event.
 * 4. (b) Starts the full TSEED relay (`startTseedRelay`: verify, ledger,
 *    store, group commit) as a child process on the funded database and sends
 *    the same events; then times REQ `#i` queries.
 * 5. Prints accepted events/s, OK latency p50/p99, RSS, CPU per thread kind,
 *    and the ratio (b)/(a). See docs/performance.md.
 *
 * Before the relays it measures raw verification (raw-verify.ts): native and
 * nostr-wasm, one thread and all threads; each relay is then also printed as
 * a share of those rates. `--verifier both` runs (a) and (b) with nostr-wasm,
 * then again with the native addon.
 * 6. The HTTP tracker endpoint against bittorrent-tracker and opentracker
 *    under wrk (tracker.ts).
 *
 * Options: --events N --per-key N --swarms N --connections N --window N
 * --threads N --time-limit S --reqs N --synchronous normal|full
 * --only verify|tseed|tracker|fuzz|clients --tracker-seconds S --cpu-prof DIR --json FILE
 * --fuzz-frames N (the front door fuzz, fuzz.ts; only with --only fuzz)
 * --verifier auto|native|wasm|both --raw-seconds S
 * --stored N [--stored-unsigned]: (b) starts on N stored announces (stored.ts)
 * --only clients [--clients N] [--seconds S]: many concurrent clients (clients.ts)
 * --only backend [--backend sqlite|postgres|both] [--processes N] [--postgres-url URL]:
 *   the TSEED relay on SQLite, on PostgreSQL, and on PostgreSQL in N processes
 *   (backend.ts); --backend or --processes alone also select it
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  chooseImplementation,
  VERIFIER_ENV,
  type VerifierImplementation,
} from '../relay/src/core/batch-checker'
import { loadNativeSecp256k1 } from '../relay/src/core/native-secp256k1'
import { siblingModule, spawnWorker } from '../relay/src/core/spawn-worker'
import { Ledger } from '../relay/src/ledger/ledger'
import { openDatabase } from '../relay/src/store/database'
import { watchFileSize } from './file-size'
import { fundDatabase } from './fund'
import { runLoad, runReqs, type Frame, type LoadResult } from './load'
import { keyCount, swarmHash, type PlanOptions } from './plan'
import { coresUsed, cpuPressure, cpuSnapshot, memory } from './proc'
import { summariseProfile } from './profile'
import { describeRaw, describeRelayRatios, measureRawRates, type RawRate } from './raw-verify'
import { runFuzzBench } from './fuzz'
import { runTrackerBench, type TrackerRun } from './tracker'
import { runClientsStage } from './clients'
import { runBackendStage, type Backend } from './backend'
import {
  describeReqPlan,
  describeStoredReqs,
  measureStoredReqs,
  timeStoreQueries,
  prepareStored,
  type StoredReqs,
} from './stored'
import type { StoredPlan } from './stored-plan'
import type { SignedKey, SignJob } from './sign-worker'
import { startReadyChild, type ReadyChild as Child } from './ready-child'
import { fmt, percentile } from './stats'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const CHILD = fileURLToPath(siblingModule(import.meta.url, 'relay-child'))

interface Options {
  events: number
  perKey: number
  swarms: number
  connections: number
  window: number
  threads: number
  timeLimitS: number
  reqs: number
  synchronous: 'normal' | 'full'
  only: 'verify' | 'tseed' | 'tracker' | 'fuzz' | 'clients' | 'backend' | undefined
  fuzzFrames: number
  trackerSeconds: number
  cpuProf: string | undefined
  json: string | undefined
  /** The secp256k1 of the relays; `both` runs them with nostr-wasm, then native. */
  verifier: 'auto' | 'native' | 'wasm' | 'both'
  /** Seconds per raw verification measurement; 0 skips them. */
  rawSeconds: number
  /** Live announces (b)'s database holds before the load; 0 starts empty. */
  stored: number
  storedSign: boolean
  /** `--only clients`: concurrent clients and seconds of publishing. */
  clients: number
  seconds: number
  /** `--only backend`: the backends, PostgreSQL relay processes, and a server of one's own. */
  backends: Backend[]
  processes: number
  postgresUrl: string | undefined
}

interface RunReport {
  name: string
  /** The saturation run: as fast as the window allows. */
  load: LoadResult
  /** The rest of the events at half the saturated rate: latency without a queue. */
  paced?: { rate: number; load: LoadResult }
  cores: { main: number; others: number }
  /** Cores the load generator (this process) used meanwhile: it shares the machine. */
  loadCores: number
  memory: { rssMiB: number; peakMiB: number }
  childStats: unknown
  profile?: { area: string; ms: number; share: number }[]
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      // The backend stage has smaller defaults: PostgreSQL ingests far fewer per second.
      events: { type: 'string' },
      'per-key': { type: 'string', default: '20' },
      swarms: { type: 'string', default: '200' },
      connections: { type: 'string', default: '8' },
      window: { type: 'string', default: '256' },
      threads: { type: 'string' },
      'time-limit': { type: 'string', default: '120' },
      reqs: { type: 'string', default: '300' },
      synchronous: { type: 'string', default: 'normal' },
      only: { type: 'string' },
      'tracker-seconds': { type: 'string', default: '10' },
      'cpu-prof': { type: 'string' },
      json: { type: 'string' },
      verifier: { type: 'string', default: 'auto' },
      'raw-seconds': { type: 'string', default: '2' },
      'fuzz-frames': { type: 'string', default: '1000000' },
      stored: { type: 'string', default: '0' },
      'stored-unsigned': { type: 'boolean', default: false },
      clients: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '60' },
      backend: { type: 'string' },
      processes: { type: 'string' },
      'postgres-url': { type: 'string' },
    },
  })
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max}`)
    }
    return n
  }
  if (values.synchronous !== 'normal' && values.synchronous !== 'full') {
    throw new Error('--synchronous must be normal or full')
  }
  const backendFlags =
    values.backend !== undefined ||
    values.processes !== undefined ||
    values['postgres-url'] !== undefined
  const only = values.only ?? (backendFlags ? 'backend' : undefined)
  if (
    only !== undefined &&
    only !== 'verify' &&
    only !== 'tseed' &&
    only !== 'tracker' &&
    only !== 'fuzz' &&
    only !== 'clients' &&
    only !== 'backend'
  ) {
    throw new Error('--only must be verify, tseed, tracker, fuzz, clients or backend')
  }
  if (backendFlags && only !== 'backend') {
    throw new Error('--backend, --processes and --postgres-url go with --only backend')
  }
  const backend = values.backend ?? 'both'
  if (backend !== 'sqlite' && backend !== 'postgres' && backend !== 'both') {
    throw new Error('--backend must be sqlite, postgres or both')
  }
  const verifier = (['auto', 'native', 'wasm', 'both'] as const).find((v) => v === values.verifier)
  if (verifier === undefined) throw new Error('--verifier must be auto, native, wasm or both')
  return {
    // Bounded: generation and each run must stay within minutes.
    events: int('events', values.events ?? (only === 'backend' ? '10000' : '40000'), 100, 200_000),
    perKey: int('per-key', values['per-key'], 1, 1000),
    swarms: int('swarms', values.swarms, 1, 100_000),
    connections: int('connections', values.connections, 1, 64),
    window: int('window', values.window, 1, 10_000),
    // One verify thread per relay process in the backend stage: a per-core comparison.
    threads: int(
      'threads',
      values.threads ?? (only === 'backend' ? '1' : String(availableParallelism())),
      1,
      64,
    ),
    timeLimitS: int('time-limit', values['time-limit'], 1, 600),
    reqs: int('reqs', values.reqs, 0, 10_000),
    synchronous: values.synchronous,
    only,
    trackerSeconds: int('tracker-seconds', values['tracker-seconds'], 1, 120),
    cpuProf: values['cpu-prof'],
    json: values.json,
    verifier,
    rawSeconds: int('raw-seconds', values['raw-seconds'], 0, 30),
    fuzzFrames: int('fuzz-frames', values['fuzz-frames'], 1, 100_000_000),
    stored: int('stored', values.stored, 0, 5_000_000),
    storedSign: !values['stored-unsigned'],
    clients: int('clients', values.clients, 1, 5_000),
    seconds: int('seconds', values.seconds, 1, 600),
    backends: backend === 'both' ? ['sqlite', 'postgres'] : [backend],
    processes: int('processes', values.processes ?? '2', 1, 16),
    postgresUrl: values['postgres-url'],
  }
}

/** Signs every event on one worker per core. */
async function signAll(plan: PlanOptions, createdAt: number): Promise<SignedKey[]> {
  const keys = keyCount(plan)
  const workers = Math.min(availableParallelism(), keys)
  const per = Math.ceil(keys / workers)
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: SignJob = {
        plan,
        fromKey: w * per,
        toKey: Math.min(keys, (w + 1) * per),
        createdAt,
      }
      const worker = spawnWorker(siblingModule(import.meta.url, 'sign-worker'), job)
      return new Promise<SignedKey[]>((done, fail) => {
        worker.once('message', done)
        worker.once('error', fail)
      }).finally(() => void worker.terminate())
    }),
  )
  return parts.flat()
}

/** Event j of every key, then event j + 1, …: each key's announces spread over the run. */
function interleave(keys: readonly SignedKey[], total: number): Frame[] {
  const frames: Frame[] = []
  const perKey = Math.max(...keys.map((k) => k.events.length))
  for (let j = 0; j < perKey && frames.length < total; j++) {
    for (const k of keys) {
      const e = k.events[j]
      if (e !== undefined && frames.length < total) frames.push({ id: e.id, frame: e.frame })
    }
  }
  return frames
}

function startChild(args: string[], profDir: string | undefined, name: string): Promise<Child> {
  // One folder per child: the loader-hooks thread writes a profile of its own.
  const prof = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profDir, name)}`]
  return startReadyChild([process.execPath, ...prof, '--import', 'tsx', CHILD, ...args], ROOT, name)
}

async function measure(
  name: string,
  key: string,
  child: Child,
  frames: { saturate: readonly Frame[]; paced: readonly Frame[] },
  o: Options,
  after?: () => Promise<void>,
): Promise<RunReport> {
  const pid = child.proc.pid
  if (pid === undefined) throw new Error('child has no pid')
  const before = cpuSnapshot(pid)
  const ownBefore = process.cpuUsage()
  const load = await runLoad(child.url, frames.saturate, {
    connections: o.connections,
    window: o.window,
    timeLimitMs: o.timeLimitS * 1000,
  })
  const cores = coresUsed(before, cpuSnapshot(pid))
  const own = process.cpuUsage(ownBefore)
  const loadCores = (own.user + own.system) / 1000 / Math.max(1, load.durationMs)
  let paced: RunReport['paced']
  if (frames.paced.length > 0) {
    const half = Math.max(1, Math.floor(rate(load.answered, load.durationMs) / 2))
    paced = {
      rate: half,
      load: await runLoad(child.url, frames.paced, {
        connections: o.connections,
        window: 100_000,
        timeLimitMs: o.timeLimitS * 1000,
        ratePerSecond: half,
      }),
    }
  }
  await after?.()
  const mem = memory(pid)
  const childStats = await child.stop()
  const report: RunReport = { name, load, paced, cores, loadCores, memory: mem, childStats }
  if (o.cpuProf !== undefined) {
    // The main thread's profile is the biggest: it ran the relay.
    const dir = join(o.cpuProf, key)
    const file = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ f, size: statSync(join(dir, f)).size }))
      .sort((x, y) => y.size - x.size)[0]?.f
    if (file !== undefined) report.profile = summariseProfile(join(dir, file))
  }
  return report
}

function describe(r: RunReport): string[] {
  const l = r.load
  const refused = Object.entries(l.refused)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ')
  const lines = [
    r.name,
    `  answered ${fmt(l.answered)}/${fmt(l.sent)} in ${fmt(l.durationMs / 1000, 2)} s` +
      `${l.timedOut ? ' (TIME LIMIT HIT)' : ''}; accepted ${fmt(l.accepted)}` +
      (refused === '' ? '' : `, refused: ${refused}`),
    `  accepted/s ${fmt(rate(l.accepted, l.durationMs))}   answered/s ${fmt(rate(l.answered, l.durationMs))}` +
      `   steady answered/s (10th–90th pct of OKs) ${fmt(rate(l.steady.answered, l.steady.durationMs))}`,
    `  OK latency at saturation (${fmt(l.sent)} events) p50 ${fmt(percentile(l.latenciesMs, 50), 1)} ms   p99 ${fmt(percentile(l.latenciesMs, 99), 1)} ms`,
    ...(r.paced === undefined
      ? []
      : [
          `  OK latency at half that rate (${fmt(r.paced.rate)}/s, ${fmt(r.paced.load.answered)} events) ` +
            `p50 ${fmt(percentile(r.paced.load.latenciesMs, 50), 1)} ms   p99 ${fmt(percentile(r.paced.load.latenciesMs, 99), 1)} ms`,
        ]),
    `  relay CPU: main thread ${fmt(r.cores.main * 100)}% of a core, other threads ${fmt(r.cores.others * 100)}%` +
      `   RSS ${fmt(r.memory.rssMiB)} MiB (peak ${fmt(r.memory.peakMiB)} MiB)`,
    `  load generator CPU: ${fmt(r.loadCores * 100)}% of a core`,
    `  relay stats ${JSON.stringify(r.childStats)}`,
  ]
  for (const p of r.profile ?? []) {
    lines.push(
      `  profile: ${p.area.padEnd(46)} ${fmt(p.ms).padStart(7)} ms  ${fmt(p.share * 100, 1)}%`,
    )
  }
  return lines
}

const rate = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0)

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2))
  if (o.only === 'tracker') {
    await trackerPart(o)
    return
  }
  if (o.only === 'fuzz') {
    await fuzzPart(o)
    return
  }
  if (o.only === 'clients') {
    await clientsPart(o)
    return
  }
  if (o.only === 'backend') {
    await backendPart(o)
    return
  }
  const plan: PlanOptions = { events: o.events, perKey: o.perKey, swarms: o.swarms }
  console.info(machineLine())
  console.info(
    `workload: ${fmt(o.events)} kind 21000 events, ${fmt(keyCount(plan))} keys × ${o.perKey}, ` +
      `${o.swarms} swarms; ${o.connections} connections × window ${o.window}; ` +
      `${o.threads} verifier threads; synchronous=${o.synchronous}`,
  )
  // Built before the events are signed: the ledger refuses announces older
  // than 600 s, and a million stored announces take minutes to build.
  let stored: { path: string; plan: StoredPlan } | undefined
  if (o.stored > 0) {
    const storedDir = mkdtempSync(join(tmpdir(), 'tseed-bench-stored-'))
    process.once('exit', () => {
      rmSync(storedDir, { recursive: true, force: true })
    })
    const path = join(storedDir, 'stored.sqlite')
    stored = { path, plan: await prepareStored(path, o.stored, o.storedSign) }
  }
  const t0 = performance.now()
  const createdAt = Math.floor(Date.now() / 1000)
  const keys = await signAll(plan, createdAt)
  const all = interleave(keys, o.events)
  // Four in five saturate the relay; the rest measure latency at half that rate.
  const cut = Math.floor(all.length * 0.8)
  const frames = { saturate: all.slice(0, cut), paced: all.slice(cut) }
  console.info(`signed ${fmt(all.length)} events in ${fmt((performance.now() - t0) / 1000, 1)} s`)

  const relayImpls: VerifierImplementation[] =
    o.verifier === 'both'
      ? ['wasm', chooseImplementation('native', console)]
      : [chooseImplementation(o.verifier, console)]
  let raw: RawRate[] = []
  if (o.rawSeconds > 0) {
    const nativeLoads = loadNativeSecp256k1().ok
    raw = await measureRawRates(all, {
      implementations: nativeLoads ? ['native', 'wasm'] : ['wasm'],
      threads: o.threads,
      seconds: o.rawSeconds,
    })
    console.info(describeRaw(raw).join('\n'))
  }

  const dir = mkdtempSync(join(tmpdir(), 'tseed-bench-'))
  if (o.cpuProf !== undefined) mkdirSync(o.cpuProf, { recursive: true })
  const reports: RunReport[] = []
  const ratioLine = (r: RunReport): string =>
    describeRelayRatios(rate(r.load.answered, r.load.durationMs), raw, o.threads)
  let reqs: { p50: number; p99: number; queries: number; events: number } | undefined
  let storedReqs: StoredReqs | undefined
  try {
    for (const impl of relayImpls) {
      // The relay children pick their verifier from the environment they inherit.
      process.env[VERIFIER_ENV] = impl
      if (o.only !== 'tseed') {
        const child = await startChild(['verify', String(o.threads)], o.cpuProf, `verify-${impl}`)
        const name = `(a) verify-only relay, ${impl}`
        reports.push(await measure(name, `verify-${impl}`, child, frames, o))
        console.info(describe(reports.at(-1)!).join('\n'))
        console.info(ratioLine(reports.at(-1)!))
      }
      if (o.only !== 'verify') {
        const db = join(dir, `relay-${impl}.sqlite`)
        const funded = keys.filter((k) => k.role === 'downloader').map((k) => k.pubkey)
        if (stored !== undefined) {
          // Each (b) run starts from the same prebuilt file; the last one takes it.
          if (impl === relayImpls.at(-1)) renameSync(stored.path, db)
          else copyFileSync(stored.path, db)
        }
        const t1 = performance.now()
        fundDatabase(db, funded)
        console.info(
          `funded ${fmt(funded.length)} downloaders (deposit + swap each) in ${fmt((performance.now() - t1) / 1000, 1)} s`,
        )
        const wal = watchFileSize(`${db}-wal`)
        const child = await startChild(
          ['tseed', String(o.threads), db, o.synchronous],
          o.cpuProf,
          `tseed-${impl}`,
        )
        const report = await measure(
          `(b) TSEED relay (startTseedRelay), ${impl}`,
          `tseed-${impl}`,
          child,
          frames,
          o,
          async () => {
            if (o.reqs === 0) return
            if (stored !== undefined) {
              storedReqs = await measureStoredReqs(child.url, stored.plan, {
                random: o.reqs,
                hot: Math.ceil(o.reqs / 3),
                empty: Math.ceil(o.reqs / 3),
              })
              return
            }
            const hashes = Array.from({ length: o.reqs }, (_, i) => swarmHash(i % o.swarms))
            const r = await runReqs(child.url, hashes, 100)
            reqs = {
              p50: percentile(r.latenciesMs, 50),
              p99: percentile(r.latenciesMs, 99),
              queries: hashes.length,
              events: r.events,
            }
          },
        )
        reports.push(report)
        console.info(describe(report).join('\n'))
        console.info(`  WAL file at its largest: ${fmt(wal.stop() / 2 ** 20)} MiB`)
        if (storedReqs !== undefined) {
          const direct = await timeStoreQueries(db, storedReqs.swarms, storedReqs.kinds)
          console.info(
            [
              ...describeStoredReqs(storedReqs),
              `    the same queries on the store alone, in this process after the relay stopped: ` +
                `p50 ${fmt(direct.all.p50, 2)} ms   p99 ${fmt(direct.all.p99, 2)} ms ` +
                `(hot swarms p50 ${fmt(direct.hot.p50, 2)} ms   p99 ${fmt(direct.hot.p99, 2)} ms)`,
              describeReqPlan(db),
            ].join('\n'),
          )
        }
        if (reqs !== undefined) {
          console.info(
            `  REQ #i limit 100 after the load: ${fmt(reqs.queries)} queries, ${fmt(reqs.events)} events, ` +
              `p50 ${fmt(reqs.p50, 2)} ms   p99 ${fmt(reqs.p99, 2)} ms`,
          )
        }
        console.info(
          `  ${checkDatabase(db, report.load.accepted + (report.paced?.load.accepted ?? 0), o.stored)}`,
        )
        console.info(ratioLine(report))
      }
      const [a, b] = reports.slice(-2)
      if (o.only === undefined && a !== undefined && b !== undefined) {
        const ra = rate(a.load.accepted, a.load.durationMs)
        const rb = rate(b.load.accepted, b.load.durationMs)
        const sa = rate(a.load.steady.answered, a.load.steady.durationMs)
        const sb = rate(b.load.steady.answered, b.load.steady.durationMs)
        console.info(
          `ratio (b)/(a): accepted/s ${fmt(rb / ra, 2)}; answered/s ${fmt(
            rate(b.load.answered, b.load.durationMs) / rate(a.load.answered, a.load.durationMs),
            2,
          )}; steady answered/s ${fmt(sb / sa, 2)}`,
        )
      }
    }
    const tracker = o.only === undefined ? await trackerPart(o) : []
    console.info(
      `load average at the end ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; ${cpuPressure()}`,
    )
    if (o.json !== undefined) {
      writeFileSync(
        o.json,
        JSON.stringify(
          {
            options: o,
            raw,
            reports: reports.map((r) => ({
              ...r,
              load: { ...r.load, latenciesMs: undefined },
              p50: percentile(r.load.latenciesMs, 50),
              p99: percentile(r.load.latenciesMs, 99),
            })),
            reqs,
            storedReqs,
            tracker,
          },
          null,
          2,
        ),
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Many concurrent clients on the TSEED relay; only with `--only clients`. */
async function clientsPart(o: Options): Promise<void> {
  console.info(machineLine())
  const dir = mkdtempSync(join(tmpdir(), 'tseed-bench-'))
  try {
    const report = await runClientsStage({
      clients: o.clients,
      seconds: o.seconds,
      threads: o.threads,
      stored: o.stored > 0 ? o.stored : 20_000,
      storedSign: o.storedSign,
      dir,
    })
    if (o.json !== undefined) writeFileSync(o.json, JSON.stringify(report, null, 2))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  console.info(`load average at the end ${loadLine()}`)
}

/** The machine a run was measured on, and how busy it was at the start. */
function machineLine(): string {
  return (
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ` +
    `node ${process.version}, load average ${loadLine()}`
  )
}

/** The load average and CPU pressure: how busy the shared machine was. */
function loadLine(): string {
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
  return `${load}; ${cpuPressure()}`
}

/** SQLite against PostgreSQL in one and in N processes; only with `--only backend`. */
async function backendPart(o: Options): Promise<void> {
  const plan: PlanOptions = { events: o.events, perKey: o.perKey, swarms: o.swarms }
  console.info(machineLine())
  console.info(
    `workload: ${fmt(o.events)} kind 21000 events, ${fmt(keyCount(plan))} keys × ${o.perKey}, ` +
      `${o.swarms} swarms; ${o.connections} connections × window ${o.window}; ` +
      `${o.threads} verify thread${o.threads > 1 ? 's' : ''} per relay process; backends ${o.backends.join(', ')}; ` +
      `${o.processes} PostgreSQL relay processes in the multi-process run`,
  )
  const t0 = performance.now()
  const keys = await signAll(plan, Math.floor(Date.now() / 1000))
  const all = interleave(keys, o.events)
  const cut = Math.floor(all.length * 0.8)
  console.info(`signed ${fmt(all.length)} events in ${fmt((performance.now() - t0) / 1000, 1)} s`)
  const dir = mkdtempSync(join(tmpdir(), 'tseed-bench-backend-'))
  try {
    const report = await runBackendStage({
      backends: o.backends,
      processes: o.processes,
      threads: o.threads,
      ...(o.postgresUrl === undefined ? {} : { postgresUrl: o.postgresUrl }),
      synchronous: o.synchronous,
      connections: o.connections,
      window: o.window,
      timeLimitS: o.timeLimitS,
      dir,
      frames: { saturate: all.slice(0, cut), paced: all.slice(cut) },
      funded: keys.filter((k) => k.role === 'downloader').map((k) => k.pubkey),
      startChild: (args, name) => startChild(args, undefined, name),
    })
    if (o.json !== undefined) writeFileSync(o.json, JSON.stringify(report, null, 2))
    if (report.runs.some((r) => !r.auditOk)) process.exitCode = 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  console.info(`load average at the end ${loadLine()}`)
}

/** (c) The HTTP tracker endpoint next to other trackers, on their own wrk runs. */
function trackerPart(o: Options): Promise<TrackerRun[]> {
  console.info('(c) HTTP tracker endpoint')
  return runTrackerBench({ seconds: o.trackerSeconds, connections: 32, swarms: 1000, peers: 2000 })
}

/** (d) The front door fuzz against the TSEED relay in a child process; exits 1 on a finding. */
async function fuzzPart(o: Options): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-fuzz-'))
  try {
    const r = await runFuzzBench({
      frames: o.fuzzFrames,
      connections: o.connections,
      start: () =>
        startChild(['fuzz', String(o.threads), join(dir, 'relay.sqlite')], undefined, 'fuzz'),
    })
    if (o.json !== undefined) writeFileSync(o.json, JSON.stringify(r, null, 2))
    if (r.crashes > 0 || r.violations > 0) process.exitCode = 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** After (b): the journal audits and the store holds an announce per accepted (or prebuilt) event. */
function checkDatabase(path: string, accepted: number, stored: number): string {
  const db = openDatabase(path)
  try {
    const audit = new Ledger(db).audit()
    const count = db.prepare('SELECT count(*) FROM announces').pluck().get() as number
    const downloads = db
      .prepare("SELECT count(*) FROM ledger_postings WHERE kind = 'download'")
      .pluck()
      .get() as number
    const prebuilt = stored > 0 ? ` + ${fmt(stored)} prebuilt` : ''
    return `database after (b): audit ${audit.ok ? 'ok' : 'FAILED'}, ${fmt(count)} announces stored for ${fmt(accepted)} accepted${prebuilt}, ${fmt(downloads)} download postings`
  } finally {
    db.close()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
