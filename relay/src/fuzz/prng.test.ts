import { describe, expect, it } from 'vitest'
import { fuzzSeed, seeded } from './prng'

describe('seeded', () => {
  it('replays the same sequence for the same seed and differs for another', () => {
    const a = seeded(7)
    const b = seeded(7)
    const xs = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs)
    expect(seeded(8).next()).not.toBe(xs[0])
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true)
  })

  it('draws integers in range and picks from a list', () => {
    const r = seeded(1)
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) seen.add(r.int(4))
    expect([...seen].sort()).toEqual([0, 1, 2, 3])
    expect(['a', 'b']).toContain(r.pick(['a', 'b']))
    expect(() => r.pick([])).toThrow(RangeError)
    const between = new Set<number>()
    for (let i = 0; i < 1000; i++) between.add(r.between(-2, 1))
    expect([...between].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1])
  })
})

describe('fuzzSeed', () => {
  it('takes FUZZ_SEED in decimal or hex, refuses junk, else draws one', () => {
    expect(fuzzSeed({ FUZZ_SEED: '12' })).toBe(12)
    expect(fuzzSeed({ FUZZ_SEED: '0x10' })).toBe(16)
    expect(() => fuzzSeed({ FUZZ_SEED: 'x' })).toThrow(/FUZZ_SEED/)
    const drawn = fuzzSeed({})
    expect(Number.isSafeInteger(drawn) && drawn >= 0 && drawn <= 0xffffffff).toBe(true)
  })
})
