import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Journal } from './journal'
import { DAY_SECONDS, HOUR_SECONDS, SpendingLimiter } from './spending-limits'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const T0 = 1_700_000_000

function setup(cacheEntries?: number) {
  const db = new Database(':memory:')
  new Journal(db)
  const limiter = new SpendingLimiter(db, cacheEntries)
  const rows = () => db.prepare('SELECT count(*) FROM ledger_spending').pluck().get() as number
  return { db, limiter, rows }
}

describe('SpendingLimiter: limits', () => {
  it('has no limit until one is set, and clears the row when both are null', () => {
    const { db, limiter } = setup()
    expect(limiter.limitsOf(A)).toEqual({ perHour: null, perDay: null })
    limiter.set(A, { perHour: 200n, perDay: null }, T0)
    expect(limiter.limitsOf(A)).toEqual({ perHour: 200n, perDay: null })
    limiter.set(A, { perHour: null, perDay: 0n }, T0)
    expect(limiter.limitsOf(A)).toEqual({ perHour: null, perDay: 0n })
    limiter.set(A, { perHour: null, perDay: null }, T0)
    expect(limiter.limitsOf(A)).toEqual({ perHour: null, perDay: null })
    expect(db.prepare('SELECT count(*) FROM ledger_limits').pluck().get()).toBe(0)
  })

  it('reads each key once, until it sets new limits', () => {
    const { db, limiter } = setup()
    limiter.set(A, { perHour: 5n, perDay: null }, T0)
    expect(limiter.limitsOf(A).perHour).toBe(5n)
    expect(limiter.limitsOf(B).perHour).toBeNull()
    // Written behind the cache's back: the cached answers stand.
    db.prepare('UPDATE ledger_limits SET per_hour = 6').run()
    db.prepare(
      'INSERT INTO ledger_limits (pubkey, per_hour, per_day, updated_at) VALUES (?, 7, NULL, 0)',
    ).run(B)
    expect([limiter.limitsOf(A).perHour, limiter.limitsOf(B).perHour]).toEqual([5n, null])
    limiter.set(A, { perHour: 8n, perDay: null }, T0)
    expect(limiter.limitsOf(A).perHour).toBe(8n)
  })

  it('keeps at most the configured number of keys in memory, dropping the oldest', () => {
    const { db, limiter } = setup(2)
    const keys = ['1', '2', '3'].map((c) => c.repeat(64))
    for (const k of keys) limiter.set(k, { perHour: 1n, perDay: null }, T0)
    for (const k of keys) limiter.limitsOf(k)
    db.prepare('UPDATE ledger_limits SET per_hour = 9').run()
    // The first key was dropped when the third came in, so it is read again.
    expect(limiter.limitsOf(keys[2]!).perHour).toBe(1n)
    expect(limiter.limitsOf(keys[0]!).perHour).toBe(9n)
  })

  it('refuses a bad key or a limit outside 0 to 2^62', () => {
    const { limiter } = setup()
    expect(() => {
      limiter.set('A'.repeat(64), { perHour: 1n, perDay: null }, T0)
    }).toThrow(/pubkey must be 64 lowercase hex/)
    expect(() => {
      limiter.set(A, { perHour: -1n, perDay: null }, T0)
    }).toThrow(/perHour/)
    expect(() => {
      limiter.set(A, { perHour: null, perDay: 2n ** 62n + 1n }, T0)
    }).toThrow(/perDay/)
    limiter.set(A, { perHour: 2n ** 62n, perDay: 0n }, T0)
    expect(limiter.limitsOf(A)).toEqual({ perHour: 2n ** 62n, perDay: 0n })
  })
})

