import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../../../src/nostr/kind21000'
import { EXTERNAL, swarmAccount, userAccount } from './accounts'
import {
  AnnounceAccounting,
  checkLimits,
  DEFAULT_ANNOUNCE_LIMITS,
  type AnnounceLimits,
  type VerifiedAnnounce,
} from './announce-accounting'
import { DEFAULT_ESCROW, Escrow } from './escrow'
import { Journal } from './journal'
import { SpendingLimiter } from './spending-limits'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const IH = '1'.repeat(40)
const S1 = '5'.repeat(32)
const S2 = '6'.repeat(32)
const MB = 1_000_000n
const T0 = 1_700_000_000

function setup(limits: Partial<AnnounceLimits> = {}, tokensPerMB = 1n) {
  const db = new Database(':memory:')
  const journal = new Journal(db)
  const escrow = new Escrow(journal, DEFAULT_ESCROW)
  const spending = new SpendingLimiter(db)
  const acc = new AnnounceAccounting(
    journal,
    escrow,
    spending,
    { ...DEFAULT_ANNOUNCE_LIMITS, ...limits },
    () => ({ tokensPerMB, multiplier: 1n, rare: false }),
  )
  let ev = 0
  let refs = 0
  const give = (pk: string, tseed: bigint) =>
    journal.post({
      kind: 'import',
      ref: `give:${refs++}`,
      at: 0,
      lines: [
        { account: EXTERNAL.import, currency: 'TSEED', amount: -tseed },
        { account: userAccount(pk), currency: 'TSEED', amount: tseed },
      ],
    })
  const bal = (pk: string) => journal.balance(userAccount(pk), 'TSEED')
  const held = () => journal.balance(swarmAccount(IH), 'TSEED')
  /** Builds a verified announce with a fresh event id. */
  const mk = (
    a: Partial<Kind21000Announce> & { at?: number; pubkey?: string; id?: string },
  ): VerifiedAnnounce => ({
    pubkey: a.pubkey ?? A,
    eventId: a.id ?? (++ev).toString(16).padStart(64, '0'),
    createdAt: a.at ?? T0,
    announce: {
      infoHash: a.infoHash ?? IH,
      uploaded: a.uploaded ?? 0n,
      downloaded: a.downloaded ?? 0n,
      left: a.left ?? 100n,
      ...(a.session === undefined ? { session: S1 } : { session: a.session }),
      ...(a.event === undefined ? {} : { event: a.event }),
    },
  })
  const rows = () =>
    db
      .prepare(
        `SELECT (SELECT count(*) FROM ledger_postings) || '/' ||
                (SELECT count(*) FROM ledger_announce_state) || '/' ||
                (SELECT count(*) FROM ledger_announce_seen) || '/' ||
                (SELECT count(*) FROM ledger_carry) || '/' ||
                (SELECT count(*) FROM ledger_claims) || '/' ||
                (SELECT count(*) FROM ledger_escrow_lots) || '/' ||
                (SELECT count(*) FROM ledger_spending)`,
      )
      .pluck()
      .get() as string
  return { db, journal, escrow, spending, acc, give, bal, held, mk, rows }
}

