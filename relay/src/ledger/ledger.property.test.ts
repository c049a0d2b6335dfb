/**
 * Random-operation test of the whole ledger: announces (with resets,
 * duplicates, stale and out-of-window events, stops), swaps, deposits,
 * withdrawals that succeed and fail, settlements, refunds, spending limits
 * set and cleared, and time jumps. A shadow model follows every reported
 * movement; after each step the touched balances and the charges inside
 * each spending-limit window must match it, both currencies must sum to
 * zero and no internal account may be negative. A full audit (cache vs journal, escrow vs
 * lots) runs every AUDIT_EVERY steps and at the end.
 *
 * LEDGER_PROPERTY_STEPS and LEDGER_PROPERTY_SEED override the defaults.
 */
import type { NostrEvent } from 'nostr-tools/core'
import { expect, it } from 'vitest'
import { AmmError, getAmountOut, type Pool, type SwapSide } from '../../../src/balance/amm'
import { DEFAULT_RARITY } from '../../../src/balance/pricing'
import type { Kind21000Announce } from '../../../src/nostr/kind21000'
import { seeded } from '../fuzz/prng'
import { EXTERNAL, POOL_ACCOUNT } from './accounts'
import type { AnnounceOutcome, VerifiedAnnounce } from './announce-accounting'
import { InsufficientFunds } from './errors'
import { testBackends } from '../../../tests/support/backends'
import { scoped } from '../store/database'
import { Ledger } from './ledger'
import { DAY_SECONDS, HOUR_SECONDS, type SpendingLimits } from './spending-limits'

const STEPS = Number(process.env.LEDGER_PROPERTY_STEPS ?? 100_000)
const SEED = Number(process.env.LEDGER_PROPERTY_SEED ?? 0x7eed5)
const AUDIT_EVERY = 5_000
const T0 = 1_700_000_000
const MB = 1_000_000
const GENESIS = 50_000_000n
const OPERATOR_SATS = 2_000_000n
const FEE_BPS = 250n
const USERS = 6
const SWARMS = 3
const BLOCKED = /^blocked: insufficient balance: need (\d+) TSEED, have (\d+)$/
const OVER_LIMIT = /^blocked: spending limit: this announce would charge (\d+) TSEED; /

/** mulberry32: small, fast, and the same sequence on every machine. */
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0')

/** An announce picked, and what checks its outcome against the model. */
interface Planned {
  input: VerifiedAnnounce
  settle: (out: AnnounceOutcome) => void
}

interface Session {
  id: string
  up: bigint
  down: bigint
  left: bigint
  lastAt: number
  last?: VerifiedAnnounce
  ended: boolean
}

