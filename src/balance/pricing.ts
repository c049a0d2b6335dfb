/**
 * Swarm pricing and byte→token conversion (docs/ledger.md, "Pricing"). Pure and
 * browser-safe, so the popup's quote and the relay's charge are one computation.
 */
import { BYTES_PER_MB, ceilDiv } from './units'

/**
 * The optional rarity rule: a swarm with too few seeders per leecher costs
 * downloaders more, and so pays its uploaders more.
 */
export interface RarityRule {
  /** R: a swarm is scarce when it has fewer than one seeder per R leechers. */
  leechersPerSeeder: number
  /** Multiplier for a scarce swarm that still has a seeder (at least 2). */
  scarceMultiplier: bigint
  /** Multiplier when leechers are present and no seeder is (at least the scarce one). */
  noSeederMultiplier: bigint
}

export interface PricingConfig {
  /** Integer TSEED per MB (10^6 bytes) before any rarity multiplier. */
  baseTokensPerMB: bigint
  /** null switches the rarity rule off; every swarm then costs the base price. */
  rarity: RarityRule | null
}

export interface SwarmStats {
  /** Distinct pubkeys announcing left = 0 recently. */
  seeders: number
  /** Distinct pubkeys announcing left > 0 recently (and none with left = 0). */
  leechers: number
}

export interface SwarmPrice {
  tokensPerMB: bigint
  multiplier: bigint
  rare: boolean
}

export interface DownloadQuote extends SwarmPrice {
  bytes: bigint
  /** The most a download of `bytes` can cost: the charge rounded up to a whole token. */
  tokens: bigint
}

/** The rule's parameters when an operator switches it on without tuning it. */
export const DEFAULT_RARITY: RarityRule = {
  leechersPerSeeder: 4,
  scarceMultiplier: 2n,
  noSeederMultiplier: 4n,
}

/**
 * 1 TSEED per MB, rarity off. Off by default because announcing as a leecher
 * costs nothing, so a seeder could add idle keys to a swarm and double what
 * real downloaders pay (docs/ledger.md).
 */
export const DEFAULT_PRICING: PricingConfig = { baseTokensPerMB: 1n, rarity: null }

/**
 * Converts a byte delta to whole tokens at `tokensPerMB`, carrying the
 * sub-token remainder instead of dropping it. `carry` is in millionths of a
 * token (bytes × TSEED/MB), always in [0, 10^6).
 * @example chargeForBytes(1_500_000n, 1n, 0n) // { tokens: 1n, carry: 500_000n }
 */
export function chargeForBytes(
  bytes: bigint,
  tokensPerMB: bigint,
  carry: bigint,
): { tokens: bigint; carry: bigint } {
  if (typeof bytes !== 'bigint' || bytes < 0n) throw new RangeError('bytes must be a bigint ≥ 0')
  if (typeof tokensPerMB !== 'bigint' || tokensPerMB < 0n) {
    throw new RangeError('tokensPerMB must be a bigint ≥ 0')
  }
  if (typeof carry !== 'bigint' || carry < 0n || carry >= BYTES_PER_MB) {
    throw new RangeError('carry must be a bigint in [0, 10^6)')
  }
  const units = bytes * tokensPerMB + carry
  return { tokens: units / BYTES_PER_MB, carry: units % BYTES_PER_MB }
}

/**
 * The price of a swarm. With the rarity rule on: leechers but no seeder →
 * noSeederMultiplier; fewer than one seeder per R leechers → scarceMultiplier;
 * otherwise, and for an empty swarm, ×1.
 */
export function swarmPrice(stats: SwarmStats, cfg: PricingConfig): SwarmPrice {
  checkConfig(cfg)
  const { seeders, leechers } = stats
  if (!Number.isSafeInteger(seeders) || seeders < 0) {
    throw new RangeError('seeders must be a non-negative integer')
  }
  if (!Number.isSafeInteger(leechers) || leechers < 0) {
    throw new RangeError('leechers must be a non-negative integer')
  }
  let multiplier = 1n
  const r = cfg.rarity
  if (r !== null && leechers > 0) {
    if (seeders === 0) multiplier = r.noSeederMultiplier
    else if (seeders * r.leechersPerSeeder < leechers) multiplier = r.scarceMultiplier
  }
  return { tokensPerMB: cfg.baseTokensPerMB * multiplier, multiplier, rare: multiplier > 1n }
}

/**
 * What downloading `bytes` will cost at `price`, rounded up: the carried
 * remainder means the total charged never exceeds this.
 */
export function quoteDownload(bytes: bigint, price: SwarmPrice): DownloadQuote {
  if (typeof bytes !== 'bigint' || bytes < 0n) throw new RangeError('bytes must be a bigint ≥ 0')
  if (price.tokensPerMB < 0n) throw new RangeError('tokensPerMB must be ≥ 0')
  return { ...price, bytes, tokens: ceilDiv(bytes * price.tokensPerMB, BYTES_PER_MB) }
}

/** Throws a RangeError describing the first invalid field of a pricing config. */
export function checkConfig(cfg: PricingConfig): void {
  if (typeof cfg.baseTokensPerMB !== 'bigint' || cfg.baseTokensPerMB < 1n) {
    throw new RangeError('baseTokensPerMB must be a bigint ≥ 1')
  }
  const r = cfg.rarity
  if (r === null) return
  if (!Number.isSafeInteger(r.leechersPerSeeder) || r.leechersPerSeeder < 1) {
    throw new RangeError('rarity.leechersPerSeeder must be an integer ≥ 1')
  }
  if (typeof r.scarceMultiplier !== 'bigint' || r.scarceMultiplier < 2n) {
    throw new RangeError('rarity.scarceMultiplier must be a bigint ≥ 2')
  }
  if (typeof r.noSeederMultiplier !== 'bigint' || r.noSeederMultiplier < r.scarceMultiplier) {
    throw new RangeError('rarity.noSeederMultiplier must be ≥ rarity.scarceMultiplier')
  }
}