describe('AnnounceAccounting: deltas', () => {
  it('charges the first announce in full and later ones by delta, carrying remainders', () => {
    const { acc, give, bal, held, mk } = setup()
    give(A, 100n)
    expect(acc.apply(mk({ downloaded: 1_500_000n }), T0)).toEqual({
      accept: true,
      charged: 1n,
      claimed: 0n,
      capped: false,
    })
    expect(acc.apply(mk({ downloaded: 2_000_000n, at: T0 + 60 }), T0 + 60)).toMatchObject({
      charged: 1n,
    })
    expect(acc.apply(mk({ downloaded: 2_999_999n, at: T0 + 120 }), T0 + 120)).toMatchObject({
      charged: 0n,
    })
    expect(acc.apply(mk({ downloaded: 3_000_000n, at: T0 + 180 }), T0 + 180)).toMatchObject({
      charged: 1n,
    })
    expect([bal(A), held()]).toEqual([97n, 3n])
  })

  it('prices the delta at the swarm price', () => {
    const { acc, give, bal, mk } = setup({}, 4n)
    give(A, 100n)
    acc.apply(mk({ downloaded: 2_500_000n }), T0)
    expect(bal(A)).toBe(90n)
  })

  it('turns upload deltas into escrow claims', () => {
    const { acc, escrow, mk } = setup()
    expect(acc.apply(mk({ pubkey: B, uploaded: 5n * MB, left: 0n }), T0)).toMatchObject({
      accept: true,
      claimed: 5n,
    })
    acc.apply(mk({ pubkey: B, uploaded: 7n * MB + 500_000n, left: 0n, at: T0 + 60 }), T0 + 60)
    expect(escrow.outstanding(IH, T0 + 60)).toEqual({ escrow: 0n, claims: 7n })
  })

  it('ignores a repeated event id and an unchanged announce', () => {
    const { acc, give, bal, mk } = setup()
    give(A, 100n)
    const first = mk({ downloaded: 3n * MB })
    acc.apply(first, T0)
    expect(acc.apply(first, T0 + 1)).toEqual({
      accept: true,
      message: 'duplicate: already have this event',
      charged: 0n,
      claimed: 0n,
      capped: false,
    })
    // The same counters under another event id: another tracker URL, IPv6, …
    expect(acc.apply(mk({ downloaded: 3n * MB, at: T0 + 1 }), T0 + 1)).toMatchObject({
      accept: true,
      charged: 0n,
    })
    expect(bal(A)).toBe(97n)
  })

  it('treats a decrease, a new session and event=started as a reset', () => {
    const { acc, give, bal, mk } = setup()
    give(A, 100n)
    acc.apply(mk({ downloaded: 10n * MB }), T0)
    expect(acc.apply(mk({ downloaded: 4n * MB, at: T0 + 60 }), T0 + 60)).toMatchObject({
      charged: 4n,
    })
    expect(
      acc.apply(mk({ downloaded: 2n * MB, session: S2, at: T0 + 120 }), T0 + 120),
    ).toMatchObject({ charged: 2n })
    expect(
      acc.apply(mk({ downloaded: 5n * MB, event: 'started', at: T0 + 180 }), T0 + 180),
    ).toMatchObject({ charged: 5n })
    expect(bal(A)).toBe(100n - 21n)
  })

  it('keeps one state per pubkey and info hash when no session is given', () => {
    const { acc, give, bal, mk } = setup()
    give(A, 100n)
    const noSession = (d: bigint, at: number) => {
      const v = mk({ downloaded: d, at })
      delete v.announce.session
      return v
    }
    acc.apply(noSession(3n * MB, T0), T0)
    acc.apply(noSession(5n * MB, T0 + 60), T0 + 60)
    expect(bal(A)).toBe(95n)
  })

  it('ignores an announce older than the last one of its session', () => {
    const { acc, give, bal, mk } = setup()
    give(A, 100n)
    acc.apply(mk({ downloaded: 10n * MB, at: T0 + 60 }), T0 + 60)
    // Delivered late: lower counters, older created_at. Not a reset.
    expect(acc.apply(mk({ downloaded: 4n * MB, at: T0 }), T0 + 61)).toMatchObject({
      accept: true,
      message: 'duplicate: older than the last announce of this session',
      charged: 0n,
    })
    acc.apply(mk({ downloaded: 11n * MB, at: T0 + 120 }), T0 + 120)
    expect(bal(A)).toBe(89n)
  })

  it('settles the last delta on stopped, then starts afresh', () => {
    const { acc, give, bal, mk, db } = setup()
    give(A, 100n)
    acc.apply(mk({ downloaded: 2n * MB }), T0)
    expect(
      acc.apply(mk({ downloaded: 3n * MB, event: 'stopped', at: T0 + 60 }), T0 + 60),
    ).toMatchObject({ charged: 1n })
    expect(acc.swarmStats(IH, T0 + 60)).toEqual({ seeders: 0, leechers: 0 })
    // A replayed pre-stop announce must not count as a new session.
    expect(acc.apply(mk({ downloaded: 2n * MB, at: T0 + 30 }), T0 + 61)).toMatchObject({
      charged: 0n,
    })
    expect(acc.apply(mk({ downloaded: 1n * MB, at: T0 + 90 }), T0 + 90)).toMatchObject({
      charged: 1n,
    })
    expect(bal(A)).toBe(96n)
    expect(db.prepare('SELECT stopped FROM ledger_announce_state').pluck().get()).toBe(0)
  })
})

