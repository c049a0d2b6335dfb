import type { HistoryEntry } from '../../balance/api-client'

/**
 * Pure derivations over `GET /history` postings (docs/ledger.md, "Journal").
 * A download moves TSEED from the user into `urn:swarm:<info hash>`, a payout
 * and a refund move it back out, so the swarm account on a posting's lines
 * names the torrent, and `change.tseed` is what it did to the user.
 */

export interface TseedFlow {
  /** Paid out to the user for uploading. */
  earned: bigint
  /** Paid by the user's announces for downloading. */
  spent: bigint
  /** Download payments nobody claimed, given back after a day. */
  refunded: bigint
  /** `earned + refunded − spent`. */
  net: bigint
}

export interface TorrentFlow {
  infoHash: string
  /** TSEED earned by uploading (payouts, after any operator fee). */
  up: bigint
  /** TSEED paid for downloading. */
  down: bigint
  refunded: bigint
  net: bigint
  /** Unix seconds of the newest posting, for sorting. */
  lastAt: number
}

export const DAY_SECONDS = 86_400

const SWARM = /^urn:swarm:([0-9a-f]{40})$/

/** The info hash of the swarm escrow a posting touched, or null (swaps, deposits…). */
export function swarmOf(entry: HistoryEntry): string | null {
  for (const line of entry.lines) {
    const m = SWARM.exec(line.account.toLowerCase())
    if (m?.[1] !== undefined && line.currency === 'TSEED') return m[1]
  }
  return null
}

/**
 * Earned, spent and refunded TSEED in postings at or after `sinceSeconds`.
 * A history page is newest first and limited, so a window older than the
 * oldest entry fetched is only partly covered; {@link coversSince} says so.
 */
export function flowSince(entries: readonly HistoryEntry[], sinceSeconds: number): TseedFlow {
  const flow = { earned: 0n, spent: 0n, refunded: 0n }
  for (const e of entries) {
    if (e.at < sinceSeconds) continue
    add(flow, e)
  }
  return { ...flow, net: flow.earned + flow.refunded - flow.spent }
}

/** {@link flowSince} for the 24 hours before `nowSeconds`. */
export function flowLast24h(entries: readonly HistoryEntry[], nowSeconds: number): TseedFlow {
  return flowSince(entries, nowSeconds - DAY_SECONDS)
}

/**
 * Whether `entries` (one page of at most `limit`) reach back to `sinceSeconds`:
 * a full page whose oldest entry is newer may have left postings out.
 */
export function coversSince(
  entries: readonly HistoryEntry[],
  limit: number,
  sinceSeconds: number,
): boolean {
  if (entries.length < limit) return true
  return entries.some((e) => e.at < sinceSeconds)
}

/** Up, down, refunded and net TSEED per torrent, most recently active first. */
export function perTorrent(entries: readonly HistoryEntry[]): TorrentFlow[] {
  const byHash = new Map<string, TorrentFlow>()
  for (const e of entries) {
    const infoHash = swarmOf(e)
    if (infoHash === null) continue
    let t = byHash.get(infoHash)
    if (t === undefined) {
      t = { infoHash, up: 0n, down: 0n, refunded: 0n, net: 0n, lastAt: e.at }
      byHash.set(infoHash, t)
    }
    const flow = { earned: 0n, spent: 0n, refunded: 0n }
    add(flow, e)
    t.up += flow.earned
    t.down += flow.spent
    t.refunded += flow.refunded
    t.net = t.up + t.refunded - t.down
    if (e.at > t.lastAt) t.lastAt = e.at
  }
  return [...byHash.values()].sort(
    (a, b) => b.lastAt - a.lastAt || (a.infoHash < b.infoHash ? -1 : 1),
  )
}

/** Only postings that touch a swarm move earned/spent; swaps and Lightning do not. */
function add(flow: { earned: bigint; spent: bigint; refunded: bigint }, e: HistoryEntry): void {
  const change = e.change.tseed
  switch (e.kind) {
    case 'download':
      flow.spent += -change
      break
    case 'payout':
      flow.earned += change
      break
    case 'refund':
      flow.refunded += change
      break
  }
}
