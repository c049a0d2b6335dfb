import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { verifiedAnnounces } from '../../tests/fixtures'
import { describe, expect, it } from 'vitest'
import { testBackends } from '../../../tests/support/backends'
import { AmmError } from '../../../src/balance/amm'
import { DEFAULT_RARITY } from '../../../src/balance/pricing'
import { exportWebLedger, importWebLedger, POOL_URL } from '../../../src/balance/webledger'
import {
  parseAnnounceEvent,
  toEventTemplate,
  type Kind21000Announce,
} from '../../../src/nostr/kind21000'
import type { RelayClient } from '../core/client'
import { EXTERNAL, FEE_ACCOUNT, POOL_ACCOUNT, swarmAccount } from './accounts'
import { DuplicateReference, InsufficientFunds, LedgerError } from './errors'
import type { SqlDatabase } from '../store/database'
import { Ledger, type LedgerOptions } from './ledger'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const IH = '1'.repeat(40)
const MB = 1_000_000n
const T0 = 1_700_000_000
const POOL = { tseed: 10_000_000n, sat: 1_000_000n }

const backends = testBackends()

for (const backend of backends) {
  describe(`on ${backend.name}`, () => {
    ledgerSuite(backend.open)
  })
}

/** Every ledger test, on databases from `open`. */
function ledgerSuite(open: () => SqlDatabase): void {
  function setup(options: LedgerOptions = {}) {
    let now = T0
    const ledger = new Ledger(open(), { clock: () => now, ...options })
    const announce = verifiedAnnounces(IH, () => now)
    return {
      ledger,
      announce,
      tick: (s: number) => (now += s),
      now: () => now,
      tseed: (pk: string) => ledger.balances(pk).TSEED,
    }
  }

  /** Deposits sats and swaps all of them into TSEED. */
  function fund(ledger: Ledger, pk: string, sats: bigint, ref: string): bigint {
    ledger.deposit(pk, sats, `dep-${ref}`)
    return ledger.swap(pk, 'sat_to_tseed', sats, 1n, `swap-${ref}`).amountOut
  }

  describe('Ledger: pool and swaps', () => {
    it('bootstraps the pool once from genesis TSEED and operator sats', () => {
      const { ledger } = setup()
      expect(ledger.pool()).toBeNull()
      expect(ledger.bootstrapPool(POOL)).toEqual(POOL)
      expect(ledger.pool()).toEqual(POOL)
      expect(() => ledger.bootstrapPool(POOL)).toThrow('the pool already has reserves')
      expect(() => new Ledger(open()).bootstrapPool({ tseed: 10n, sat: 10n })).toThrow(AmmError)
      expect(ledger.audit().ok).toBe(true)
    })

    it('swaps against reserves that are the pool account balances', () => {
      const { ledger } = setup()
      ledger.bootstrapPool(POOL)
      ledger.deposit(A, 1000n, 'h1')
      const r = ledger.swap(A, 'sat_to_tseed', 1000n, 9000n, 's1')
      // getAmountOut(1000, 1e6, 1e7) = 9960
      expect(r).toEqual({
        side: 'sat_to_tseed',
        amountIn: 1000n,
        amountOut: 9960n,
        pool: { tseed: 10_000_000n - 9960n, sat: 1_001_000n },
        postingId: 3,
        replayed: false,
      })
      expect(ledger.balances(A)).toEqual({ TSEED: 9960n, sat: 0n })
      const back = ledger.swap(A, 'tseed_to_sat', 9960n, 0n, 's2')
      expect(back.amountOut).toBeLessThan(1000n)
      expect(ledger.balances(A)).toEqual({ TSEED: 0n, sat: back.amountOut })
      expect(ledger.pool()!.tseed * ledger.pool()!.sat).toBeGreaterThanOrEqual(
        POOL.tseed * POOL.sat,
      )
      expect(ledger.audit().ok).toBe(true)
    })

    it('refuses slippage, overdrafts and swaps before bootstrap, writing nothing', () => {
      const { ledger } = setup()
      ledger.deposit(A, 1000n, 'h1')
      expect(() => ledger.swap(A, 'sat_to_tseed', 10n, 0n, 's0')).toThrow(
        'the pool has no reserves yet',
      )
      ledger.bootstrapPool(POOL)
      let slip: unknown
      try {
        ledger.swap(A, 'sat_to_tseed', 1000n, 9961n, 's1')
      } catch (e) {
        slip = e
      }
      expect((slip as AmmError).code).toBe('SLIPPAGE')
      expect(() => ledger.swap(A, 'sat_to_tseed', 1001n, 0n, 's1')).toThrow(InsufficientFunds)
      expect(ledger.balances(A)).toEqual({ TSEED: 0n, sat: 1000n })
      expect(ledger.pool()).toEqual(POOL)
      expect(ledger.history(A, 10)).toHaveLength(1)
    })

    it('replays a swap by ref and refuses the ref for a different swap', () => {
      const { ledger } = setup()
      ledger.bootstrapPool(POOL)
      ledger.deposit(A, 2000n, 'h1')
      const first = ledger.swap(A, 'sat_to_tseed', 1000n, 0n, 's1')
      const again = ledger.swap(A, 'sat_to_tseed', 1000n, 0n, 's1')
      expect(again).toEqual({ ...first, replayed: true })
      expect(ledger.balances(A).sat).toBe(1000n)
      expect(() => ledger.swap(A, 'sat_to_tseed', 999n, 0n, 's1')).toThrow(DuplicateReference)
      expect(() => ledger.swap(B, 'sat_to_tseed', 1000n, 0n, 's1')).toThrow(
        'was used for a different swap',
      )
    })
  })

  describe('Ledger: deposits and withdrawals', () => {
    it('credits a deposit exactly once per ref', () => {
      const { ledger } = setup()
      expect(ledger.deposit(A, 500n, 'hash1')).toEqual({ postingId: 1, credited: true })
      expect(ledger.deposit(A, 500n, 'hash1')).toEqual({ postingId: 1, credited: false })
      expect(ledger.balances(A).sat).toBe(500n)
      expect(() => ledger.deposit(A, 501n, 'hash1')).toThrow('was used for a different deposit')
      expect(() => ledger.deposit(B, 500n, 'hash1')).toThrow(DuplicateReference)
      expect(() => ledger.deposit(A, 0n, 'hash2')).toThrow('deposit must be a positive bigint')
      expect(() => ledger.deposit(A, 1n, 'has space')).toThrow('ref must be 1 to 200 printable')
      expect(() => ledger.deposit('xyz', 1n, 'hash2')).toThrow('pubkey must be 64 lowercase hex')
    })

    it('reserves, completes and fails withdrawals through the facade', () => {
      const { ledger } = setup()
      ledger.deposit(A, 1000n, 'h1')
      ledger.reserveWithdrawal(A, 500n, 20n, 'w1')
      expect(ledger.balances(A).sat).toBe(480n)
      expect(() => ledger.reserveWithdrawal(A, 480n, 1n, 'w2')).toThrow(InsufficientFunds)
      ledger.completeWithdrawal('w1', 7n)
      expect(ledger.balances(A).sat).toBe(493n)
      ledger.reserveWithdrawal(A, 493n, 0n, 'w3')
      ledger.failWithdrawal('w3')
      expect(ledger.balances(A).sat).toBe(493n)
      expect(ledger.withdrawal('w3')?.state).toBe('failed')
      expect(ledger.audit().ok).toBe(true)
    })
  })

  describe('Ledger: announces', () => {
    it('walks the insufficient-balance path end to end', () => {
      const { ledger, announce, tick, tseed, now } = setup()
      ledger.bootstrapPool(POOL)
      ledger.applyAnnounce(announce(A, { left: 100n }), now())
      tick(60)
      const ev = announce(A, { downloaded: 25n * MB, left: 100n })
      expect(ledger.applyAnnounce(ev, now())).toEqual({
        accept: false,
        message: 'blocked: insufficient balance: need 25 TSEED, have 0',
      })
      const before = ledger.history(A, 10).length
      expect(ledger.escrowOf(IH, now())).toEqual({ escrow: 0n, claims: 0n })
      fund(ledger, A, 10n, 'a')
      expect(tseed(A)).toBe(99n)
      expect(ledger.history(A, 10).length).toBe(before + 2)
      tick(30)
      expect(ledger.applyAnnounce(ev, now())).toMatchObject({ accept: true, charged: 25n })
      expect(tseed(A)).toBe(74n)
      expect(ledger.escrowOf(IH, now()).escrow).toBe(25n)
      expect(ledger.audit().ok).toBe(true)
    })

    it('serves as the relay announce policy, from signed events', async () => {
      const { ledger, now } = setup()
      ledger.bootstrapPool(POOL)
      const sk = generateSecretKey()
      const pk = getPublicKey(sk)
      const policy = ledger.announcePolicy()
      const client = {} as RelayClient
      const a: Kind21000Announce = {
        infoHash: IH,
        uploaded: 0n,
        downloaded: 3n * MB,
        left: 1n,
        session: '7'.repeat(32),
      }
      const ev = finalizeEvent(toEventTemplate(a, now()), sk)
      expect(await policy(ev, parseAnnounceEvent(ev), client)).toEqual({
        accept: false,
        message: 'blocked: insufficient balance: need 3 TSEED, have 0',
      })
      fund(ledger, pk, 1n, 'p')
      expect(await policy(ev, parseAnnounceEvent(ev), client)).toMatchObject({
        accept: true,
        charged: 3n,
      })
    })

    it('prices rare swarms higher when the rarity rule is on', () => {
      const { ledger, announce, now, tseed, tick } = setup({
        pricing: { baseTokensPerMB: 1n, rarity: DEFAULT_RARITY },
      })
      ledger.bootstrapPool(POOL)
      fund(ledger, A, 100n, 'a')
      const start = tseed(A)
      expect(ledger.swarmPrice(IH, now())).toEqual({ tokensPerMB: 1n, multiplier: 1n, rare: false })
      ledger.applyAnnounce(announce(A, { left: 5n }), now())
      expect(ledger.swarmStats(IH, now())).toEqual({ seeders: 0, leechers: 1 })
      expect(ledger.swarmPrice(IH, now()).multiplier).toBe(4n)
      tick(10)
      ledger.applyAnnounce(announce(A, { left: 5n, downloaded: 2n * MB }), now())
      expect(tseed(A)).toBe(start - 8n)
      ledger.applyAnnounce(announce(B, { left: 0n }), now())
      expect(ledger.swarmPrice(IH, now()).multiplier).toBe(1n)
    })
  })

  describe('Ledger: settlement and Sybil resistance', () => {
    it('pays uploaders only out of what downloaders paid', () => {
      const { ledger, announce, tick, now, tseed } = setup()
      ledger.bootstrapPool(POOL)
      fund(ledger, A, 100n, 'a')
      const a0 = tseed(A)
      ledger.applyAnnounce(announce(A, { left: 10n }), now())
      ledger.applyAnnounce(announce(B, { left: 0n }), now())
      tick(60)
      ledger.applyAnnounce(announce(A, { downloaded: 40n * MB, left: 10n }), now())
      // B claims far more than anyone paid.
      ledger.applyAnnounce(announce(B, { uploaded: 900n * MB }), now())
      const r = ledger.settle(now())
      expect(r.payouts).toEqual([{ infoHash: IH, pubkey: B, amount: 40n, fee: 0n }])
      expect([tseed(A), tseed(B)]).toEqual([a0 - 40n, 40n])
      expect(ledger.escrowOf(IH, now())).toEqual({ escrow: 0n, claims: 860n })
      expect(ledger.audit().ok).toBe(true)
    })

    it('gives a user seeding to their own second key no more TSEED than they started with', () => {
      const { ledger, announce, tick, now, tseed } = setup({ escrow: { payoutFeeBps: 0n } })
      ledger.bootstrapPool(POOL)
      fund(ledger, A, 50n, 'a') // A is the user's main key; B is their second key.
      const start = tseed(A) + tseed(B)
      let up = 0n
      let down = 0n
      for (let round = 0; round < 40; round++) {
        tick(30)
        down += 7n * MB + 123_457n
        up += 7n * MB + 123_457n
        ledger.applyAnnounce(announce(A, { downloaded: down, left: 1n }), now())
        // The second key reports twice what was really sent, and resets now and then.
        const reported = round % 9 === 8 ? 0n : up * 2n
        ledger.applyAnnounce(announce(B, { uploaded: reported, left: 0n }), now())
        if (round % 5 === 0) ledger.settle(now())
        expect(tseed(A) + tseed(B)).toBeLessThanOrEqual(start)
      }
      ledger.settle(now())
      tick(86_400)
      const final = ledger.settle(now())
      expect(final.payouts).toEqual([])
      expect(tseed(A) + tseed(B)).toBeLessThanOrEqual(start)
      // The second key was paid: the bound holds because payouts come only from A.
      expect(tseed(B)).toBeGreaterThan(200n)
      expect(ledger.audit().ok).toBe(true)
    })

    it('refunds unclaimed escrow to the downloader after the window', () => {
      const { ledger, announce, tick, now, tseed } = setup()
      ledger.bootstrapPool(POOL)
      fund(ledger, A, 10n, 'a')
      const a0 = tseed(A)
      ledger.applyAnnounce(announce(A, { downloaded: 9n * MB, left: 1n }), now())
      expect(tseed(A)).toBe(a0 - 9n)
      tick(86_400)
      const r = ledger.settle(now())
      expect(r.refunds).toEqual([{ infoHash: IH, pubkey: A, amount: 9n }])
      expect(tseed(A)).toBe(a0)
      expect(ledger.history(A, 1)[0]).toMatchObject({ kind: 'refund', memo: IH })
    })
  })

  describe('Ledger: WebLedger import and export', () => {
    it('round-trips balances and the pool through webledger.ts', () => {
      const { ledger } = setup({ escrow: { payoutFeeBps: 100n } })
      ledger.bootstrapPool(POOL)
      fund(ledger, A, 1000n, 'a')
      ledger.deposit(B, 77n, 'b')
      const snap = ledger.exportBalances()
      expect(snap.pool).toEqual(ledger.pool())
      expect(snap.balances.get(`did:nostr:${B}`)).toEqual(new Map([['sat', 77n]]))
      expect(snap.balances.has(EXTERNAL.lightning)).toBe(false)
      const doc = exportWebLedger(snap.balances, { url: POOL_URL, reserves: snap.pool! }, {})
      const back = importWebLedger(JSON.parse(JSON.stringify(doc)))

      const fresh = new Ledger(open())
      expect(fresh.importBalances(back, 'migration-1')).toEqual({ postings: 3 })
      expect(fresh.importBalances(back, 'migration-1')).toEqual({ postings: 0 })
      expect(fresh.exportBalances()).toEqual(snap)
      expect(fresh.balances(A)).toEqual(ledger.balances(A))
      expect(fresh.audit().ok).toBe(true)
      expect(() => fresh.importBalances(back, 'migration-2')).toThrow(
        'cannot import a pool over an existing one',
      )
    })

    it('imports many accounts, one posting each', () => {
      const fresh = new Ledger(open())
      const balances = new Map<string, Map<'TSEED' | 'sat', bigint>>()
      for (let i = 0; i < 150; i++) {
        balances.set(
          `did:nostr:${i.toString(16).padStart(64, '0')}`,
          new Map([['TSEED', BigInt(i + 1)]]),
        )
      }
      balances.set(FEE_ACCOUNT, new Map([['TSEED', 5n]]))
      expect(fresh.importBalances({ balances, pool: null }, 'big')).toEqual({ postings: 151 })
      expect(fresh.history('0'.repeat(63) + '7', 5)[0]?.lines).toEqual([
        { account: `did:nostr:${'0'.repeat(63)}7`, currency: 'TSEED', amount: 8n },
        { account: EXTERNAL.import, currency: 'TSEED', amount: -8n },
      ])
      expect(fresh.audit().ok).toBe(true)
      expect(fresh.exportBalances().balances).toEqual(balances)
    })

    it('refuses escrow, contra and malformed balances', () => {
      const fresh = new Ledger(open())
      const one = (url: string, v: bigint = 1n) => ({
        balances: new Map([[url, new Map([['TSEED' as const, v]])]]),
        pool: null,
      })
      expect(() => fresh.importBalances(one(swarmAccount(IH)), 'x')).toThrow(
        'escrow and pending withdrawals must be settled before export',
      )
      expect(() => fresh.importBalances(one(EXTERNAL.genesis), 'x')).toThrow('cannot be imported')
      expect(() => fresh.importBalances(one(POOL_ACCOUNT), 'x')).toThrow('cannot be imported')
      expect(() => fresh.importBalances(one('mailto:a@b'), 'x')).toThrow('unknown account')
      expect(() => fresh.importBalances(one(`did:nostr:${A}`, -1n), 'x')).toThrow(LedgerError)
      expect(fresh.exportBalances()).toEqual({ balances: new Map(), pool: null })
    })
  })
}
