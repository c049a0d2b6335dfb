/**
 * `npm run bench -- --only backend`: the TSEED relay on SQLite and on
 * PostgreSQL under the same load, in one run:
 *
 * - SQLite, one relay process;
 * - PostgreSQL, one relay process;
 * - PostgreSQL, N relay processes on the same database, each client
 *   connection going to one of them, round-robin.
 *
 * Every run gets a fresh database funded the same way (fund.ts) and the same
 * signed announces; every relay process has the same verify threads (one by
 * default, so the comparison is per core). Reports accepted/s, OK latency,
 * the CPU each relay process and the PostgreSQL cluster used during the
 * saturated window (/proc), the write lock's hold time per announce, and
 * the audit of each database afterwards. See docs/performance.md,
 * "SQLite and PostgreSQL".
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Ledger } from '../relay/src/ledger/ledger'
import { openRelayDatabase } from '../relay/src/store/open-relay-database'
import { PgDatabase } from '../relay/src/store/pg/pg-database'
import { startThrowawayCluster } from '../relay/src/store/pg/throwaway-cluster'
import { fundDatabase } from './fund'
import { runLoad, type Frame, type LoadResult } from './load'
import { clusterCpu, clusterCpuUsed, postmasterPid, type ClusterCpu } from './pg-cpu'
import type { LockTimes } from './pg-lock-timer'
import { cpuSnapshot, type CpuSnapshot } from './proc'
import type { ReadyChild } from './ready-child'
import { fmt, percentile } from './stats'

export type Backend = 'sqlite' | 'postgres'

export interface BackendStageOptions {
  backends: readonly Backend[]
  /** Relay processes of the multi-process PostgreSQL run; 1 skips that run. */
  processes: number
  /** Verify threads in every relay process. */
  threads: number
  /** An existing server instead of a throwaway cluster (each run gets its own schema). */
  postgresUrl?: string
  /** SQLite's `synchronous`; PostgreSQL's durability is the server's, printed. */
  synchronous: 'normal' | 'full'
  connections: number
  window: number
  timeLimitS: number
  /** Folder for the SQLite files. */
  dir: string
  frames: { saturate: readonly Frame[]; paced: readonly Frame[] }
  /** Downloaders to fund before each run. */
  funded: readonly string[]
  /** Starts `relay-child.ts tseed …` with these arguments. */
  startChild: (args: string[], name: string) => Promise<ReadyChild>
  log?: (line: string) => void
}

/** Counters a relay child prints on SIGUSR2 (relay-child.ts). */
interface Snap {
  groupCommits: { groups: number; units: number; transactionMs: number }
  writeLock?: LockTimes
}

export interface ProcessReport {
  /** Announces accepted over this process's connections in the window. */
  accepted: number
  cpuSeconds: number
  mainSeconds: number
  otherSeconds: number
  groups: number
  units: number
  transactionMs: number
  writeLock?: LockTimes
}

export interface BackendRun {
  name: string
  backend: Backend
  processes: number
  database: string
  saturate: Omit<LoadResult, 'latenciesMs'> & { p50: number; p99: number }
  paced?: { rate: number; answered: number; p50: number; p99: number }
  /** Seconds of the saturated window, from the first send to the last OK. */
  windowS: number
  acceptedPerS: number
  relays: ProcessReport[]
  /** CPU seconds of the PostgreSQL cluster in the window; undefined when not local. */
  postgresCpu?: { total: number; byKind: Record<string, number> }
  loadGeneratorCpuSeconds: number
  perAnnounce: {
    relayCpuUs: number
    postgresCpuUs?: number
    /** Wall time the write lock was held, summed over processes, per accepted announce. */
    lockHeldUs: number
    /** Share of the window some process held the write lock. */
    lockBusyShare: number
    /** PostgreSQL: time spent waiting for the lock (plus one round trip), per accepted announce. */
    lockWaitUs?: number
    /** PostgreSQL: round trips to the server per accepted announce. */
    roundTrips?: number
  }
  audit: string
  auditOk: boolean
}

export interface BackendReport {
  postgresSettings?: Record<string, string>
  runs: BackendRun[]
  ratios: Record<string, number>
}

const rate = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0)