for (const backend of testBackends()) {
  it(
    `keeps the ledger balanced over ${STEPS} random operations on ${backend.name}`,
    { timeout: 900_000 },
    () => {
      const rnd = seeded(SEED)
      let now = T0
      const ledger = new Ledger(backend.open(), {
        clock: () => now,
        // With the rarity rule an announce depends on its swarm's other peers,
        // so its swarm is a scope key too. PostgreSQL runs without it, so that
        // announces into one swarm are independent there and their escrow
        // additions share statements (groupStep); SQLite keeps the rule.
        pricing: { baseTokensPerMB: 1n, rarity: backend.name === 'SQLite' ? DEFAULT_RARITY : null },
        announce: { maxBytesPerSecond: 400_000n, firstAnnounceSeconds: 60 },
        escrow: { claimWindowSeconds: 3_600, refundAfterSeconds: 6 * 3_600, payoutFeeBps: FEE_BPS },
      })
      let pool: Pool = ledger.bootstrapPool({ tseed: GENESIS, sat: OPERATOR_SATS })
      const policy = ledger.announcePolicy()

      const users = Array.from({ length: USERS }, (_, i) => hex(i + 1, 64))
      const swarms = Array.from({ length: SWARMS }, (_, i) => hex(0xabc0 + i, 40))
      const tseed = new Map(users.map((u) => [u, 0n]))
      const sat = new Map(users.map((u) => [u, 0n]))
      const escrow = new Map(swarms.map((s) => [s, 0n]))
      const claimed = new Map<string, bigint>()
      const paid = new Map<string, bigint>()
      const charged = new Map<string, bigint>()
      const refunded = new Map<string, bigint>()
      const limits = new Map<string, SpendingLimits>()
      /** Each user's charges of the last day, oldest first. */
      const spent = new Map<string, { at: number; amount: bigint }[]>(users.map((u) => [u, []]))
      const add = (m: Map<string, bigint>, k: string, v: bigint) => m.set(k, (m.get(k) ?? 0n) + v)
      const get = (m: Map<string, bigint>, k: string) => m.get(k) ?? 0n
      let satsInside = OPERATOR_SATS
      let fees = 0n
      let sessionCounter = 0
      let eventCounter = 0
      const sessions = new Map<string, Session>()
      const newSession = (): Session => ({
        id: hex(++sessionCounter, 32),
        up: 0n,
        down: 0n,
        left: BigInt(rnd.between(0, 3)),
        lastAt: 0,
        ended: false,
      })
      const deposits: { pk: string; sats: bigint; ref: string }[] = []
      const swaps: { pk: string; side: SwapSide; amountIn: bigint; ref: string }[] = []
      const pending: { ref: string; pk: string; amount: bigint; fee: bigint }[] = []
      const counts: Record<string, number> = {}
      const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1)

      const touchedUsers = new Set<string>()
      const touchedSwarms = new Set<string>()

      /** What the model says `pk` was charged in the last `seconds`. */
      function chargedWithin(pk: string, seconds: number): bigint {
        const list = spent.get(pk) ?? []
        while (list.length > 0 && list[0]!.at <= now - DAY_SECONDS) list.shift()
        let sum = 0n
        for (const c of list) if (c.at > now - seconds) sum += c.amount
        return sum
      }

      /** The refusal the model expects for charging `charge` to `pk` now, or undefined. */
      function expectedRefusal(pk: string, charge: bigint): string | undefined {
        const l = limits.get(pk)
        if (l === undefined) return undefined
        const over: string[] = []
        for (const [limit, seconds, per] of [
          [l.perHour, HOUR_SECONDS, 'hour'],
          [l.perDay, DAY_SECONDS, 'day'],
        ] as const) {
          const charged = chargedWithin(pk, seconds)
          if (limit !== null && charged + charge > limit) {
            over.push(`${charged} of your ${limit} TSEED per ${per}`)
          }
        }
        return over.length === 0
          ? undefined
          : `blocked: spending limit: this announce would charge ${charge} TSEED; ${over.join(' and ')} are already charged`
      }

      /**
       * Picks an announce, and what the model expects of its outcome. A pair
       * (pubkey, info hash) in `taken` is not picked: the relay never has two
       * announces of one session in a group.
       */
      function planAnnounce(taken?: Set<string>): Planned | undefined {
        const pk = rnd.pick(users)
        const ih = rnd.pick(swarms)
        const key = `${pk}|${ih}`
        if (taken?.has(key) === true) return undefined
        taken?.add(key)
        let s = sessions.get(key)
        if (s === undefined || s.ended) {
          s = newSession()
          sessions.set(key, s)
        }
        const r = rnd.next()
        let createdAt = now - rnd.between(0, 20)
        let event: Kind21000Announce['event']
        let replay: VerifiedAnnounce | undefined
        const grow = (x: Session) => {
          if (x.left > 0n) x.down += BigInt(rnd.between(0, 12 * MB))
          x.up += BigInt(rnd.between(0, rnd.next() < 0.5 ? 0 : 12 * MB))
          if (rnd.next() < 0.05) x.left = x.left > 0n ? 0n : 1n
        }
        if (r < 0.55) {
          grow(s)
          count('announce:progress')
        } else if (r < 0.62) {
          s = newSession()
          sessions.set(key, s)
          s.down = BigInt(rnd.between(0, MB))
          event = 'started'
          count('announce:started')
        } else if (r < 0.66) {
          s = newSession()
          sessions.set(key, s)
          grow(s)
          count('announce:new-session')
        } else if (r < 0.7) {
          s.down = s.down / 3n
          s.up = s.up / 2n
          count('announce:decrease')
        } else if (r < 0.76) {
          grow(s)
          event = 'stopped'
          s.ended = true
          count('announce:stopped')
        } else if (r < 0.83 && s.last !== undefined) {
          replay = s.last
          count('announce:duplicate-id')
        } else if (r < 0.88) {
          count('announce:same-counters')
        } else if (r < 0.92 && s.lastAt > 0) {
          createdAt = s.lastAt - rnd.between(1, 100)
          count('announce:stale')
        } else if (r < 0.95) {
          createdAt =
            rnd.next() < 0.5 ? now - 601 - rnd.between(0, 100) : now + 61 + rnd.between(0, 100)
          count('announce:out-of-window')
        } else {
          grow(s)
          count('announce:progress')
        }
        const input: VerifiedAnnounce = replay ?? {
          pubkey: pk,
          eventId: hex(++eventCounter, 64),
          createdAt,
          announce: {
            infoHash: ih,
            uploaded: s.up,
            downloaded: s.down,
            left: s.left,
            session: s.id,
            ...(event === undefined ? {} : { event }),
          },
        }
        const session = s
        const replayed = replay !== undefined
        return {
          input,
          settle: (out) => {
            settle(out, session, input, replayed)
          },
        }
      }

      /** Checks one announce's outcome against the model, and moves the model. */
      function settle(
        out: AnnounceOutcome,
        s: Session,
        input: VerifiedAnnounce,
        replayed: boolean,
      ) {
        const pk = input.pubkey
        const ih = input.announce.infoHash
        const key = `${pk}|${ih}`
        touchedUsers.add(pk)
        touchedSwarms.add(ih)
        if (out.accept) {
          expect(out.charged).toBeGreaterThanOrEqual(0n)
          if (out.charged > 0n) {
            expect(expectedRefusal(pk, out.charged)).toBeUndefined()
            spent.get(pk)?.push({ at: now, amount: out.charged })
          }
          tseed.set(pk, get(tseed, pk) - out.charged)
          add(escrow, ih, out.charged)
          add(charged, key, out.charged)
          add(claimed, key, out.claimed)
          if (out.message !== undefined) expect(out.message).toMatch(/^duplicate: /)
          if (input.createdAt >= s.lastAt) s.lastAt = input.createdAt
          if (!replayed) s.last = input
          count(out.charged > 0n ? 'accepted:charged' : 'accepted:free')
          return
        }
        const m = BLOCKED.exec(out.message)
        const overLimit = OVER_LIMIT.exec(out.message)
        if (m !== null) {
          expect(BigInt(m[2]!)).toBe(get(tseed, pk))
          expect(BigInt(m[1]!)).toBeGreaterThan(BigInt(m[2]!))
          // The limit is checked first: a charge refused for funds was within it.
          expect(expectedRefusal(pk, BigInt(m[1]!))).toBeUndefined()
          count('refused:blocked')
        } else if (overLimit !== null) {
          expect(out.message).toBe(expectedRefusal(pk, BigInt(overLimit[1]!)))
          count('refused:spending-limit')
        } else {
          expect(out.message).toMatch(
            /^invalid: created_at is more than (600|60) s in the (past|future)$/,
          )
          count('refused:invalid')
        }
      }

      /**
       * One announce on its own; half the time as the relay runs it: the reads
       * sent ahead, inside the group's transaction, with a read of its own in
       * between.
       */
      function announceStep() {
        const { input, settle: check } = planAnnounce() as Planned
        check(
          rnd.next() < 0.5
            ? ledger.applyAnnounce(input, now)
            : ledger.db.transaction(() => {
                ledger.readAheadAnnounce(input)
                ledger.balances(input.pubkey)
                return ledger.applyAnnounce(input, now)
              })(),
        )
      }

      /**
       * Several announces as the relay runs a group: one transaction, every
       * announce's reads asked for first, then each in a unit scoped by the
       * policy's keys. On PostgreSQL, units that share no key keep the rows
       * read before the others wrote, and their writes go as multi-row
       * statements; units that share one read again.
       */
      function groupStep() {
        const taken = new Set<string>()
        const plans: Planned[] = []
        for (let i = rnd.between(2, 8); i > 0; i--) {
          const plan = planAnnounce(taken)
          if (plan !== undefined) plans.push(plan)
        }
        const keysOf = ({ input }: Planned) =>
          policy.touches?.({ pubkey: input.pubkey } as NostrEvent, input.announce) ?? []
        const outs = ledger.db.transaction(() => {
          for (const p of plans)
            scoped(ledger.db, keysOf(p), () => {
              ledger.readAheadAnnounce(p.input)
            })
          return plans.map((p) =>
            scoped(ledger.db, keysOf(p), () => ledger.applyAnnounce(p.input, now)),
          )
        })()
        plans.forEach((p, i) => {
          p.settle(outs[i] as AnnounceOutcome)
        })
        count('announce:group')
      }

      function swapStep() {
        const pk = rnd.pick(users)
        touchedUsers.add(pk)
        if (swaps.length > 0 && rnd.next() < 0.05) {
          const prev = rnd.pick(swaps)
          const r = ledger.swap(prev.pk, prev.side, prev.amountIn, 0n, prev.ref)
          expect(r.replayed).toBe(true)
          count('swap:replay')
          return
        }
        const side: SwapSide = rnd.next() < 0.5 ? 'sat_to_tseed' : 'tseed_to_sat'
        const have = side === 'sat_to_tseed' ? get(sat, pk) : get(tseed, pk)
        const amountIn = BigInt(rnd.between(1, Number(have) + 50))
        const [rin, rout] =
          side === 'sat_to_tseed' ? [pool.sat, pool.tseed] : [pool.tseed, pool.sat]
        const expected = getAmountOut(amountIn, rin, rout)
        const minOut = rnd.next() < 0.1 ? expected + 1n : rnd.next() < 0.5 ? 0n : expected
        const ref = `sw${swaps.length}-${rnd.between(0, 1e9)}`
        try {
          const r = ledger.swap(pk, side, amountIn, minOut, ref)
          expect(amountIn).toBeLessThanOrEqual(have)
          expect(r.amountOut).toBe(expected)
          expect(r.amountOut).toBeGreaterThanOrEqual(minOut)
          const k = pool.tseed * pool.sat
          if (side === 'sat_to_tseed') {
            sat.set(pk, get(sat, pk) - amountIn)
            tseed.set(pk, get(tseed, pk) + r.amountOut)
            pool = { tseed: pool.tseed - r.amountOut, sat: pool.sat + amountIn }
          } else {
            tseed.set(pk, get(tseed, pk) - amountIn)
            sat.set(pk, get(sat, pk) + r.amountOut)
            pool = { tseed: pool.tseed + amountIn, sat: pool.sat - r.amountOut }
          }
          expect(r.pool).toEqual(pool)
          expect(pool.tseed * pool.sat).toBeGreaterThanOrEqual(k)
          swaps.push({ pk, side, amountIn, ref })
          count('swap:ok')
        } catch (e) {
          if (e instanceof InsufficientFunds) {
            expect(amountIn).toBeGreaterThan(have)
            expect(e.have).toBe(have)
            count('swap:insufficient')
          } else if (e instanceof AmmError) {
            expect(e.code === 'SLIPPAGE' || e.code === 'ZERO_OUTPUT').toBe(true)
            count(`swap:${e.code}`)
          } else throw e
        }
      }

      function depositStep() {
        if (deposits.length > 0 && rnd.next() < 0.1) {
          const d = rnd.pick(deposits)
          expect(ledger.deposit(d.pk, d.sats, d.ref).credited).toBe(false)
          touchedUsers.add(d.pk)
          count('deposit:repeat')
          return
        }
        const pk = rnd.pick(users)
        const sats = BigInt(rnd.between(1, 20_000))
        const ref = `pay-${deposits.length}`
        expect(ledger.deposit(pk, sats, ref).credited).toBe(true)
        deposits.push({ pk, sats, ref })
        add(sat, pk, sats)
        satsInside += sats
        touchedUsers.add(pk)
        count('deposit:ok')
      }

      function reserveStep() {
        const pk = rnd.pick(users)
        touchedUsers.add(pk)
        const amount = BigInt(rnd.between(1, Number(get(sat, pk)) + 20))
        const fee = BigInt(rnd.between(0, 20))
        const ref = `wd-${rnd.between(0, 1e12)}`
        try {
          ledger.reserveWithdrawal(pk, amount, fee, ref)
          expect(amount + fee).toBeLessThanOrEqual(get(sat, pk))
          sat.set(pk, get(sat, pk) - amount - fee)
          pending.push({ ref, pk, amount, fee })
          count('withdraw:reserved')
        } catch (e) {
          if (!(e instanceof InsufficientFunds)) throw e
          expect(amount + fee).toBeGreaterThan(get(sat, pk))
          count('withdraw:insufficient')
        }
      }

      function finishWithdrawalStep() {
        if (pending.length === 0) return
        const w = pending.splice(rnd.between(0, pending.length - 1), 1)[0]!
        touchedUsers.add(w.pk)
        if (rnd.next() < 0.6) {
          const feePaid = BigInt(rnd.between(0, Number(w.fee)))
          ledger.completeWithdrawal(w.ref, feePaid)
          add(sat, w.pk, w.fee - feePaid)
          satsInside -= w.amount + feePaid
          count('withdraw:completed')
        } else {
          ledger.failWithdrawal(w.ref)
          add(sat, w.pk, w.amount + w.fee)
          count('withdraw:failed')
        }
      }

      function limitStep() {
        const pk = rnd.pick(users)
        const l: SpendingLimits = {
          perHour: rnd.next() < 0.6 ? null : BigInt(rnd.between(0, 400)),
          perDay: rnd.next() < 0.6 ? null : BigInt(rnd.between(0, 4_000)),
        }
        ledger.setSpendingLimits(pk, l)
        if (l.perHour === null && l.perDay === null) {
          limits.delete(pk)
          count('limits:cleared')
        } else {
          limits.set(pk, l)
          count('limits:set')
        }
        touchedUsers.add(pk)
      }

      function settleStep() {
        const r = ledger.settle(now)
        for (const p of r.payouts) {
          const key = `${p.pubkey}|${p.infoHash}`
          expect(p.fee).toBe((p.amount * FEE_BPS) / 10_000n)
          add(tseed, p.pubkey, p.amount - p.fee)
          add(escrow, p.infoHash, -p.amount)
          add(paid, key, p.amount)
          fees += p.fee
          expect(get(paid, key)).toBeLessThanOrEqual(get(claimed, key))
          touchedUsers.add(p.pubkey)
          touchedSwarms.add(p.infoHash)
          count('settle:payout')
        }
        for (const f of r.refunds) {
          const key = `${f.pubkey}|${f.infoHash}`
          add(tseed, f.pubkey, f.amount)
          add(escrow, f.infoHash, -f.amount)
          add(refunded, key, f.amount)
          expect(get(refunded, key)).toBeLessThanOrEqual(get(charged, key))
          touchedUsers.add(f.pubkey)
          touchedSwarms.add(f.infoHash)
          count('settle:refund')
        }
      }

      /** Plain comparisons: this runs after every step, where expect() would dominate the time. */
      function checkTouched(step: number) {
        const fail = (what: string, actual: unknown, wanted: unknown) => {
          throw new Error(
            `step ${step} (seed ${SEED}): ${what} is ${String(actual)}, expected ${String(wanted)}`,
          )
        }
        const totals = ledger.totals()
        if (totals.sums.TSEED !== 0n) fail('TSEED sum', totals.sums.TSEED, 0n)
        if (totals.sums.sat !== 0n) fail('sat sum', totals.sums.sat, 0n)
        if (totals.negatives.length > 0)
          fail('negative account', totals.negatives[0]?.account, 'none')
        for (const pk of touchedUsers) {
          const b = ledger.balances(pk)
          if (b.TSEED !== get(tseed, pk)) fail(`TSEED of ${pk}`, b.TSEED, get(tseed, pk))
          if (b.sat !== get(sat, pk)) fail(`sats of ${pk}`, b.sat, get(sat, pk))
          const st = ledger.spendingLimits(pk, now)
          const l = limits.get(pk) ?? { perHour: null, perDay: null }
          if (st.perHour !== l.perHour) fail(`hourly limit of ${pk}`, st.perHour, l.perHour)
          if (st.perDay !== l.perDay) fail(`daily limit of ${pk}`, st.perDay, l.perDay)
          const hour = chargedWithin(pk, HOUR_SECONDS)
          const day = chargedWithin(pk, DAY_SECONDS)
          if (st.chargedLastHour !== hour) fail(`last hour of ${pk}`, st.chargedLastHour, hour)
          if (st.chargedLastDay !== day) fail(`last day of ${pk}`, st.chargedLastDay, day)
        }
        for (const ih of touchedSwarms) {
          const held = ledger.escrowOf(ih, now).escrow
          if (held !== get(escrow, ih)) fail(`escrow of ${ih}`, held, get(escrow, ih))
        }
        const p = ledger.pool()
        if (p?.tseed !== pool.tseed || p.sat !== pool.sat)
          fail(
            'pool',
            JSON.stringify(p, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
            `${pool.tseed}/${pool.sat}`,
          )
        touchedUsers.clear()
        touchedSwarms.clear()
      }

      function fullCheck() {
        const audit = ledger.audit()
        expect(audit).toMatchObject({
          ok: true,
          mismatches: [],
          negatives: [],
          unbalanced: [],
          escrow: [],
        })
        expect(audit.sums).toEqual({ TSEED: 0n, sat: 0n })
        const snap = ledger.exportBalances()
        let insideTseed = snap.pool?.tseed ?? 0n
        let insideSat = snap.pool?.sat ?? 0n
        for (const m of snap.balances.values()) {
          insideTseed += m.get('TSEED') ?? 0n
          insideSat += m.get('sat') ?? 0n
        }
        // No minting: all TSEED inside the ledger is the genesis supply.
        expect(insideTseed).toBe(GENESIS)
        expect(insideSat).toBe(satsInside)
        expect(ledger.totals().sums).toEqual({ TSEED: 0n, sat: 0n })
        expect(snap.balances.get('urn:operator:fees')?.get('TSEED') ?? 0n).toBe(fees)
        expect(snap.balances.has(EXTERNAL.genesis)).toBe(false)
        // A user's history never shows another user.
        for (const u of users) {
          for (const posting of ledger.history(u, 200)) {
            for (const line of posting.lines) {
              if (line.account.startsWith('did:nostr:')) expect(line.account).toBe(`did:nostr:${u}`)
            }
          }
        }
        expect(snap.balances.has(POOL_ACCOUNT)).toBe(false)
      }

      const started = performance.now()
      for (let step = 1; step <= STEPS; step++) {
        const r = rnd.next()
        if (r < 0.35) announceStep()
        else if (r < 0.45) groupStep()
        else if (r < 0.58) swapStep()
        else if (r < 0.67) depositStep()
        else if (r < 0.75) reserveStep()
        else if (r < 0.83) finishWithdrawalStep()
        else if (r < 0.89) settleStep()
        else if (r < 0.9) limitStep()
        else now += rnd.next() < 0.01 ? rnd.between(3_600, 8 * 3_600) : rnd.between(1, 120)
        checkTouched(step)
        if (step % AUDIT_EVERY === 0) fullCheck()
      }

      // Drain: finish withdrawals, let every claim lapse and every payment come back.
      while (pending.length > 0) finishWithdrawalStep()
      now += 7 * 3_600
      settleStep()
      for (const u of users) touchedUsers.add(u)
      for (const s of swarms) touchedSwarms.add(s)
      checkTouched(STEPS + 1)
      for (const s of swarms) expect(ledger.escrowOf(s, now)).toEqual({ escrow: 0n, claims: 0n })
      fullCheck()

      const ms = performance.now() - started
      console.info(`ledger property: ${STEPS} steps in ${Math.round(ms)} ms, seed ${SEED}`, counts)
      // Each kind of step must really have happened, or the test proves less than it says.
      for (const k of [
        'accepted:charged',
        'refused:blocked',
        'refused:spending-limit',
        'refused:invalid',
        'announce:duplicate-id',
        'announce:stale',
        'announce:stopped',
        'announce:group',
        'swap:ok',
        'swap:insufficient',
        'swap:SLIPPAGE',
        'deposit:repeat',
        'withdraw:completed',
        'withdraw:failed',
        'withdraw:insufficient',
        'settle:payout',
        'settle:refund',
        'limits:set',
        'limits:cleared',
      ]) {
        expect(counts[k] ?? 0, k).toBeGreaterThan(0)
      }
    },
  )
}