describe('AnnounceAccounting: sanity limits', () => {
  it('refuses created_at outside the window', () => {
    const { acc, mk, rows } = setup()
    const before = rows()
    expect(acc.apply(mk({ at: T0 - 601 }), T0)).toEqual({
      accept: false,
      message: 'invalid: created_at is more than 600 s in the past',
    })
    expect(acc.apply(mk({ at: T0 + 61 }), T0)).toEqual({
      accept: false,
      message: 'invalid: created_at is more than 60 s in the future',
    })
    expect(acc.apply(mk({ at: T0 - 600 }), T0).accept).toBe(true)
    expect(acc.apply(mk({ at: T0 + 60 }), T0).accept).toBe(true)
    expect(before).toBe('0/0/0/0/0/0/0')
  })

  it('caps a delta at elapsed time × the max rate and discards the excess', () => {
    const { acc, give, bal, escrow, mk } = setup({
      maxBytesPerSecond: MB,
      firstAnnounceSeconds: 10,
    })
    give(A, 1000n)
    expect(acc.apply(mk({ downloaded: 50n * MB, uploaded: 3n * MB }), T0)).toEqual({
      accept: true,
      charged: 10n,
      claimed: 3n,
      capped: true,
    })
    expect(acc.apply(mk({ downloaded: 80n * MB, at: T0 + 20 }), T0 + 20)).toMatchObject({
      charged: 20n,
      capped: true,
    })
    // The excess is gone: the next delta is measured from the reported 80 MB.
    expect(acc.apply(mk({ downloaded: 85n * MB, at: T0 + 40 }), T0 + 40)).toMatchObject({
      charged: 5n,
      capped: false,
    })
    expect(bal(A)).toBe(1000n - 35n)
    expect(escrow.outstanding(IH, T0 + 40).claims).toBe(3n)
  })

  it('measures a new session from the pair’s last announce', () => {
    const { acc, give, mk } = setup({ maxBytesPerSecond: MB, firstAnnounceSeconds: 1000 })
    give(A, 1000n)
    acc.apply(mk({ downloaded: 0n }), T0)
    expect(acc.apply(mk({ downloaded: 50n * MB, session: S2, at: T0 + 5 }), T0 + 5)).toMatchObject({
      charged: 5n,
      capped: true,
    })
  })

  it('refuses malformed input with invalid:', () => {
    const { acc, mk } = setup()
    const bad: [VerifiedAnnounce, string][] = [
      [{ ...mk({}), pubkey: 'A'.repeat(64) }, 'invalid: pubkey must be 64 lowercase hex chars'],
      [{ ...mk({}), eventId: 'x' }, 'invalid: event id must be 64 lowercase hex chars'],
      [mk({ infoHash: 'F'.repeat(40) }), 'invalid: i must be 40 lowercase hex chars'],
      [mk({ downloaded: -1n }), 'invalid: downloaded out of range'],
      [mk({ uploaded: 1n << 64n }), 'invalid: uploaded out of range'],
      [mk({ session: 'abc' }), 'invalid: session must be 32 hex chars'],
      [{ ...mk({}), createdAt: 1.5 }, 'invalid: created_at must be unix seconds'],
    ]
    for (const [input, message] of bad) {
      expect(acc.apply(input, T0)).toEqual({ accept: false, message })
    }
  })

  it('validates its limits', () => {
    expect(() => {
      checkLimits({ ...DEFAULT_ANNOUNCE_LIMITS, maxBytesPerSecond: 0n })
    }).toThrow('maxBytesPerSecond')
    expect(() => {
      checkLimits({ ...DEFAULT_ANNOUNCE_LIMITS, peerTtlSeconds: -1 })
    }).toThrow('peerTtlSeconds')
    expect(() => {
      checkLimits({ ...DEFAULT_ANNOUNCE_LIMITS, stateRetentionSeconds: 10 })
    }).toThrow('stateRetentionSeconds')
  })
})

