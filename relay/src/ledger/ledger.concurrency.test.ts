import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type SqliteDatabase } from '../store/database'
import { InsufficientFunds } from './errors'
import { Ledger } from './ledger'

const A = 'a'.repeat(64)
const IH = '1'.repeat(40)
const T0 = 1_700_000_000
const MB = 1_000_000n

describe('Ledger under concurrent callers', () => {
  let dir: string
  let file: string
  const open: SqliteDatabase[] = []
  const connect = () => {
    const db = openDatabase(file)
    open.push(db)
    return new Ledger(db, { clock: () => T0 })
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-concurrency-'))
    file = join(dir, 'relay.db')
  })
  afterEach(() => {
    for (const db of open.splice(0)) db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Every caller reads the balance, yields, then tries to spend all of it. */
  it('lets only one of many interleaved async withdrawals spend the same sats', async () => {
    const [l1, l2] = [connect(), connect()]
    l1.deposit(A, 100n, 'dep')
    let ok = 0
    let refused = 0
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const ledger = i % 2 === 0 ? l1 : l2
        const seen = ledger.balances(A).sat
        await sleep(i % 7)
        try {
          ledger.reserveWithdrawal(A, seen, 0n, `w${i}`)
          ok++
        } catch (e) {
          if (!(e instanceof InsufficientFunds)) throw e
          expect(e.have).toBe(0n)
          refused++
        }
      }),
    )
    expect([ok, refused]).toEqual([1, 39])
    expect(l1.balances(A).sat).toBe(0n)
    expect(l2.audit().ok).toBe(true)
  })

  it('charges parallel announce sessions only while the balance lasts', async () => {
    const [l1, l2] = [connect(), connect()]
    l1.bootstrapPool({ tseed: 10_000_000n, sat: 1_000_000n })
    l1.deposit(A, 11n, 'dep')
    const tseed = l1.swap(A, 'sat_to_tseed', 11n, 0n, 'swap').amountOut
    expect(tseed).toBe(109n)
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await sleep(i % 3)
        return (i % 2 === 0 ? l1 : l2).applyAnnounce(
          {
            pubkey: A,
            eventId: (i + 1).toString(16).padStart(64, '0'),
            createdAt: T0,
            announce: {
              infoHash: IH,
              uploaded: 0n,
              downloaded: 30n * MB,
              left: 1n,
              session: (i + 1).toString(16).padStart(32, '0'),
            },
          },
          T0,
        )
      }),
    )
    const accepted = outcomes.filter((o) => o.accept)
    expect(accepted).toHaveLength(3)
    const refusals = outcomes.flatMap((o) => (o.accept ? [] : [o.message]))
    expect(new Set(refusals)).toEqual(
      new Set(['blocked: insufficient balance: need 30 TSEED, have 19']),
    )
    expect(l2.balances(A).TSEED).toBe(19n)
    expect(l2.escrowOf(IH, T0).escrow).toBe(90n)
  })

  it('never overspends with two worker threads on one database file', async () => {
    const setup = connect()
    setup.bootstrapPool({ tseed: 10_000_000n, sat: 1_000_000n })
    setup.deposit(A, 40n, 'tseed')
    const tseed = setup.swap(A, 'sat_to_tseed', 40n, 0n, 'swap').amountOut
    expect(tseed).toBe(398n)
    setup.deposit(A, 700n, 'sats')
    const boot =
      'const { workerData } = require("node:worker_threads");' +
      'import("tsx/esm/api").then((m) => { m.register(); return import(workerData.entry) })'
    const barrier = new SharedArrayBuffer(4)
    const entry = new URL('./concurrency.worker.ts', import.meta.url).href
    const run = (worker: number) =>
      new Promise<{ reserved: number; charged: string; blocked: number; insufficient: number }>(
        (resolve, reject) => {
          const w = new Worker(boot, {
            eval: true,
            workerData: {
              entry,
              file,
              worker,
              pubkey: A,
              infoHash: IH,
              iterations: 150,
              now: T0,
              barrier,
            },
          })
          w.once('message', resolve)
          w.once('error', reject)
        },
      )
    const results = await Promise.all([run(1), run(2)])
    const reserved = results.reduce((a, r) => a + r.reserved, 0)
    const charged = results.reduce((a, r) => a + BigInt(r.charged), 0n)
    // 700 sats allow exactly 100 reservations of 7 and 398 TSEED 132 charges
    // of 3; each worker alone tries 150 of each.
    expect(reserved).toBe(100)
    expect(results.reduce((a, r) => a + r.insufficient, 0)).toBe(200)
    expect(results.every((r) => r.blocked > 0)).toBe(true)
    expect(charged).toBeLessThanOrEqual(tseed)
    expect(tseed - charged).toBeLessThan(3n)
    const check = connect()
    expect(check.balances(A)).toEqual({ TSEED: tseed - charged, sat: 0n })
    expect(check.audit().ok).toBe(true)
  })
})
