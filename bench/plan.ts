/**
 * The benchmark's workload: which pubkeys announce what. Pure and
 * deterministic from its parameters, so the signing workers and the funding
 * step agree without sharing state.
 */

/** What a pubkey does in the benchmark. */
export type Role = 'downloader' | 'seeder' | 'unfunded'

export interface PlanOptions {
  /** Signed events in total. */
  events: number
  /** Events per pubkey (each in its own session). */
  perKey: number
  /** Distinct info hashes (swarms) the events spread over. */
  swarms: number
}

/**
 * Half the keys download and are funded, so the ledger charges them (a
 * posting and an escrow lot per event); four in ten seed, so the ledger
 * records upload claims; one in ten downloads without funds and is refused.
 */
export function roleOf(keyIndex: number): Role {
  const r = keyIndex % 10
  if (r < 5) return 'downloader'
  if (r < 9) return 'seeder'
  return 'unfunded'
}

export function keyCount(plan: PlanOptions): number {
  return Math.ceil(plan.events / plan.perKey)
}

/** The i-th swarm's info hash: 40 hex chars. */
export function swarmHash(i: number): string {
  return (i + 1).toString(16).padStart(8, '0').repeat(5)
}

/** Which swarm the j-th event of key k goes to; spreads each key over several swarms. */
export function swarmOf(plan: PlanOptions, k: number, j: number): number {
  return (k * 7 + j * 13) % plan.swarms
}

/** Bytes downloaded reported by a downloader's j-th announce: 1 to 5 MB, whole megabytes. */
export function downloadedBytes(j: number): bigint {
  return BigInt((j % 5) + 1) * 1_000_000n
}

/** Sats each funded downloader deposits and swaps for TSEED: enough for every announce. */
export const FUNDING_SATS = 100n