describe('AnnounceAccounting: insufficient balance', () => {
  it('refuses with the exact message, writes nothing, and charges the delta after a top-up', () => {
    const { acc, give, bal, held, mk, rows } = setup()
    give(A, 2n)
    acc.apply(mk({ downloaded: 1n * MB }), T0)
    const before = rows()
    const ev = mk({ downloaded: 6n * MB, uploaded: 4n * MB, at: T0 + 60 })
    expect(acc.apply(ev, T0 + 60)).toEqual({
      accept: false,
      message: 'blocked: insufficient balance: need 5 TSEED, have 1',
    })
    expect(rows()).toBe(before)
    expect([bal(A), held()]).toEqual([1n, 1n])

    give(A, 10n)
    expect(acc.apply(ev, T0 + 90)).toMatchObject({ accept: true, charged: 5n, claimed: 4n })
    expect([bal(A), held()]).toEqual([6n, 6n])
  })

  it('charges the accumulated delta on the next announce instead', () => {
    const { acc, give, bal, mk } = setup()
    acc.apply(mk({ downloaded: 0n }), T0)
    expect(acc.apply(mk({ downloaded: 3n * MB, at: T0 + 60 }), T0 + 60).accept).toBe(false)
    give(A, 10n)
    expect(acc.apply(mk({ downloaded: 4n * MB, at: T0 + 120 }), T0 + 120)).toMatchObject({
      charged: 4n,
    })
    expect(bal(A)).toBe(6n)
  })

  it('does not advance the carry of a refused announce', () => {
    const { acc, give, bal, mk } = setup()
    give(A, 1n)
    acc.apply(mk({ downloaded: 1_600_000n }), T0)
    expect(acc.apply(mk({ downloaded: 2_700_000n, at: T0 + 60 }), T0 + 60)).toEqual({
      accept: false,
      message: 'blocked: insufficient balance: need 1 TSEED, have 0',
    })
    give(A, 5n)
    acc.apply(mk({ downloaded: 2_700_000n, at: T0 + 70 }), T0 + 70)
    // 1.6 MB + 1.1 MB = 2 tokens and a 0.7 MB carry.
    expect(bal(A)).toBe(4n)
  })
})