export async function runBackendStage(o: BackendStageOptions): Promise<BackendReport> {
  const log = o.log ?? console.info
  const runs: BackendRun[] = []
  let postgresSettings: Record<string, string> | undefined
  if (o.backends.includes('sqlite')) {
    runs.push(await runOne(o, 'sqlite', 1, join(o.dir, 'backend.sqlite'), undefined, log))
  }
  if (o.backends.includes('postgres')) {
    const cluster =
      o.postgresUrl === undefined ? await startThrowawayCluster({ durable: true }) : undefined
    const base = o.postgresUrl ?? cluster!.url
    const schemas: string[] = []
    try {
      const admin = PgDatabase.open(base)
      let postmaster: number | undefined
      try {
        postgresSettings = settingsOf(admin)
        const dataDir = cluster?.dataDir ?? postgresSettings.data_directory
        if (dataDir !== undefined && existsSync(join(dataDir, 'postmaster.pid'))) {
          postmaster = postmasterPid(dataDir)
        }
      } finally {
        admin.close()
      }
      log(
        `PostgreSQL ${postgresSettings.server_version ?? '?'} ` +
          (cluster === undefined ? 'given by --postgres-url' : 'throwaway cluster') +
          `: ${Object.entries(postgresSettings)
            .filter(([k]) => k !== 'server_version' && k !== 'data_directory')
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}` +
          (postmaster === undefined ? '; its CPU cannot be read from here' : ''),
      )
      const counts = o.processes > 1 ? [1, o.processes] : [1]
      for (const n of counts) {
        const schema = `bench_${n}p_${randomBytes(4).toString('hex')}`
        schemas.push(schema)
        runs.push(await runOne(o, 'postgres', n, withSchema(base, schema), postmaster, log))
      }
    } finally {
      if (cluster !== undefined) cluster.stop()
      else dropSchemas(base, schemas)
    }
  }
  const ratios: Record<string, number> = {}
  const find = (b: Backend, n: number): BackendRun | undefined =>
    runs.find((r) => r.backend === b && r.processes === n)
  const sqlite = find('sqlite', 1)
  const pg1 = find('postgres', 1)
  const pgN = o.processes > 1 ? find('postgres', o.processes) : undefined
  if (sqlite !== undefined && pg1 !== undefined) {
    ratios['postgres 1 process / sqlite'] = pg1.acceptedPerS / sqlite.acceptedPerS
  }
  if (pgN !== undefined && pg1 !== undefined) {
    ratios[`postgres ${o.processes} processes / postgres 1 process`] =
      pgN.acceptedPerS / pg1.acceptedPerS
  }
  if (pgN !== undefined && sqlite !== undefined) {
    ratios[`postgres ${o.processes} processes / sqlite`] = pgN.acceptedPerS / sqlite.acceptedPerS
  }
  const report = { postgresSettings, runs, ratios }
  for (const line of describeBackendReport(report, o)) log(line)
  return report
}

