import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../../../src/nostr/kind21000'
import { Ledger } from '../ledger/ledger'
import { transactionRun } from '../store/database'
import { accountWithCoverage } from './coverage'

const PK = 'c'.repeat(64)
const IH = 'd'.repeat(40)
const T0 = 1_700_000_000
const MB = 1_000_000n

function setup(tseed: bigint) {
  const db = new Database(':memory:')
  const ledger = new Ledger(db, { clock: () => T0 })
  ledger.bootstrapPool({ tseed: 10_000_000n, sat: 5_000_000n })
  if (tseed > 0n)
    ledger.importBalances(
      { balances: new Map([[`did:nostr:${PK}`, new Map([['TSEED', tseed]])]]), pool: null },
      'fund',
    )
  let n = 0
  const run = (a: Partial<Kind21000Announce>, now = T0) => {
    const announce: Kind21000Announce = {
      infoHash: IH,
      uploaded: 0n,
      downloaded: 0n,
      left: 10n * MB,
      session: '1'.repeat(32),
      ...a,
    }
    const eventId = (++n).toString(16).padStart(64, '0')
    // As in the tracker's group commit: a rolled-back unit keeps nothing.
    let value
    try {
      transactionRun(db).immediate(() => {
        const r = accountWithCoverage(
          ledger,
          { pubkey: PK, eventId, createdAt: now, announce },
          now,
        )
        value = r.value
        if (r.rollback === true) throw new Error('rollback')
      })
    } catch (err) {
      if (!(err instanceof Error && err.message === 'rollback')) throw err
    }
    return value as unknown as { accept: boolean; message?: string; charged?: bigint }
  }
  return { ledger, run }
}

describe('accountWithCoverage', () => {
  it('refuses a leecher whose balance does not cover what is left, before any byte moves', () => {
    const { ledger, run } = setup(0n)
    expect(run({ event: 'started' })).toEqual({
      accept: false,
      message: 'blocked: insufficient balance: need 10 TSEED, have 0',
    })
    expect(ledger.history(PK, 10)).toEqual([])
  })

  it('accepts a seeder and a stopping leecher whatever the balance', () => {
    const { run } = setup(0n)
    expect(run({ left: 0n, event: 'started' }).accept).toBe(true)
    expect(run({ session: '2'.repeat(32), event: 'stopped' }).accept).toBe(true)
  })

  it('counts the charge of this announce: after it, the rest must still be covered', () => {
    const { ledger, run } = setup(12n)
    expect(run({ event: 'started' }).accept).toBe(true)
    // 3 MB downloaded, 7 MB left: 3 + 7 = 10 ≤ 12.
    expect(run({ downloaded: 3n * MB, left: 7n * MB }, T0 + 10)).toMatchObject({
      accept: true,
      charged: 3n,
    })
    expect(ledger.balances(PK).TSEED).toBe(9n)
    // The torrent grew (another file selected): 2 MB more, 20 MB left: need 22, have 9.
    expect(run({ downloaded: 5n * MB, left: 20n * MB }, T0 + 20)).toEqual({
      accept: false,
      message: 'blocked: insufficient balance: need 22 TSEED, have 9',
    })
    // Rolled back: the 2 MB are charged later, nothing was written now.
    expect(ledger.balances(PK).TSEED).toBe(9n)
    expect(run({ downloaded: 5n * MB, left: 4n * MB }, T0 + 30)).toMatchObject({
      accept: true,
      charged: 2n,
    })
    expect(ledger.audit().ok).toBe(true)
  })

  it('passes the ledger’s own refusal through, unchanged', () => {
    const { run } = setup(1n)
    expect(run({ downloaded: 5n * MB, left: 0n })).toEqual({
      accept: false,
      message: 'blocked: insufficient balance: need 5 TSEED, have 1',
    })
  })
})
