import type { SqliteDatabase } from './store/database'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { TseedApiClient } from '../../src/balance/api-client'
import { toEventTemplate } from '../../src/nostr/kind21000'
import { LightningError, type LightningBackend } from './lightning/backend'
import { DevLightningBackend } from './lightning/dev-backend'
import {
  DEV_POOL,
  describePoolState,
  startTseedRelay,
  type RunningTseedRelay,
  type TseedRelayOptions,
} from './tseed-relay'
import { foreignInvoice, ScriptedLightning } from '../../tests/support/tseed-relay'

const dirs: string[] = []
const running: RunningTseedRelay[] = []

afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-relay-'))
  dirs.push(dir)
  return join(dir, 'relay.sqlite')
}

function recordingLogger(): {
  lines: string[]
  info: (m: string) => void
  warn: (m: string) => void
  error: (m: string) => void
} {
  const lines: string[] = []
  const push = (m: string) => {
    lines.push(m)
  }
  return { lines, info: push, warn: push, error: push }
}

async function start(options: TseedRelayOptions = {}): Promise<RunningTseedRelay> {
  const r = await startTseedRelay({
    host: '127.0.0.1',
    port: 0,
    logger: recordingLogger(),
    ...options,
  })
  running.push(r)
  return r
}

function client(r: RunningTseedRelay, sk = generateSecretKey()): TseedApiClient {
  return new TseedApiClient({
    baseUrl: r.apiUrl,
    fetch: (u, i) => fetch(u, i),
    sign: (t) => Promise.resolve(finalizeEvent(t, sk)),
  })
}

/** A real-money backend double: nothing here may auto-bootstrap a pool. */
function realMoneyBackend(): LightningBackend {
  const dev = new DevLightningBackend()
  return {
    name: 'fake-real',
    testMode: false,
    createInvoice: (p) => dev.createInvoice(p),
    lookupInvoice: (h) => dev.lookupInvoice(h),
    payInvoice: (i, o) => dev.payInvoice(i, o),
    close: () => dev.close(),
  }
}