async function runOne(
  o: BackendStageOptions,
  backend: Backend,
  processes: number,
  spec: string,
  postmaster: number | undefined,
  log: (line: string) => void,
): Promise<BackendRun> {
  const name = `${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${processes} relay process${processes > 1 ? 'es' : ''}`
  const t0 = performance.now()
  fundDatabase(spec, o.funded)
  log(
    `${name}: funded ${fmt(o.funded.length)} downloaders in ${fmt((performance.now() - t0) / 1000, 1)} s`,
  )
  const children: ReadyChild[] = []
  try {
    // One after another: the first one creates the announce store's tables.
    for (let i = 0; i < processes; i++) {
      children.push(
        await o.startChild(
          ['tseed', String(o.threads), spec, o.synchronous],
          `${backend}-${processes}p-${i}`,
        ),
      )
    }
    const pids = children.map((c) => {
      if (c.proc.pid === undefined) throw new Error('relay child has no pid')
      return c.proc.pid
    })
    const snapsBefore = await Promise.all(children.map(snap))
    const cpuBefore = pids.map(cpuSnapshot)
    const pgBefore: ClusterCpu | undefined =
      postmaster === undefined ? undefined : clusterCpu(postmaster)
    const ownBefore = process.cpuUsage()
    const load = await runLoad(
      children.map((c) => c.url),
      o.frames.saturate,
      { connections: o.connections, window: o.window, timeLimitMs: o.timeLimitS * 1000 },
    )
    const own = process.cpuUsage(ownBefore)
    const pgUsed =
      pgBefore === undefined || postmaster === undefined
        ? undefined
        : clusterCpuUsed(pgBefore, clusterCpu(postmaster))
    const cpuAfter = pids.map(cpuSnapshot)
    const snapsAfter = await Promise.all(children.map(snap))
    const relays = children.map((_, i) => ({
      accepted: load.acceptedByConnection
        .filter((_, c) => c % children.length === i)
        .reduce((a, b) => a + b, 0),
      ...processReport(cpuBefore[i]!, cpuAfter[i]!, snapsBefore[i]!, snapsAfter[i]!),
    }))
    let paced: BackendRun['paced']
    let pacedAccepted = 0
    if (o.frames.paced.length > 0) {
      const half = Math.max(1, Math.floor(rate(load.answered, load.durationMs) / 2))
      const p = await runLoad(
        children.map((c) => c.url),
        o.frames.paced,
        {
          connections: o.connections,
          window: 100_000,
          timeLimitMs: o.timeLimitS * 1000,
          ratePerSecond: half,
        },
      )
      paced = {
        rate: half,
        answered: p.answered,
        p50: percentile(p.latenciesMs, 50),
        p99: percentile(p.latenciesMs, 99),
      }
      pacedAccepted = p.accepted
    }
    // Stopped before the audit, so every group has committed and closed.
    while (children.length > 0) await children.pop()!.stop()
    const audit = auditDatabase(spec, load.accepted + pacedAccepted)
    return finish(name, backend, processes, spec, load, paced, relays, pgUsed, own, audit)
  } finally {
    for (const c of children) await c.stop()
  }
}

function finish(
  name: string,
  backend: Backend,
  processes: number,
  spec: string,
  load: LoadResult,
  paced: BackendRun['paced'],
  relays: ProcessReport[],
  pgUsed: BackendRun['postgresCpu'],
  own: NodeJS.CpuUsage,
  audit: { text: string; ok: boolean },
): BackendRun {
  const accepted = Math.max(1, load.accepted)
  const us = (seconds: number): number => (seconds * 1e6) / accepted
  const relayCpu = relays.reduce((s, r) => s + r.cpuSeconds, 0)
  const held =
    backend === 'postgres'
      ? relays.reduce((s, r) => s + (r.writeLock?.holdMs ?? 0), 0)
      : relays.reduce((s, r) => s + r.transactionMs, 0)
  const waited =
    backend === 'postgres' ? relays.reduce((s, r) => s + (r.writeLock?.waitMs ?? 0), 0) : undefined
  const { latenciesMs, ...rest } = load
  return {
    name,
    backend,
    processes,
    database: backend === 'sqlite' ? 'SQLite file' : spec.replace(/\/\/[^@/]*@/, '//'),
    saturate: { ...rest, p50: percentile(latenciesMs, 50), p99: percentile(latenciesMs, 99) },
    paced,
    windowS: load.durationMs / 1000,
    acceptedPerS: rate(load.accepted, load.durationMs),
    relays,
    postgresCpu: pgUsed,
    loadGeneratorCpuSeconds: (own.user + own.system) / 1e6,
    perAnnounce: {
      relayCpuUs: us(relayCpu),
      postgresCpuUs: pgUsed === undefined ? undefined : us(pgUsed.total),
      lockHeldUs: (held * 1000) / accepted,
      lockBusyShare: held / Math.max(1, load.durationMs),
      lockWaitUs: waited === undefined ? undefined : (waited * 1000) / accepted,
      roundTrips:
        backend === 'postgres'
          ? relays.reduce((s, r) => s + (r.writeLock?.roundTrips ?? 0), 0) / accepted
          : undefined,
    },
    audit: audit.text,
    auditOk: audit.ok,
  }
}

