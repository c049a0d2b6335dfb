import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  chargeForBytes,
  checkConfig,
  DEFAULT_PRICING,
  DEFAULT_RARITY,
  quoteDownload,
  swarmPrice,
  type PricingConfig,
} from './pricing'

const RARE: PricingConfig = { baseTokensPerMB: 1n, rarity: DEFAULT_RARITY }

describe('chargeForBytes', () => {
  it('converts whole MB and carries the remainder', () => {
    expect(chargeForBytes(1_000_000n, 1n, 0n)).toEqual({ tokens: 1n, carry: 0n })
    expect(chargeForBytes(1_500_000n, 1n, 0n)).toEqual({ tokens: 1n, carry: 500_000n })
    expect(chargeForBytes(500_000n, 1n, 500_000n)).toEqual({ tokens: 1n, carry: 0n })
    expect(chargeForBytes(999_999n, 1n, 0n)).toEqual({ tokens: 0n, carry: 999_999n })
    expect(chargeForBytes(1_500_000n, 4n, 0n)).toEqual({ tokens: 6n, carry: 0n })
    expect(chargeForBytes(0n, 3n, 7n)).toEqual({ tokens: 0n, carry: 7n })
  })

  it('handles 2^64-1 byte counters exactly', () => {
    const max = (1n << 64n) - 1n
    expect(chargeForBytes(max, 1n, 0n)).toEqual({
      tokens: 18446744073709n,
      carry: 551615n,
    })
  })

  it('rejects negative or out-of-range inputs', () => {
    expect(() => chargeForBytes(-1n, 1n, 0n)).toThrow('bytes must be a bigint ≥ 0')
    expect(() => chargeForBytes(1n, -1n, 0n)).toThrow('tokensPerMB must be a bigint ≥ 0')
    expect(() => chargeForBytes(1n, 1n, 1_000_000n)).toThrow('carry must be a bigint in [0, 10^6)')
    expect(() => chargeForBytes(1n, 1n, -1n)).toThrow('carry')
  })

  it('never loses a byte: charging in pieces equals charging the total', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 16n }),
        (pieces, price) => {
          let carry = 0n
          let tokens = 0n
          for (const p of pieces) {
            const r = chargeForBytes(p, price, carry)
            tokens += r.tokens
            carry = r.carry
          }
          const total = pieces.reduce((a, b) => a + b, 0n)
          const whole = chargeForBytes(total, price, 0n)
          expect(tokens).toBe(whole.tokens)
          expect(carry).toBe(whole.carry)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('swarmPrice', () => {
  it('charges the base price when rarity is off, whatever the swarm', () => {
    expect(swarmPrice({ seeders: 0, leechers: 100 }, DEFAULT_PRICING)).toEqual({
      tokensPerMB: 1n,
      multiplier: 1n,
      rare: false,
    })
    expect(DEFAULT_PRICING.rarity).toBeNull()
  })

  it('doubles a scarce swarm and quadruples one with no seeder', () => {
    expect(swarmPrice({ seeders: 1, leechers: 4 }, RARE).multiplier).toBe(1n)
    expect(swarmPrice({ seeders: 1, leechers: 5 }, RARE)).toEqual({
      tokensPerMB: 2n,
      multiplier: 2n,
      rare: true,
    })
    expect(swarmPrice({ seeders: 0, leechers: 1 }, RARE)).toEqual({
      tokensPerMB: 4n,
      multiplier: 4n,
      rare: true,
    })
    expect(swarmPrice({ seeders: 2, leechers: 9 }, RARE).multiplier).toBe(2n)
    expect(swarmPrice({ seeders: 3, leechers: 9 }, RARE).multiplier).toBe(1n)
  })

  it('prices an empty swarm at the base price', () => {
    expect(swarmPrice({ seeders: 0, leechers: 0 }, RARE).multiplier).toBe(1n)
  })

  it('multiplies the configured base', () => {
    const cfg: PricingConfig = { baseTokensPerMB: 3n, rarity: DEFAULT_RARITY }
    expect(swarmPrice({ seeders: 0, leechers: 2 }, cfg).tokensPerMB).toBe(12n)
  })

  it('rejects bad stats and bad configs', () => {
    expect(() => swarmPrice({ seeders: -1, leechers: 0 }, RARE)).toThrow('seeders')
    expect(() => swarmPrice({ seeders: 0, leechers: 0.5 }, RARE)).toThrow('leechers')
    expect(() => {
      checkConfig({ baseTokensPerMB: 0n, rarity: null })
    }).toThrow('baseTokensPerMB')
    expect(() => {
      checkConfig({ baseTokensPerMB: 1n, rarity: { ...DEFAULT_RARITY, scarceMultiplier: 1n } })
    }).toThrow('scarceMultiplier')
    expect(() => {
      checkConfig({ baseTokensPerMB: 1n, rarity: { ...DEFAULT_RARITY, noSeederMultiplier: 1n } })
    }).toThrow('noSeederMultiplier')
    expect(() => {
      checkConfig({ baseTokensPerMB: 1n, rarity: { ...DEFAULT_RARITY, leechersPerSeeder: 0 } })
    }).toThrow('leechersPerSeeder')
  })
})

describe('quoteDownload', () => {
  it('rounds up, so the quote bounds the carried charges', () => {
    const price = swarmPrice({ seeders: 1, leechers: 1 }, DEFAULT_PRICING)
    expect(quoteDownload(1n, price).tokens).toBe(1n)
    expect(quoteDownload(2_000_000n, price).tokens).toBe(2n)
    expect(quoteDownload(2_000_001n, price)).toMatchObject({ bytes: 2_000_001n, tokens: 3n })
    expect(() => quoteDownload(-1n, price)).toThrow('bytes')
  })

  it('is never below what chunked charging takes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { maxLength: 20 }),
        fc.bigInt({ min: 1n, max: 8n }),
        (pieces, tokensPerMB) => {
          let carry = 0n
          let charged = 0n
          for (const p of pieces) {
            const r = chargeForBytes(p, tokensPerMB, carry)
            charged += r.tokens
            carry = r.carry
          }
          const total = pieces.reduce((a, b) => a + b, 0n)
          const q = quoteDownload(total, { tokensPerMB, multiplier: 1n, rare: false })
          expect(charged).toBeLessThanOrEqual(q.tokens)
          expect(q.tokens - charged).toBeLessThanOrEqual(1n)
        },
      ),
      { numRuns: 300 },
    )
  })
})
