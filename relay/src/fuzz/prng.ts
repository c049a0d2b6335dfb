/**
 * A small seeded random source for the fuzzers: the same seed replays the
 * same frames, so a failure found once can be reproduced and debugged.
 */
export interface Random {
  readonly seed: number
  /** In [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(xs: readonly T[]): T
}

/**
 * mulberry32: 32 bits of state, fast, and good enough to spread test cases.
 *
 * @example
 * const r = seeded(42); r.int(10) // the same number on every run
 */
export function seeded(seed: number): Random {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    seed: seed >>> 0,
    next,
    int,
    between: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new RangeError('pick from an empty list')
      return xs[int(xs.length)] as T
    },
  }
}

/** The seed from `FUZZ_SEED` (decimal or 0x hex) when set, else a fresh one; printed by callers. */
export function fuzzSeed(env: Record<string, string | undefined> = process.env): number {
  const given = env.FUZZ_SEED
  if (given !== undefined && given !== '') {
    const n = Number(given)
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) {
      throw new RangeError(`FUZZ_SEED must be an integer from 0 to 2^32-1, got ${given}`)
    }
    return n
  }
  return Math.floor(Math.random() * 0x100000000)
}
