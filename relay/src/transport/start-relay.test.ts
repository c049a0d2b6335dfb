import type { NostrEvent } from 'nostr-tools/core'
import { afterEach, describe, expect, it } from 'vitest'
import { newKey, signAnnounce } from '../../tests/fixtures'
import { isOk, RawClient } from '../../tests/ws-client'
import type { Verifier } from '../core/verifier'
import { WorkerPoolVerifier } from '../core/worker-verifier'
import { startRelay, type RunningRelay, type StartRelayOptions } from './start-relay'

const silent = { warn: () => undefined, error: () => undefined }
const now = () => Math.floor(Date.now() / 1000)
const running: RunningRelay[] = []
const clients: RawClient[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await Promise.all(running.splice(0).map((r) => r.close()))
})

async function start(opts: StartRelayOptions): Promise<RunningRelay> {
  const r = await startRelay({ port: 0, logger: silent, ...opts })
  running.push(r)
  return r
}

/** Publishes a good and a forged announce and returns both verdicts. */
async function publishPair(url: string): Promise<unknown[][]> {
  const c = await RawClient.connect(url)
  clients.push(c)
  const { sk } = newKey()
  // One clock reading: two could straddle a second and make both events the same.
  const t = now()
  const good = signAnnounce(sk, t)
  const forged: NostrEvent = { ...signAnnounce(sk, t - 1), sig: good.sig }
  c.send(['EVENT', good])
  c.send(['EVENT', forged])
  return [await c.next(isOk(good.id)), await c.next(isOk(forged.id))]
}

describe('startRelay verification', () => {
  for (const threads of [undefined, 1, 0]) {
    it(`verifies with verifierThreads ${String(threads)}`, async () => {
      const r = await start({ verifierThreads: threads })
      const [good, forged] = await publishPair(r.url)
      expect(good?.slice(2)).toEqual([true, ''])
      expect(forged?.slice(2)).toEqual([false, 'invalid: bad signature'])
    })
  }

  it('closes the worker pool it started, and leaves a given verifier to its owner', async () => {
    const pool = await WorkerPoolVerifier.start({ threads: 1, logger: silent })
    let closed = false
    const given: Verifier = {
      verify: (ev) => pool.verify(ev),
      check: (ev) => pool.check(ev),
      close: () => {
        closed = true
        return pool.close()
      },
    }
    const r = await start({ verifier: given })
    expect((await publishPair(r.url))[0]?.[2]).toBe(true)
    await r.close()
    expect(closed).toBe(false)
    expect(pool.stats.ready).toBe(1)
    await pool.close()
  })
})