describe('startTseedRelay', () => {
  it('keeps announces, ledger and API tables in one SQLite file, and survives a restart', async () => {
    const db = tempDb()
    const sk = generateSecretKey()
    const first = await start({ db })
    const api = client(first, sk)
    const d = await api.createDeposit({ amountSat: 1_234n })
    await api.deposit(d.paymentHash)
    await api.setLimits({ perHour: null, perDay: 500n })
    await first.close()

    const file = new Database(db, { readonly: true })
    const components = file
      .prepare('SELECT DISTINCT component FROM schema_migrations ORDER BY component')
      .pluck()
      .all()
    expect(components).toEqual(['announce-store', 'api', 'ledger', 'tracker'])
    file.close()

    const logger = recordingLogger()
    const second = await start({ db, logger, bootstrapPool: { tseed: 2_000n, sat: 2_000n } })
    expect((await client(second, sk).balance()).balances).toEqual({ tseed: 0n, sat: 1_234n })
    expect(await client(second, sk).getLimits()).toMatchObject({ perHour: null, perDay: 500n })
    // The dev pool from the first run is kept; the option is ignored, and the log says so.
    expect(second.ledger.pool()).toEqual(DEV_POOL)
    expect(logger.lines.join('\n')).toMatch(/pool already bootstrapped .*--bootstrap-pool ignored/)
  })

  it('bootstraps the pool from the option, automatically in test mode, or not at all', async () => {
    const fromOption = await start({ bootstrapPool: { tseed: 3_000n, sat: 1_000n } })
    expect(fromOption.ledger.pool()).toEqual({ tseed: 3_000n, sat: 1_000n })

    const logger = recordingLogger()
    const dev = await start({ logger })
    expect(dev.ledger.pool()).toEqual(DEV_POOL)
    expect(logger.lines.join('\n')).toMatch(
      /TEST MODE: pool bootstrapped automatically with 10,000,000 TSEED \/ 5,000,000 sats/,
    )

    expect((await start({ autoBootstrapDevPool: false })).ledger.pool()).toBeNull()

    const backend = realMoneyBackend()
    const real = await start({ lightning: backend })
    expect(real.ledger.pool()).toBeNull()
    expect(describePoolState(real.ledger)).toMatch(
      /empty; swaps are refused until .*bootstrap-pool/,
    )
    const doc = (await (
      await fetch(real.httpUrl, { headers: { Accept: 'application/nostr+json' } })
    ).json()) as {
      tseed: Record<string, unknown>
    }
    expect(doc.tseed).toMatchObject({ lightning: 'fake-real', test_mode: false })
    await backend.close()
  })

  it('uses the ledger as the announce policy', async () => {
    const r = await start()
    const sk = generateSecretKey()
    const ev = finalizeEvent(
      toEventTemplate(
        {
          infoHash: 'd'.repeat(40),
          uploaded: 0n,
          downloaded: 2_000_000n,
          left: 5n,
          event: 'started',
        },
        Math.floor(Date.now() / 1000),
      ),
      sk,
    )
    const ws = new WebSocket(r.url)
    await new Promise((resolve) => ws.once('open', resolve))
    const reply = new Promise<unknown[]>((resolve) =>
      ws.once('message', (m: Buffer) => {
        resolve(JSON.parse(m.toString()) as unknown[])
      }),
    )
    ws.send(JSON.stringify(['EVENT', ev]))
    expect(await reply).toEqual([
      'OK',
      ev.id,
      false,
      'blocked: insufficient balance: need 2 TSEED, have 0',
    ])
    expect(r.ledger.history(getPublicKey(sk), 5)).toEqual([])
    ws.close()
  })

  it('forwards other startRelay options: limits, TTL, verifier, connection caps, sync mode', async () => {
    let verified = 0
    const r = await start({
      db: tempDb(),
      synchronous: 'full',
      announceTtlSeconds: 90,
      limits: { maxSubscriptions: 3 },
      maxConnectionsPerIp: 1,
      verifier: {
        verify: () => {
          verified++
          return Promise.resolve(true)
        },
      },
    })
    const doc = (await (
      await fetch(r.httpUrl, { headers: { Accept: 'application/nostr+json' } })
    ).json()) as {
      limitation: Record<string, unknown>
      tseed: Record<string, unknown>
    }
    expect(doc.limitation).toMatchObject({ max_subscriptions: 3, payment_required: true })
    // The file the ledger shares is opened with the requested durability (2 = FULL).
    expect((r.ledger.db as SqliteDatabase).pragma('synchronous', { simple: true })).toBe(2)
    expect(doc.tseed.announce_ttl).toBe(90)

    const ws = new WebSocket(r.url)
    await new Promise((resolve) => ws.once('open', resolve))
    const second = new WebSocket(r.url)
    const refused = await new Promise<number>((resolve) =>
      second.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
      }),
    )
    expect(refused).toBe(429)
    const ev = finalizeEvent(
      toEventTemplate(
        { infoHash: 'd'.repeat(40), uploaded: 0n, downloaded: 0n, left: 5n },
        Math.floor(Date.now() / 1000),
      ),
      generateSecretKey(),
    )
    const reply = new Promise<unknown[]>((resolve) =>
      ws.once('message', (m: Buffer) => {
        resolve(JSON.parse(m.toString()) as unknown[])
      }),
    )
    ws.send(JSON.stringify(['EVENT', ev]))
    expect(await reply).toEqual(['OK', ev.id, true, ''])
    expect(verified).toBe(1)
    ws.close()
  })

  it('reconciles a withdrawal a previous run left pending, right at start', async () => {
    const db = tempDb()
    const sk = generateSecretKey()
    const one = new ScriptedLightning()
    const first = await start({ db, lightning: one })
    const api = client(first, sk)
    await api.deposit((await api.createDeposit({ amountSat: 5_000n })).paymentHash)
    const inv = foreignInvoice(1_000n)
    one.payErrors.push(new LightningError('TIMEOUT', 'no answer'))
    expect((await api.withdraw({ invoice: inv.invoice, maxFeeSat: 10n })).state).toBe('pending')
    await first.close()
    await one.close()

    const two = new ScriptedLightning()
    two.lookups.set(inv.paymentHash, { state: 'failed', amountSat: 1_000n })
    const second = await start({ db, lightning: two, lightningSweepIntervalMs: 60_000 })
    await expect
      .poll(() => second.ledger.withdrawal(inv.paymentHash)?.state, { timeout: 5_000 })
      .toBe('failed')
    expect((await client(second, sk).balance()).balances.sat).toBe(5_000n)
    await second.close()
    await two.close()
  })

  it('settles escrow on its timer and closes idempotently, closing only a backend it built', async () => {
    const r = await start({ settleIntervalMs: 10 })
    expect(() => {
      r.settle()
    }).not.toThrow()
    await Promise.all([r.close(), r.close()])
    await expect(
      r.lightning.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 60 }),
    ).rejects.toThrow(/closed/)

    const mine = new DevLightningBackend()
    const other = await start({ lightning: mine })
    await other.close()
    await expect(
      mine.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 60 }),
    ).resolves.toBeDefined()
    await mine.close()
  })
})