function processReport(
  a: CpuSnapshot,
  b: CpuSnapshot,
  sa: Snap,
  sb: Snap,
): Omit<ProcessReport, 'accepted'> {
  const lock =
    sa.writeLock === undefined || sb.writeLock === undefined
      ? undefined
      : {
          transactions: sb.writeLock.transactions - sa.writeLock.transactions,
          roundTrips: sb.writeLock.roundTrips - sa.writeLock.roundTrips,
          waitMs: sb.writeLock.waitMs - sa.writeLock.waitMs,
          holdMs: sb.writeLock.holdMs - sa.writeLock.holdMs,
        }
  return {
    cpuSeconds: b.main + b.others - a.main - a.others,
    mainSeconds: b.main - a.main,
    otherSeconds: b.others - a.others,
    groups: sb.groupCommits.groups - sa.groupCommits.groups,
    units: sb.groupCommits.units - sa.groupCommits.units,
    transactionMs: sb.groupCommits.transactionMs - sa.groupCommits.transactionMs,
    ...(lock === undefined ? {} : { writeLock: lock }),
  }
}

/** Asks a relay child for its counters (SIGUSR2) and waits for its `SNAP` line. */
function snap(child: ReadyChild): Promise<Snap> {
  const out = child.proc.stdout
  if (out === null) throw new Error('relay child has no stdout')
  return new Promise((resolve, reject) => {
    let buf = ''
    const done = (): void => {
      clearTimeout(timer)
      out.off('data', onData)
      child.proc.off('exit', onExit)
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error('relay child did not answer SIGUSR2 within 10 s'))
    }, 10_000)
    const onExit = (code: number | null, signal: string | null): void => {
      done()
      reject(
        new Error(`relay child exited (${code ?? signal ?? '?'}) instead of answering SIGUSR2`),
      )
    }
    const onData = (d: Buffer): void => {
      buf += d.toString()
      const m = /^SNAP (.*)\n/m.exec(buf)
      if (m === null) return
      done()
      resolve(JSON.parse(m[1]!) as Snap)
    }
    out.on('data', onData)
    child.proc.once('exit', onExit)
    child.proc.kill('SIGUSR2')
  })
}

/** After a run: the ledger audits, and one announce is stored per accepted event. */
export function auditDatabase(spec: string, accepted: number): { text: string; ok: boolean } {
  const db = openRelayDatabase(spec)
  try {
    const audit = new Ledger(db).audit()
    const count = Number(db.prepare('SELECT count(*) FROM announces').pluck().get())
    const downloads = Number(
      db.prepare("SELECT count(*) FROM ledger_postings WHERE kind = 'download'").pluck().get(),
    )
    const ok = audit.ok && count === accepted
    return {
      ok,
      text:
        `audit ${audit.ok ? 'ok' : 'FAILED'}, ${fmt(count)} announces stored for ` +
        `${fmt(accepted)} accepted, ${fmt(downloads)} download postings`,
    }
  } finally {
    db.close()
  }
}

/** The server settings that decide durability and speed, as the server reports them. */
function settingsOf(db: PgDatabase): Record<string, string> {
  const rows = db
    .prepare(
      `SELECT name, setting FROM pg_settings WHERE name IN
        ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method',
         'shared_buffers', 'data_directory')`,
    )
    .all() as { name: string; setting: string }[]
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]))
}

function withSchema(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('schema', schema)
  return u.toString()
}

