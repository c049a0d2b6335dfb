/**
 * `npm run bench -- --only fuzz [--fuzz-frames N]`: the relay's front door
 * fuzz (relay/src/fuzz/) at full size, against the TSEED relay in a child
 * process on a temporary SQLite file, with the default frame limit. Prints
 * the seed, frames/s, answers by kind, oracle violations, crashes and the
 * relay's RSS before and after. `FUZZ_SEED=<n>` replays a run.
 */
import type { ChildProcess } from 'node:child_process'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { OVERSIZE_PARSE_FACTOR } from '../relay/src/core/messages'
import { DEFAULT_LIMITS } from '../relay/src/core/limits'
import { frameGenerator } from '../relay/src/fuzz/nostr-frames'
import { fuzzSeed, seeded } from '../relay/src/fuzz/prng'
import { probeRelay } from '../relay/src/fuzz/probe'
import { signedPool } from '../relay/src/fuzz/signed-pool'
import { emptyWsFuzzReport, runWsFuzz, type WsFuzzReport } from '../relay/src/fuzz/ws-fuzzer'
import { memory } from './proc'
import { fmt } from './stats'

export interface FuzzBenchOptions {
  frames: number
  connections: number
  /** Starts the relay child; resolves with its URL and process. */
  start(): Promise<{ url: string; proc: ChildProcess; stop(): Promise<unknown> }>
}

export interface FuzzBenchResult {
  seed: number
  frames: number
  seconds: number
  framesPerSecond: number
  answers: Record<string, number>
  violations: number
  examples: string[]
  crashes: number
  rssBeforeMiB: number
  rssAfterMiB: number
  peakMiB: number
}

const SLICE = 50_000

export async function runFuzzBench(o: FuzzBenchOptions): Promise<FuzzBenchResult> {
  const seed = fuzzSeed()
  console.info(
    `(d) front door fuzz: ${fmt(o.frames)} frames, seed ${seed} (FUZZ_SEED=${seed} replays it)`,
  )
  const random = seeded(seed)
  const signed = signedPool(200, Math.floor(Date.now() / 1000), random)
  const sk = generateSecretKey()
  const next = frameGenerator(random, {
    signed,
    sign: (t) => finalizeEvent(t, sk),
    maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
    closingShare: 0.0005,
  })
  const limits = {
    maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
    maxSubIdLength: DEFAULT_LIMITS.maxSubIdLength,
    closeFactor: OVERSIZE_PARSE_FACTOR,
  }
  const child = await o.start()
  let crashes = 0
  const onExit = (): void => {
    crashes++
  }
  child.proc.once('exit', onExit)
  const pid = child.proc.pid ?? 0
  const total: WsFuzzReport = emptyWsFuzzReport()
  let rssBefore = 0
  let left = o.frames
  try {
    // A short warm-up, so "before" is the relay at work rather than the relay idle.
    await runWsFuzz({ url: child.url, frames: 2_000, next, limits, connections: 4, window: 64 })
    await probeRelay(child.url)
    rssBefore = memory(pid).rssMiB
    while (left > 0 && crashes === 0) {
      const frames = Math.min(SLICE, left)
      left -= frames
      const r = await runWsFuzz({
        url: child.url,
        frames,
        next,
        limits,
        connections: o.connections,
        window: 64,
      })
      merge(total, r)
      const probeMs = await probeRelay(child.url)
      console.info(
        `  ${fmt(total.frames)} frames, ${fmt(total.frames / (total.durationMs / 1000))}/s, ` +
          `${total.violations} violations, relay RSS ${fmt(memory(pid).rssMiB)} MiB, probe ${fmt(probeMs, 1)} ms`,
      )
    }
  } finally {
    child.proc.off('exit', onExit)
  }
  const mem = crashes === 0 ? memory(pid) : { rssMiB: 0, peakMiB: 0 }
  await child.stop()
  const seconds = total.durationMs / 1000
  const result: FuzzBenchResult = {
    seed,
    frames: total.frames,
    seconds,
    framesPerSecond: total.frames / seconds,
    answers: total.answers,
    violations: total.violations,
    examples: total.examples,
    crashes,
    rssBeforeMiB: rssBefore,
    rssAfterMiB: mem.rssMiB,
    peakMiB: mem.peakMiB,
  }
  console.info(
    [
      `  frames ${fmt(result.frames)} in ${fmt(seconds, 1)} s: ${fmt(result.framesPerSecond)} frames/s over ${o.connections} connections (${fmt(total.reconnects)} reconnects after closing frames)`,
      `  answers: ${Object.entries(total.answers)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
      `  frame families: ${Object.entries(total.families)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}`,
      `  oracle violations ${fmt(result.violations)}; crashes ${crashes}`,
      ...result.examples.map((e) => `    ${e}`),
      `  relay RSS before ${fmt(result.rssBeforeMiB)} MiB, after ${fmt(result.rssAfterMiB)} MiB (peak ${fmt(result.peakMiB)} MiB)`,
    ].join('\n'),
  )
  return result
}

function merge(into: WsFuzzReport, r: WsFuzzReport): void {
  into.frames += r.frames
  into.durationMs += r.durationMs
  into.violations += r.violations
  into.reconnects += r.reconnects
  for (const [k, v] of Object.entries(r.answers)) into.answers[k] = (into.answers[k] ?? 0) + v
  for (const [k, v] of Object.entries(r.families)) into.families[k] = (into.families[k] ?? 0) + v
  for (const e of r.examples) if (into.examples.length < 30) into.examples.push(e)
}
