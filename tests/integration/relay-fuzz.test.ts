/**
 * The relay's WebSocket front door under random and mutated frames, over real
 * connections to a real relay on a temporary SQLite file. The seed is printed;
 * `FUZZ_SEED=<n>` replays a run. The 10^6-frame run is `npm run bench -- --only fuzz`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { OVERSIZE_PARSE_FACTOR } from '../../relay/src/core/messages'
import { frameGenerator } from '../../relay/src/fuzz/nostr-frames'
import { fuzzSeed, seeded } from '../../relay/src/fuzz/prng'
import { probeRelay } from '../../relay/src/fuzz/probe'
import { rawFrameFuzz } from '../../relay/src/fuzz/raw-frames'
import { signedPool } from '../../relay/src/fuzz/signed-pool'
import { runWsFuzz, type WsFuzzReport } from '../../relay/src/fuzz/ws-fuzzer'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { startQuietRelay } from '../support/tseed-relay'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const SEED = fuzzSeed()
const SLICES = 4
const FRAMES_PER_SLICE = 3_000
/** Small frames keep oversized ones cheap; the relay's default is tested the same way in the bench. */
const MAX_MESSAGE_BYTES = 16 * 1024

const dirs: string[] = []
let relay: RunningTseedRelay
let signed: NostrEvent[]

beforeAll(async () => {
  console.info(`relay fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it)`)
  const dir = mkdtempSync(join(tmpdir(), 'tseed-fuzz-'))
  dirs.push(dir)
  relay = await startQuietRelay({
    db: join(dir, 'relay.sqlite'),
    limits: {
      maxMessageBytes: MAX_MESSAGE_BYTES,
      // The rate limit has its own slice below; here it would only answer rate-limited.
      rateLimitBurst: 1_000_000,
      rateLimitPerSecond: 1_000_000,
    },
  })
  signed = signedPool(200, Math.floor(Date.now() / 1000), seeded(SEED))
})

afterAll(async () => {
  await relay.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const limits = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxSubIdLength: 64,
  closeFactor: OVERSIZE_PARSE_FACTOR,
}

function summary(r: WsFuzzReport): string {
  return `${r.frames} frames in ${(r.durationMs / 1000).toFixed(1)} s, answers ${JSON.stringify(r.answers)}, reconnects ${r.reconnects}`
}

describe('relay front door fuzz', () => {
  it(`answers ${SLICES} slices of ${FRAMES_PER_SLICE} random frames as documented, keeps serving, in flat memory`, async () => {
    const random = seeded(SEED)
    const sk = generateSecretKey()
    const next = frameGenerator(random, {
      signed,
      sign: (t) => finalizeEvent(t, sk),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      closingShare: 0.01,
    })
    const heap: number[] = []
    for (let slice = 0; slice < SLICES; slice++) {
      const r = await runWsFuzz({
        url: relay.url,
        frames: FRAMES_PER_SLICE,
        next,
        limits,
        connections: 4,
        window: 32,
      })
      console.info(`slice ${slice}: ${summary(r)}`)
      expect(r.examples, `seed ${SEED}`).toEqual([])
      expect(r.violations).toBe(0)
      await expect(probeRelay(relay.url)).resolves.toBeGreaterThan(0)
      gc()
      heap.push(process.memoryUsage().heapUsed)
    }
    console.info(
      `heap after each slice (MiB): ${heap.map((h) => (h / 2 ** 20).toFixed(1)).join(', ')}`,
    )
    // Flat: after the first slice warmed caches up, the rest may wobble but not grow with the frames.
    expect(heap.at(-1)! - heap[0]!).toBeLessThan(16 * 2 ** 20)
    expect(relay.ledger.audit().ok).toBe(true)
  }, 60_000)

  it('answers rate-limited with the documented prefixes when a connection sends too fast', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-fuzz-rate-'))
    dirs.push(dir)
    const limited = await startQuietRelay({
      db: join(dir, 'relay.sqlite'),
      limits: { maxMessageBytes: MAX_MESSAGE_BYTES, rateLimitBurst: 50, rateLimitPerSecond: 20 },
    })
    try {
      const next = frameGenerator(seeded(SEED + 1), {
        signed,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        closingShare: 0,
      })
      const r = await runWsFuzz({
        url: limited.url,
        frames: 1_000,
        next,
        limits,
        connections: 2,
        window: 16,
        skipSilent: true,
      })
      console.info(`rate slice: ${summary(r)}`)
      expect(r.examples, `seed ${SEED}`).toEqual([])
      const limitedAnswers = Object.entries(r.answers)
        .filter(([k]) => k.endsWith('rate-limited:'))
        .reduce((s, [, v]) => s + v, 0)
      expect(limitedAnswers).toBeGreaterThan(300)
      await expect(probeRelay(limited.url)).resolves.toBeGreaterThan(0)
    } finally {
      await limited.close()
    }
  }, 30_000)

  it('survives partial, unmasked and malformed WebSocket frames on raw sockets', async () => {
    const r = await rawFrameFuzz(relay.url, seeded(SEED + 2), 300)
    console.info(`raw frames: ${JSON.stringify(r)}`)
    expect(r.errors).toEqual([])
    await expect(probeRelay(relay.url)).resolves.toBeGreaterThan(0)
    // Every raw connection was let go: only the probe's may still be closing.
    await expect.poll(() => relay.relay.stats.clients, { timeout: 5_000 }).toBe(0)
  }, 30_000)
})