describe('SpendingLimiter: charges', () => {
  it('sums the charges of the last 3600 s and 86400 s, the window start excluded', () => {
    const { limiter, rows } = setup()
    const at = (now: number) => {
      const s = limiter.status(A, now)
      return [s.chargedLastHour, s.chargedLastDay]
    }
    limiter.record(A, 100n, T0)
    expect(at(T0)).toEqual([100n, 100n])
    limiter.record(A, 20n, T0 + 10)
    limiter.record(A, 3n, T0 + 10)
    expect(at(T0 + HOUR_SECONDS - 1)).toEqual([123n, 123n])
    expect(at(T0 + HOUR_SECONDS)).toEqual([23n, 123n])
    expect(at(T0 + HOUR_SECONDS + 10)).toEqual([0n, 123n])
    limiter.record(A, 4n, T0 + DAY_SECONDS - 1)
    expect(at(T0 + DAY_SECONDS - 1)).toEqual([4n, 127n])
    expect(at(T0 + DAY_SECONDS)).toEqual([4n, 27n])
    expect(at(T0 + DAY_SECONDS + 10)).toEqual([4n, 4n])
    limiter.record(B, 1000n, T0 + 5)
    // One row per key and second.
    expect(rows()).toBe(4)
    expect(limiter.status(B, T0 + 5)).toEqual({
      perHour: null,
      perDay: null,
      chargedLastHour: 1000n,
      chargedLastDay: 1000n,
    })
  })

  it('files a charge made after the clock stepped back with the key’s newest one', () => {
    const { limiter } = setup()
    limiter.record(A, 5n, T0 + 100)
    limiter.record(A, 7n, T0)
    expect(limiter.status(A, T0 + 100 + HOUR_SECONDS - 1).chargedLastHour).toBe(12n)
    expect(limiter.status(A, T0 + 100 + HOUR_SECONDS).chargedLastHour).toBe(0n)
  })

  it('adds totals past 2^63 exactly', () => {
    const { limiter } = setup()
    for (let i = 0; i < 3; i++) limiter.record(A, 2n ** 62n, T0 + i)
    expect(limiter.status(A, T0 + 2).chargedLastHour).toBe(3n * 2n ** 62n)
    expect(limiter.status(A, T0 + HOUR_SECONDS + 1).chargedLastHour).toBe(2n ** 62n)
  })

  it('prunes charges that no window reaches any more, without changing the sums', () => {
    const { limiter, rows } = setup()
    limiter.record(A, 1n, T0)
    limiter.record(A, 2n, T0 + HOUR_SECONDS)
    limiter.record(A, 4n, T0 + DAY_SECONDS)
    const now = T0 + DAY_SECONDS + HOUR_SECONDS
    const before = limiter.status(A, now)
    expect(limiter.prune(now)).toBe(2)
    expect(rows()).toBe(1)
    expect(limiter.status(A, now)).toEqual(before)
    expect(before.chargedLastDay).toBe(4n)
    // Recording goes on from the running total that is left.
    limiter.record(A, 8n, now)
    expect(limiter.status(A, now).chargedLastHour).toBe(8n)
    expect(limiter.status(A, now).chargedLastDay).toBe(12n)
  })
})

describe('SpendingLimiter: refusal', () => {
  it('refuses only a charge that takes a window above its limit, naming each window over', () => {
    const { limiter } = setup()
    expect(limiter.refusal(A, 10n ** 18n, T0)).toBeUndefined()
    limiter.record(A, 40n, T0)
    limiter.set(A, { perHour: 50n, perDay: 80n }, T0)
    expect(limiter.refusal(A, 10n, T0 + 1)).toBeUndefined()
    expect(limiter.refusal(A, 11n, T0 + 1)).toBe(
      'blocked: spending limit: this announce would charge 11 TSEED; 40 of your 50 TSEED per hour are already charged',
    )
    expect(limiter.refusal(A, 41n, T0 + 1)).toBe(
      'blocked: spending limit: this announce would charge 41 TSEED; 40 of your 50 TSEED per hour and 40 of your 80 TSEED per day are already charged',
    )
    expect(limiter.refusal(A, 41n, T0 + HOUR_SECONDS)).toBe(
      'blocked: spending limit: this announce would charge 41 TSEED; 40 of your 80 TSEED per day are already charged',
    )
    expect(limiter.refusal(A, 40n, T0 + HOUR_SECONDS)).toBeUndefined()
    limiter.set(A, { perHour: 0n, perDay: null }, T0)
    expect(limiter.refusal(A, 1n, T0 + HOUR_SECONDS)).toBe(
      'blocked: spending limit: this announce would charge 1 TSEED; 0 of your 0 TSEED per hour are already charged',
    )
  })
})
