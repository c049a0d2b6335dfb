/**
 * The verification limit without a relay: events/s that the native addon and
 * nostr-wasm check, each on one thread and on `threads` threads at once. A
 * thread does what a relay's verify worker does per batch (JSON.parse, id
 * hash, Schnorr verify) on the benchmark's own signed events, so the relays'
 * rates can be read as a share of it.
 */
import type { Worker } from 'node:worker_threads'
import type { VerifierImplementation } from '../relay/src/core/batch-checker'
import { siblingModule, spawnWorker } from '../relay/src/core/spawn-worker'
import type { Frame } from './load'
import { fmt } from './stats'

export interface RawJob {
  implementation: VerifierImplementation
  /** JSON arrays of events, one per batch, as a verify worker receives them. */
  batches: string[]
  warmupMs: number
}

export interface RawReply {
  events: number
  ms: number
  /** Events the checker refused; 0 on the benchmark's correctly signed events. */
  invalid: number
}

export interface RawRate {
  implementation: VerifierImplementation
  threads: number
  /** Events per second, summed over the threads: the best of the slices. */
  rate: number
  /** Every slice's rate, in the order measured. */
  slices: number[]
}

export interface RawOptions {
  implementations: readonly VerifierImplementation[]
  /** The all-threads measurement; 1 is measured too. */
  threads: number
  /** Per implementation and thread count, split into `slices`. */
  seconds: number
  /** Default 4. */
  slices?: number
  /** Events per batch, as the relay's worker pool sends at most. Default 256. */
  batchSize?: number
}

const SAMPLE = 2048
/** Long enough for V8 to optimise the JavaScript and tier up nostr-wasm's WebAssembly. */
const WARMUP_MS = 1000

/**
 * Measures every implementation on one thread and on `threads` threads. On
 * a machine shared with other work the CPU available changes from one second
 * to the next, so the implementations take turns in short slices and each
 * keeps its best slice: both are then measured in the same minutes, and the
 * best slice is the one least disturbed.
 */
export async function measureRawRates(frames: readonly Frame[], o: RawOptions): Promise<RawRate[]> {
  const batchSize = o.batchSize ?? 256
  const slices = o.slices ?? 4
  const events = frames.slice(0, SAMPLE).map((f) => (JSON.parse(f.frame) as unknown[])[1])
  const batches: string[] = []
  for (let i = 0; i < events.length; i += batchSize) {
    batches.push(JSON.stringify(events.slice(i, i + batchSize)))
  }
  const sliceMs = (o.seconds * 1000) / slices
  const rates: RawRate[] = []
  for (const threads of o.threads > 1 ? [1, o.threads] : [1]) {
    const pools = await Promise.all(
      o.implementations.map((implementation) =>
        startWorkers({ implementation, batches, warmupMs: WARMUP_MS }, threads),
      ),
    )
    try {
      const measured = o.implementations.map((implementation) => ({
        implementation,
        threads,
        rate: 0,
        slices: [] as number[],
      }))
      for (let s = 0; s < slices; s++) {
        for (const [i, workers] of pools.entries()) {
          const rate = await runSlice(workers, sliceMs, o.implementations[i]!)
          measured[i]!.slices.push(rate)
          measured[i]!.rate = Math.max(measured[i]!.rate, rate)
        }
      }
      rates.push(...measured)
    } finally {
      await Promise.all(pools.flat().map((w) => w.terminate()))
    }
  }
  return rates
}

/** Starts `threads` workers for `job` and waits until each has warmed up. */
async function startWorkers(job: RawJob, threads: number): Promise<Worker[]> {
  const workers = Array.from({ length: threads }, () =>
    spawnWorker(siblingModule(import.meta.url, 'raw-verify-worker'), job),
  )
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => {
            resolve()
          })
          w.once('error', reject)
        }),
    ),
  )
  return workers
}

/** One slice on every worker of a pool at once; events/s summed over them. */
async function runSlice(workers: readonly Worker[], ms: number, name: string): Promise<number> {
  const replies = await Promise.all(
    workers.map(
      (w) =>
        new Promise<RawReply>((resolve, reject) => {
          w.once('message', resolve)
          w.once('error', reject)
          w.postMessage(ms)
        }),
    ),
  )
  const invalid = replies.reduce((n, r) => n + r.invalid, 0)
  if (invalid > 0) throw new Error(`${name} refused ${invalid} correctly signed events`)
  return replies.reduce((sum, r) => sum + (r.events * 1000) / r.ms, 0)
}

/** The report lines for the raw rates, with native over nostr-wasm where both were measured. */
export function describeRaw(rates: readonly RawRate[]): string[] {
  const lines = [
    "raw verification (a verify worker's job: JSON.parse, id hash, Schnorr verify; best slice):",
  ]
  for (const r of rates) {
    lines.push(
      `  ${r.implementation.padEnd(6)} ${String(r.threads).padStart(2)} thread${r.threads === 1 ? ' ' : 's'} ${fmt(r.rate).padStart(8)} events/s` +
        `   (slices: ${r.slices.map((x) => fmt(x)).join(', ')})`,
    )
  }
  for (const threads of new Set(rates.map((r) => r.threads))) {
    const n = rawRate(rates, 'native', threads)
    const w = rawRate(rates, 'wasm', threads)
    if (n !== undefined && w !== undefined) {
      lines.push(
        `  native / nostr-wasm on ${threads} thread${threads === 1 ? '' : 's'}: ${fmt(n / w, 2)}×`,
      )
    }
  }
  return lines
}

export function rawRate(
  rates: readonly RawRate[],
  implementation: VerifierImplementation,
  threads: number,
): number | undefined {
  return rates.find((r) => r.implementation === implementation && r.threads === threads)?.rate
}

/** A relay's answered rate as a share of each raw rate on `threads` threads. */
export function describeRelayRatios(
  answeredPerSecond: number,
  rates: readonly RawRate[],
  threads: number,
): string {
  const parts = (['native', 'wasm'] as const).flatMap((impl) => {
    const raw = rawRate(rates, impl, threads)
    return raw === undefined
      ? []
      : [
          `${fmt(answeredPerSecond / raw, 2)}× ${impl === 'wasm' ? 'nostr-wasm' : impl} (${fmt(raw)}/s)`,
        ]
  })
  return parts.length === 0
    ? '  (no raw verification measured)'
    : `  answered/s ${fmt(answeredPerSecond)} as a share of raw verification on ${threads} thread${threads === 1 ? '' : 's'}: ${parts.join(', ')}`
}
