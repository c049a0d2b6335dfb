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
  durationMs: number
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
  /** Events per second, summed over the threads. */
  rate: number
}

export interface RawOptions {
  implementations: readonly VerifierImplementation[]
  /** The all-threads measurement; 1 is measured too. */
  threads: number
  /** Per measurement, after a warm-up of a fifth of it. */
  seconds: number
  /** Events per batch, as the relay's worker pool sends at most. */
  batchSize?: number
}

const SAMPLE = 2048

/** Measures every implementation on one thread and on `threads` threads, one after another. */
export async function measureRawRates(frames: readonly Frame[], o: RawOptions): Promise<RawRate[]> {
  const batchSize = o.batchSize ?? 256
  const events = frames.slice(0, SAMPLE).map((f) => (JSON.parse(f.frame) as unknown[])[1])
  const batches: string[] = []
  for (let i = 0; i < events.length; i += batchSize) {
    batches.push(JSON.stringify(events.slice(i, i + batchSize)))
  }
  const counts = o.threads > 1 ? [1, o.threads] : [1]
  const rates: RawRate[] = []
  for (const implementation of o.implementations) {
    for (const threads of counts) {
      const job: RawJob = {
        implementation,
        batches,
        warmupMs: (o.seconds * 1000) / 5,
        durationMs: o.seconds * 1000,
      }
      rates.push({ implementation, threads, rate: await measureOnce(job, threads) })
    }
  }
  return rates
}

async function measureOnce(job: RawJob, threads: number): Promise<number> {
  const workers: Worker[] = []
  try {
    const ready: Promise<void>[] = []
    for (let t = 0; t < threads; t++) {
      const w = spawnWorker(siblingModule(import.meta.url, 'raw-verify-worker'), job)
      workers.push(w)
      ready.push(
        new Promise((resolve, reject) => {
          w.once('message', () => {
            resolve()
          })
          w.once('error', reject)
        }),
      )
    }
    await Promise.all(ready)
    const replies = await Promise.all(
      workers.map(
        (w) =>
          new Promise<RawReply>((resolve, reject) => {
            w.once('message', resolve)
            w.once('error', reject)
            w.postMessage('go')
          }),
      ),
    )
    const invalid = replies.reduce((n, r) => n + r.invalid, 0)
    if (invalid > 0)
      throw new Error(`${job.implementation} refused ${invalid} correctly signed events`)
    return replies.reduce((sum, r) => sum + (r.events * 1000) / r.ms, 0)
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

/** The report lines for the raw rates, with native over nostr-wasm where both were measured. */
export function describeRaw(rates: readonly RawRate[]): string[] {
  const lines = ["raw verification (a verify worker's job: JSON.parse, id hash, Schnorr verify):"]
  for (const r of rates) {
    lines.push(
      `  ${r.implementation.padEnd(6)} ${String(r.threads).padStart(2)} thread${r.threads === 1 ? ' ' : 's'} ${fmt(r.rate).padStart(8)} events/s`,
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