/** The schemas this stage made on a server it was given. */
function dropSchemas(url: string, schemas: readonly string[]): void {
  if (schemas.length === 0) return
  const db = PgDatabase.open(url)
  try {
    for (const s of schemas) db.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`)
  } finally {
    db.close()
  }
}

export function describeBackendReport(r: BackendReport, o: BackendStageOptions): string[] {
  const lines: string[] = []
  const n = (x: number | undefined, d = 0): string => (x === undefined ? '—' : fmt(x, d))
  for (const run of r.runs) {
    const s = run.saturate
    lines.push(
      run.name,
      `  accepted ${fmt(s.accepted)}/${fmt(s.sent)} in ${fmt(run.windowS, 2)} s${s.timedOut ? ' (TIME LIMIT HIT)' : ''}: ` +
        `accepted/s ${fmt(run.acceptedPerS)}, answered/s ${fmt(rate(s.answered, s.durationMs))}`,
      `  OK latency at saturation p50 ${fmt(s.p50, 1)} ms  p99 ${fmt(s.p99, 1)} ms` +
        (run.paced === undefined
          ? ''
          : `; at half that rate (${fmt(run.paced.rate)}/s) p50 ${fmt(run.paced.p50, 1)} ms  p99 ${fmt(run.paced.p99, 1)} ms`),
    )
    run.relays.forEach((p, i) => {
      lines.push(
        `  relay process ${i + 1}: CPU ${fmt(p.cpuSeconds, 2)} s (${fmt((p.cpuSeconds / run.windowS) * 100)}% of a core; ` +
          `main thread ${fmt(p.mainSeconds, 2)} s, other threads ${fmt(p.otherSeconds, 2)} s), ` +
          `${fmt((p.cpuSeconds * 1e6) / Math.max(1, p.accepted))} µs per announce it accepted (${fmt(p.accepted)}); ` +
          `${fmt(p.units)} announces in ${fmt(p.groups)} groups (${fmt(p.units / Math.max(1, p.groups), 1)} per group), ` +
          `${fmt(p.transactionMs / 1000, 2)} s in group transactions` +
          (p.writeLock === undefined
            ? ''
            : `; write lock held ${fmt(p.writeLock.holdMs / 1000, 2)} s, first round trips ${fmt(p.writeLock.waitMs / 1000, 2)} s over ${fmt(p.writeLock.transactions)} transactions; ` +
              `${fmt(p.writeLock.roundTrips)} round trips to the server (${fmt(p.writeLock.roundTrips / Math.max(1, p.units), 1)} per announce)`),
      )
    })
    if (run.postgresCpu !== undefined) {
      const kinds = Object.entries(run.postgresCpu.byKind)
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${fmt(v, 2)} s`)
        .join(', ')
      lines.push(
        `  PostgreSQL CPU ${fmt(run.postgresCpu.total, 2)} s (${fmt((run.postgresCpu.total / run.windowS) * 100)}% of a core): ${kinds}`,
      )
    }
    lines.push(
      `  load generator CPU ${fmt(run.loadGeneratorCpuSeconds, 2)} s (${fmt((run.loadGeneratorCpuSeconds / run.windowS) * 100)}% of a core)`,
      `  per accepted announce: relay CPU ${fmt(run.perAnnounce.relayCpuUs)} µs` +
        (run.processes > 1 ? ` (all processes)` : '') +
        `, PostgreSQL CPU ${n(run.perAnnounce.postgresCpuUs)} µs, ` +
        `write lock held ${fmt(run.perAnnounce.lockHeldUs)} µs (busy ${fmt(run.perAnnounce.lockBusyShare * 100)}% of the window)` +
        (run.perAnnounce.lockWaitUs === undefined
          ? ''
          : `, first round trip (the lock's wait and the group's first reads) ${fmt(run.perAnnounce.lockWaitUs)} µs`) +
        (run.perAnnounce.roundTrips === undefined
          ? ''
          : `, ${fmt(run.perAnnounce.roundTrips, 1)} round trips to PostgreSQL`),
      `  database after the run: ${run.audit}`,
    )
  }
  lines.push(
    `backend summary (${fmt(o.frames.saturate.length)} announces at saturation, ${o.connections} connections × window ${o.window}, ` +
      `${o.threads} verify thread${o.threads > 1 ? 's' : ''} per relay process, SQLite synchronous=${o.synchronous}` +
      (r.postgresSettings === undefined
        ? ''
        : `, PostgreSQL fsync=${r.postgresSettings.fsync} synchronous_commit=${r.postgresSettings.synchronous_commit} full_page_writes=${r.postgresSettings.full_page_writes}`) +
      ')',
  )
  for (const run of r.runs) {
    lines.push(
      `  ${run.name.padEnd(34)} accepted/s ${fmt(run.acceptedPerS).padStart(6)}   ` +
        `p50/p99 ${fmt(run.saturate.p50)}/${fmt(run.saturate.p99)} ms sat., ` +
        `${n(run.paced?.p50, 1)}/${n(run.paced?.p99, 1)} ms half   ` +
        `relay CPU ${run.relays.map((p) => fmt(p.cpuSeconds, 2)).join(' + ')} s   ` +
        `PostgreSQL CPU ${n(run.postgresCpu?.total, 2)} s   audit ${run.auditOk ? 'ok' : 'FAILED'}`,
    )
  }
  for (const [k, v] of Object.entries(r.ratios)) lines.push(`  ratio ${k}: ${fmt(v, 2)}`)
  return lines
}
