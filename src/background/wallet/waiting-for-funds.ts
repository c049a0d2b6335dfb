import type { Outbox, OutboxEntry } from '../outbox'
import { parseInsufficientBalance } from '../relay-result'

/**
 * Announces a relay refused for lack of TSEED are "waiting for funds": the
 * relay wrote nothing, so the same delta is charged once the balance covers
 * it (docs/ledger.md, "Insufficient balance"). Counters are cumulative, so
 * only the newest announce of a torrent session matters; an older one would
 * now look like a counter reset.
 */

/** Exactly the relay's refusal for funds, with its figures. */
const isFundsRefusal = (message: string): boolean => parseInsufficientBalance(message) !== null

export interface WaitingAnnounce {
  entry: OutboxEntry
  relay: string
  need: bigint
  have: bigint
}

export interface FundsScan {
  /** The newest refused announce of each torrent session, per relay, oldest first. */
  waiting: WaitingAnnounce[]
  /** Older refusals that a newer announce of the same session carries. */
  superseded: WaitingAnnounce[]
}

/**
 * Sorts refusals into waiting and superseded. A refusal is superseded when
 * any newer announce of the same info hash and session went (or will go) to
 * the same relay, whatever became of it.
 */
export async function scanWaiting(outbox: Outbox): Promise<FundsScan> {
  const refused = await outbox.findRefused(isFundsRefusal)
  if (refused.length === 0) return { waiting: [], superseded: [] }
  // Every entry, so a newer announce that was delivered (or is queued) counts too.
  const all = (await outbox.snapshot(Number.MAX_SAFE_INTEGER)).recent
  const newest = new Map<string, number>()
  for (const e of all) {
    if (e.gate?.state === 'dropped') continue
    for (const relay of Object.keys(e.results)) {
      const key = sessionKey(e, relay)
      if ((newest.get(key) ?? -1) < e.id) newest.set(key, e.id)
    }
  }
  const scan: FundsScan = { waiting: [], superseded: [] }
  for (const { entry, relay } of refused.sort((a, b) => a.entry.id - b.entry.id)) {
    const r = entry.results[relay]
    const parsed = r?.state === 'refused' ? parseInsufficientBalance(r.message) : null
    if (parsed === null) continue
    const item = { entry, relay, ...parsed }
    const latest = newest.get(sessionKey(entry, relay)) ?? entry.id
    ;(latest > entry.id ? scan.superseded : scan.waiting).push(item)
  }
  return scan
}

/**
 * {@link missingFunds}, read again only after the outbox was written: the
 * popup asks once a second, and an unchanged outbox has the same answer.
 */
export function missingFundsMemo(outbox: Outbox): () => Promise<Map<string, bigint>> {
  let memo: { revision: number; value: Promise<Map<string, bigint>> } | null = null
  return () => {
    const revision = outbox.revision()
    if (memo?.revision !== revision) {
      const value = missingFunds(outbox)
      memo = { revision, value }
      // A failed read is not kept: the next call tries again.
      value.catch(() => {
        if (memo?.value === value) memo = null
      })
    }
    return memo.value
  }
}

/**
 * Per relay, the largest shortfall (`need − have`) among the waiting
 * announces: the amount to pre-fill a top-up with. Relays with no shortfall
 * are left out.
 */
export async function missingFunds(outbox: Outbox): Promise<Map<string, bigint>> {
  const missing = new Map<string, bigint>()
  for (const w of (await scanWaiting(outbox)).waiting) {
    const gap = w.need - w.have
    if (gap > 0n && gap > (missing.get(w.relay) ?? 0n)) missing.set(w.relay, gap)
  }
  return missing
}

export interface Released {
  id: number
  relay: string
  infoHash: string
  need: bigint
}

/**
 * Requeues, per relay, the waiting announces the relay's TSEED balance now
 * covers, oldest first while the running sum of their needs fits. Each one
 * loses its stored signature in the same write, so the publisher signs it
 * again with a fresh `created_at` (the relay refuses old timestamps); its
 * counters stay, so the relay charges the same delta. Superseded refusals of
 * the same sessions are marked superseded, so they stop showing as waiting.
 */
export async function releaseIfFunded(
  outbox: Outbox,
  balances: ReadonlyMap<string, bigint>,
  now: () => number = Date.now,
): Promise<{ released: Released[]; superseded: { id: number; relay: string }[] }> {
  const scan = await scanWaiting(outbox)
  const left = new Map(balances)
  const released: Released[] = []
  for (const w of scan.waiting) {
    const balance = left.get(w.relay)
    if (balance === undefined || balance < w.need) continue
    const done = await outbox.requeue(w.entry.id, w.relay, isFundsRefusal)
    if (!done) continue
    left.set(w.relay, balance - w.need)
    released.push({
      id: w.entry.id,
      relay: w.relay,
      infoHash: w.entry.announce.infoHash,
      need: w.need,
    })
  }
  const superseded: { id: number; relay: string }[] = []
  for (const s of scan.superseded) {
    const at = now()
    const next = await outbox.update(s.entry.id, (e) => {
      const r = e.results[s.relay]
      if (r?.state !== 'refused' || !isFundsRefusal(r.message)) return undefined
      return { ...e, results: { ...e.results, [s.relay]: { state: 'superseded', at } } }
    })
    if (next !== undefined) superseded.push({ id: s.entry.id, relay: s.relay })
  }
  return { released, superseded }
}

/** Announces without a session are never superseded: each stands alone. */
function sessionKey(e: OutboxEntry, relay: string): string {
  const session = e.announce.session ?? `#${e.id}`
  return `${relay} ${e.announce.infoHash} ${session}`
}
