import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { NostrEvent } from 'nostr-tools/core'
import { afterEach, describe, expect, it } from 'vitest'
import { newKey, signAnnounce, signEvent } from '../../tests/fixtures'
import { createVerifier, WorkerPoolVerifier, type WorkerVerifierOptions } from './worker-verifier'

const T0 = 1_700_000_000
const MISBEHAVING = new URL('../../../tests/support/misbehaving-verify-worker.ts', import.meta.url)
const silent = { warn: () => undefined, error: () => undefined }
const pools: WorkerPoolVerifier[] = []
const dirs: string[] = []

afterEach(async () => {
  delete process.env.TSEED_TEST_VERIFY_WORKER_BROKEN
  await Promise.all(pools.splice(0).map((p) => p.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function pool(opts: WorkerVerifierOptions = {}): Promise<WorkerPoolVerifier> {
  const p = await WorkerPoolVerifier.start({ logger: silent, ...opts })
  pools.push(p)
  return p
}

/** A correctly signed event whose content tells the misbehaving worker what to do. */
function signed(content: string): NostrEvent {
  return signEvent(newKey().sk, 24133, T0, [], content)
}

describe('WorkerPoolVerifier', () => {
  it('checks id and signature on worker threads, batching one turn into few messages', async () => {
    const p = await pool({ threads: 2 })
    const { sk } = newKey()
    const good = Array.from({ length: 200 }, (_, i) => signAnnounce(sk, T0 + i))
    const forged = { ...good[0]!, sig: good[1]!.sig }
    const edited = { ...good[2]!, tags: [...good[2]!.tags, ['port', '1']] }
    const outcomes = await Promise.all([...good, forged, edited].map((ev) => p.check(ev)))
    expect(outcomes.slice(0, 200).every((o) => o === 'valid')).toBe(true)
    expect(outcomes.slice(200)).toEqual(['bad-signature', 'bad-id'])
    expect(await p.verify(good[3]!)).toBe(true)
    expect(await p.verify(forged)).toBe(false)
    const stats = p.stats
    expect(stats).toMatchObject({ ready: 2, events: 204, crashes: 0, inThread: 0 })
    // 202 events submitted in one turn travel in a message per worker, not one each.
    expect(stats.batches).toBeLessThanOrEqual(4)
  })

  it('verifies every time: an edit after a good verdict is caught', async () => {
    const p = await pool({ threads: 1 })
    const ev = signed('hello')
    expect(await p.check(ev)).toBe('valid')
    ev.content = 'edited'
    expect(await p.check(ev)).toBe('bad-id')
  })

  it('replaces a crashed worker and retries the events it held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-verify-'))
    dirs.push(dir)
    const p = await pool({ threads: 1, workerUrl: MISBEHAVING })
    const batch = [signed('a'), signed(`crash-once:${join(dir, 'marker')}`), signed('b')]
    // The whole batch went down with the worker; every event comes back valid.
    expect(await Promise.all(batch.map((ev) => p.check(ev)))).toEqual(['valid', 'valid', 'valid'])
    expect(p.stats).toMatchObject({ crashes: 1, ready: 1, inThread: 0 })
  })

  it('answers an event that kills every worker with a rejection, and nothing else with one', async () => {
    const p = await pool({ threads: 2, workerUrl: MISBEHAVING, maxAttempts: 2 })
    const poison = signed('crash')
    const others = [signed('a'), signed('b'), signed('c')]
    const results = await Promise.allSettled([poison, ...others].map((ev) => p.check(ev)))
    expect(results[0]).toMatchObject({ status: 'rejected' })
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/verify workers died/)
    expect(results.slice(1)).toEqual(others.map(() => ({ status: 'fulfilled', value: 'valid' })))
    // Replacements keep serving.
    expect(await p.check(signed('after'))).toBe('valid')
    expect(p.stats.crashes).toBeGreaterThanOrEqual(2)
  })

  it('terminates a stalled worker and answers its events', async () => {
    const p = await pool({ threads: 1, workerUrl: MISBEHAVING, stallTimeoutMs: 300 })
    const started = Date.now()
    const [stall, fine] = await Promise.allSettled([p.check(signed('stall')), p.check(signed('x'))])
    expect(stall.status).toBe('rejected')
    expect(fine).toEqual({ status: 'fulfilled', value: 'valid' })
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('checks on the main thread while no worker can start, so nothing hangs', async () => {
    const p = await pool({ threads: 1, workerUrl: MISBEHAVING, maxAttempts: 3 })
    // From now on replacements die while loading.
    process.env.TSEED_TEST_VERIFY_WORKER_BROKEN = '1'
    const dir = mkdtempSync(join(tmpdir(), 'tseed-verify-'))
    dirs.push(dir)
    const evs = [signed(`crash-once:${join(dir, 'm')}`), signed('y')]
    expect(await Promise.all(evs.map((ev) => p.check(ev)))).toEqual(['valid', 'valid'])
    expect(p.stats.inThread).toBeGreaterThan(0)
    expect(p.stats.ready).toBe(0)
  })

  it('fails to start when its worker cannot load', async () => {
    process.env.TSEED_TEST_VERIFY_WORKER_BROKEN = '1'
    await expect(
      WorkerPoolVerifier.start({ threads: 1, workerUrl: MISBEHAVING, logger: silent }),
    ).rejects.toThrow(/before it was ready/)
  })

  it('rejects waiting and new events once closed', async () => {
    const p = await WorkerPoolVerifier.start({ threads: 1, logger: silent })
    const pending = expect(p.check(signed('late'))).rejects.toThrow(/closed/)
    await p.close()
    await pending
    await expect(p.check(signed('later'))).rejects.toThrow(/closed/)
  })

  it('validates its options', async () => {
    await expect(WorkerPoolVerifier.start({ threads: 0 })).rejects.toThrow(RangeError)
    await expect(WorkerPoolVerifier.start({ threads: 1, maxBatch: 0 })).rejects.toThrow(RangeError)
  })
})

describe('createVerifier', () => {
  it('verifies on the calling thread for 0 threads', async () => {
    const v = await createVerifier(0)
    expect(v).not.toBeInstanceOf(WorkerPoolVerifier)
    const ev = signed('x')
    expect(await v.check?.(ev)).toBe('valid')
    expect(await v.check?.({ ...ev, content: 'y' })).toBe('bad-id')
  })
})

describe('verify workers under tsx', () => {
  it('load when the relay runs as node --import tsx', async () => {
    const module = fileURLToPath(new URL('./worker-verifier.ts', import.meta.url))
    const fixtures = fileURLToPath(new URL('../../tests/fixtures.ts', import.meta.url))
    const script = `
      const { WorkerPoolVerifier } = await import(${JSON.stringify(module)})
      const { newKey, signAnnounce } = await import(${JSON.stringify(fixtures)})
      const pool = await WorkerPoolVerifier.start({ threads: 2 })
      const ev = signAnnounce(newKey().sk, ${T0})
      const out = await Promise.all([pool.check(ev), pool.check({ ...ev, content: 'x' })])
      console.log(JSON.stringify({ out, ready: pool.stats.ready }))
      await pool.close()
    `
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 30_000 },
    )
    expect(JSON.parse(stdout)).toEqual({ out: ['valid', 'bad-id'], ready: 2 })
  })
})
