import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { newKey, signAnnounce } from '../../tests/fixtures'
import { chooseImplementation, VERIFIER_ENV, verifierChoiceFromEnv } from './batch-checker'
import { computeEventId } from './event-validation'
import { BUILD_COMMAND, describeLoadError, loadNativeSecp256k1 } from './native-secp256k1'
import { createVerifier, WorkerPoolVerifier } from './worker-verifier'

const T0 = 1_700_000_000
const dir = mkdtempSync(join(tmpdir(), 'tseed-native-'))
const MISSING = join(dir, 'missing.node')
const GARBAGE = join(dir, 'garbage.node')
writeFileSync(GARBAGE, 'not a shared object')
const pools: WorkerPoolVerifier[] = []

afterEach(async () => {
  delete process.env.TSEED_VERIFIER
  await Promise.all(pools.splice(0).map((p) => p.close()))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** A logger that keeps what it was told. */
function recorder(): {
  warn: string[]
  error: string[]
  logger: { warn(m: string): void; error(m: string): void }
} {
  const warn: string[] = []
  const error: string[] = []
  return {
    warn,
    error,
    logger: {
      warn: (m) => warn.push(m),
      error: (m) => error.push(m),
    },
  }
}

/** Good events, one with a wrong id and one with another event's signature. */
function mixedBatch(): { events: NostrEvent[]; expected: string[] } {
  const { sk } = newKey()
  const good = Array.from({ length: 40 }, (_, i) => signAnnounce(sk, T0 + i))
  const badId = { ...good[0]!, content: 'edited' }
  const badSig = { ...good[1]!, sig: good[2]!.sig }
  const offCurve = { ...good[3]!, pubkey: 'f'.repeat(64) }
  return {
    events: [...good, badId, badSig, { ...offCurve, id: computeEventId(offCurve) }],
    expected: [...good.map(() => 'valid'), 'bad-id', 'bad-signature', 'bad-signature'],
  }
}

describe('the native addon', () => {
  it('is built and loads (scripts/setup.sh builds it)', () => {
    const load = loadNativeSecp256k1()
    expect(load.ok ? 'loaded' : load.cause, `build it with ${BUILD_COMMAND}`).toBe('loaded')
  })

  it('checks its arguments instead of reading past them', () => {
    const load = loadNativeSecp256k1()
    if (!load.ok) throw new Error(load.cause)
    const verify = (records: Uint8Array, count: number): Uint8Array =>
      load.addon.verify(records, count)
    expect(verify(new Uint8Array(0), 0)).toEqual(new Uint8Array(0))
    expect(() => verify(new Uint8Array(127), 1)).toThrow(/too short/)
    expect(() => verify(new Uint8Array(256), 3)).toThrow(/too short/)
    expect(() => verify(new Uint8Array(128), -1)).toThrow(/too short/)
    expect(() => verify(new Uint16Array(64) as unknown as Uint8Array, 1)).toThrow(/Uint8Array/)
    expect(() => verify('x' as unknown as Uint8Array, 1)).toThrow(/Uint8Array/)
    expect(() => verify(new Uint8Array(128), 'one' as unknown as number)).toThrow(/count/)
    // A record of zeros is a pubkey off the curve: invalid, not a crash.
    expect(verify(new Uint8Array(128), 1)).toEqual(Uint8Array.of(0))
  })

  it('reads a record at the view offset of a subarray', () => {
    const load = loadNativeSecp256k1()
    if (!load.ok) throw new Error(load.cause)
    const { sk } = newKey()
    const ev = signAnnounce(sk, T0)
    const buf = new Uint8Array(1 + 128)
    buf.set(Buffer.from(ev.id + ev.pubkey + ev.sig, 'hex'), 1)
    expect(load.addon.verify(buf.subarray(1), 1)).toEqual(Uint8Array.of(1))
    expect(load.addon.verify(buf.subarray(0, 128), 1)).toEqual(Uint8Array.of(0))
  })
})

describe('loading the addon', () => {
  it('names the cause when the file is missing or is not an addon', () => {
    const missing = loadNativeSecp256k1(MISSING)
    expect(missing).toEqual({ ok: false, cause: expect.stringMatching(/not built/) as unknown })
    const garbage = loadNativeSecp256k1(GARBAGE)
    expect(garbage).toEqual({
      ok: false,
      cause: expect.stringMatching(/could not be loaded/) as unknown,
    })
  })

  it('tells a wrong Node version and a missing library apart', () => {
    expect(
      describeLoadError(
        new Error(
          "The module 'x.node' was compiled against a different Node.js version using\nNODE_MODULE_VERSION 127.",
        ),
      ),
    ).toMatch(/another Node version/)
    expect(
      describeLoadError(
        new Error('libsecp256k1.so.1: cannot open shared object file: No such file or directory'),
      ),
    ).toMatch(/libsecp256k1 is missing.*libsecp256k1-dev/)
  })
})

describe('choosing the implementation', () => {
  it('auto: native when the addon loads, without a word', () => {
    const r = recorder()
    expect(chooseImplementation('auto', r.logger)).toBe('native')
    expect(r.warn).toEqual([])
  })

  it('auto without the addon: one warning with the cause and the build command, then nostr-wasm', () => {
    const r = recorder()
    expect(chooseImplementation('auto', r.logger, MISSING)).toBe('wasm')
    expect(r.warn).toHaveLength(1)
    expect(r.warn[0]).toMatch(/native signature verification is off: the addon is not built/)
    expect(r.warn[0]).toContain(BUILD_COMMAND)
    expect(r.warn[0]).toContain('libsecp256k1-dev')
  })

  it('native without the addon fails instead of falling back', () => {
    const r = recorder()
    expect(() => chooseImplementation('native', r.logger, MISSING)).toThrow(
      /native signature verification was required, but the addon is not built/,
    )
    expect(r.warn).toEqual([])
  })

  it('wasm never touches the addon', () => {
    const r = recorder()
    expect(chooseImplementation('wasm', r.logger, GARBAGE)).toBe('wasm')
    expect(r.warn).toEqual([])
  })

  it(`reads ${VERIFIER_ENV}`, () => {
    expect(verifierChoiceFromEnv({})).toBeUndefined()
    expect(verifierChoiceFromEnv({ [VERIFIER_ENV]: '' })).toBeUndefined()
    expect(verifierChoiceFromEnv({ [VERIFIER_ENV]: 'native' })).toBe('native')
    expect(verifierChoiceFromEnv({ [VERIFIER_ENV]: 'wasm' })).toBe('wasm')
    expect(() => verifierChoiceFromEnv({ [VERIFIER_ENV]: 'fast' })).toThrow(/auto, native, wasm/)
  })
})

describe('the worker pool with each implementation', () => {
  it('gives the same verdicts native and with nostr-wasm', async () => {
    const { events, expected } = mixedBatch()
    for (const implementation of ['native', 'wasm'] as const) {
      const r = recorder()
      const pool = await WorkerPoolVerifier.start({ threads: 2, implementation, logger: r.logger })
      pools.push(pool)
      expect(await Promise.all(events.map((ev) => pool.check(ev)))).toEqual(expected)
      expect(pool.stats).toMatchObject({ implementation, ready: 2, inThread: 0, crashes: 0 })
      expect(r.warn).toEqual([])
    }
  })

  it('falls back to nostr-wasm with one warning for the whole pool when the addon is missing', async () => {
    const r = recorder()
    const pool = await WorkerPoolVerifier.start({
      threads: 2,
      implementation: 'auto',
      nativeAddonPath: MISSING,
      logger: r.logger,
    })
    pools.push(pool)
    const { events, expected } = mixedBatch()
    expect(await Promise.all(events.map((ev) => pool.check(ev)))).toEqual(expected)
    expect(pool.stats.implementation).toBe('wasm')
    expect(r.warn).toHaveLength(1)
    expect(r.error).toEqual([])
  })

  it('refuses to start when native is required and missing', async () => {
    const r = recorder()
    await expect(
      WorkerPoolVerifier.start({
        threads: 1,
        implementation: 'native',
        nativeAddonPath: MISSING,
        logger: r.logger,
      }),
    ).rejects.toThrow(new RegExp(BUILD_COMMAND))
  })

  it(`takes the implementation from ${VERIFIER_ENV} when no option names one`, async () => {
    process.env[VERIFIER_ENV] = 'wasm'
    const pool = await WorkerPoolVerifier.start({ threads: 1, logger: recorder().logger })
    pools.push(pool)
    expect(pool.stats.implementation).toBe('wasm')
  })

  it('verifies in-thread with the native addon for 0 threads', async () => {
    const v = await createVerifier(0, { implementation: 'native' })
    const { events, expected } = mixedBatch()
    expect(await Promise.all(events.map((ev) => v.check!(ev)))).toEqual(expected)
    expect(await v.verify(events[0]!)).toBe(true)
    expect(await v.verify(events.at(-1)!)).toBe(false)
  })
})
