import type { NostrEvent } from 'nostr-tools/core'
import { expect } from 'vitest'
import type { SwapSide } from '../../src/balance/amm'
import { parseAnnounceEvent } from '../../src/nostr/kind21000'
import { Ledger } from '../../relay/src/ledger/ledger'
import { openDatabase } from '../../relay/src/store/database'
import { DEV_POOL } from '../../relay/src/tseed-relay'

/**
 * Replays one pubkey's journal, in journal order and one operation at a
 * time, on a fresh ledger (deposits, swaps, charged announces), and expects
 * every result and the final balances and pool to equal what the relay
 * reached under concurrency: concurrent work was serialisable.
 * @param events the announces the pubkey sent, to find each charged one by id
 * @param charge the TSEED each accepted announce costs
 */
export function expectSequentialReplay(
  ledger: Ledger,
  pubkey: string,
  events: readonly NostrEvent[],
  charge: bigint,
): void {
  const postings = ledger.history(pubkey, 1000).reverse()
  const replay = new Ledger(openDatabase(':memory:'))
  try {
    replay.bootstrapPool(DEV_POOL)
    const byRef = new Map(events.map((ev) => [`announce:${ev.id}`, ev]))
    for (const p of postings) {
      const mine = p.lines.filter((l) => l.account === `did:nostr:${pubkey}`)
      if (p.kind === 'deposit') {
        replay.deposit(pubkey, mine[0]!.amount, p.ref.slice('deposit:'.length))
      } else if (p.kind === 'swap') {
        const side = p.memo as SwapSide
        const inCurrency = side === 'sat_to_tseed' ? 'sat' : 'TSEED'
        const paid = mine.find((l) => l.currency === inCurrency)!.amount
        const got = mine.find((l) => l.currency !== inCurrency)!.amount
        const r = replay.swap(pubkey, side, -paid, 0n, p.ref.slice('swap:'.length))
        expect(r.amountOut).toBe(got)
      } else if (p.kind === 'download') {
        const ev = byRef.get(p.ref)!
        const outcome = replay.applyAnnounce(
          {
            pubkey: ev.pubkey,
            eventId: ev.id,
            createdAt: ev.created_at,
            announce: parseAnnounceEvent(ev),
          },
          ev.created_at,
        )
        expect(outcome).toMatchObject({ accept: true, charged: charge })
      } else {
        throw new Error(`unexpected posting ${p.kind}`)
      }
    }
    expect(replay.balances(pubkey)).toEqual(ledger.balances(pubkey))
    expect(replay.pool()).toEqual(ledger.pool())
  } finally {
    replay.db.close()
  }
}