describe('AnnounceAccounting: spending limits', () => {
  it('refuses a charge over the limit, writes nothing, and charges the delta once the window allows', () => {
    const { acc, spending, give, bal, held, mk, rows } = setup()
    give(A, 100n)
    spending.set(A, { perHour: 5n, perDay: null }, T0)
    expect(acc.apply(mk({ downloaded: 3n * MB }), T0)).toMatchObject({ accept: true, charged: 3n })
    const before = rows()
    const over = mk({ downloaded: 6n * MB, uploaded: 2n * MB, at: T0 + 60 })
    expect(acc.apply(over, T0 + 60)).toEqual({
      accept: false,
      message:
        'blocked: spending limit: this announce would charge 3 TSEED; 3 of your 5 TSEED per hour are already charged',
    })
    expect(rows()).toBe(before)
    expect([bal(A), held()]).toEqual([97n, 3n])

    // The same counters again: the first charge leaves the hour at T0 + 3600
    // (the window is the last 3600 s), and the refused delta is charged then.
    const again = (at: number) => mk({ downloaded: 6n * MB, uploaded: 2n * MB, at })
    expect(acc.apply(again(T0 + 3599), T0 + 3599).accept).toBe(false)
    expect(acc.apply(again(T0 + 3600), T0 + 3600)).toMatchObject({
      accept: true,
      charged: 3n,
      claimed: 2n,
    })
    expect([bal(A), held()]).toEqual([94n, 6n])
  })

  it('checks the limit before the balance, and never refuses an announce that charges nothing', () => {
    const { acc, spending, mk } = setup()
    spending.set(A, { perHour: null, perDay: 0n }, T0)
    expect(acc.apply(mk({ downloaded: 2n * MB }), T0)).toEqual({
      accept: false,
      message:
        'blocked: spending limit: this announce would charge 2 TSEED; 0 of your 0 TSEED per day are already charged',
    })
    expect(acc.apply(mk({ uploaded: 9n * MB, left: 0n, at: T0 + 1 }), T0 + 1)).toMatchObject({
      accept: true,
      charged: 0n,
      claimed: 9n,
    })
    spending.set(A, { perHour: null, perDay: null }, T0 + 2)
    expect(acc.apply(mk({ downloaded: 2n * MB, at: T0 + 2 }), T0 + 2)).toEqual({
      accept: false,
      message: 'blocked: insufficient balance: need 2 TSEED, have 0',
    })
  })

  it('names every window that is over', () => {
    const { acc, spending, give, mk } = setup()
    give(A, 100n)
    acc.apply(mk({ downloaded: 4n * MB }), T0)
    spending.set(A, { perHour: 5n, perDay: 6n }, T0)
    expect(acc.apply(mk({ downloaded: 7n * MB, at: T0 + 10 }), T0 + 10)).toEqual({
      accept: false,
      message:
        'blocked: spending limit: this announce would charge 3 TSEED; 4 of your 5 TSEED per hour and 4 of your 6 TSEED per day are already charged',
    })
    expect(acc.apply(mk({ downloaded: 7n * MB, at: T0 + 3700 }), T0 + 3700)).toEqual({
      accept: false,
      message:
        'blocked: spending limit: this announce would charge 3 TSEED; 4 of your 6 TSEED per day are already charged',
    })
  })
})

describe('AnnounceAccounting: swarm stats and pruning', () => {
  it('counts distinct live pubkeys as seeders or leechers within the TTL', () => {
    const { acc, mk } = setup({ peerTtlSeconds: 100 })
    acc.apply(mk({ pubkey: A, left: 0n }), T0)
    acc.apply(mk({ pubkey: A, left: 5n, session: S2 }), T0)
    acc.apply(mk({ pubkey: B, left: 5n }), T0)
    acc.apply(mk({ pubkey: 'c'.repeat(64), left: 5n, at: T0 - 200 }), T0 - 200)
    expect(acc.swarmStats(IH, T0)).toEqual({ seeders: 1, leechers: 1 })
    expect(acc.swarmStats(IH, T0 + 101)).toEqual({ seeders: 0, leechers: 0 })
    expect(() => acc.swarmStats('nope', T0)).toThrow('info hash')
  })

  it('forgets old event ids, stop markers and stale sessions', () => {
    const { acc, give, mk, rows } = setup({ stateRetentionSeconds: 3600 })
    give(A, 100n)
    acc.apply(mk({ downloaded: 1n * MB }), T0)
    acc.apply(mk({ downloaded: 1n * MB, session: S2, event: 'stopped' }), T0)
    expect(acc.prune(T0 + 600)).toEqual({ states: 0, seen: 0 })
    expect(acc.prune(T0 + 601)).toEqual({ states: 1, seen: 2 })
    expect(acc.prune(T0 + 3601)).toEqual({ states: 1, seen: 0 })
    expect(rows()).toMatch(/^\d+\/0\/0\//)
  })
})
