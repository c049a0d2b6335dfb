import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../../balance/api-client'
import { coversSince, flowSince, perTorrent, swarmOf } from './history-stats'

const ME = `did:nostr:${'a'.repeat(64)}`
const A = '1'.repeat(40)
const B = '2'.repeat(40)
let id = 0

function posting(kind: string, at: number, tseed: bigint, infoHash?: string): HistoryEntry {
  const lines =
    infoHash === undefined
      ? [{ account: ME, currency: 'sat', amount: 1n }]
      : [
          { account: ME, currency: 'TSEED', amount: tseed },
          { account: `urn:swarm:${infoHash}`, currency: 'TSEED', amount: -tseed },
        ]
  return { id: ++id, kind, ref: `r${id}`, at, memo: null, change: { tseed, sat: 0n }, lines }
}

describe('history derivations', () => {
  const big = 2n ** 64n + 1n
  const entries = [
    posting('refund', 500, 2n, A),
    posting('payout', 400, big, B),
    posting('download', 300, -7n, A),
    posting('swap', 250, 1000n),
    posting('download', 100, -3n, B),
  ]

  it('finds the swarm of a posting, or none', () => {
    expect(swarmOf(entries[0]!)).toBe(A)
    expect(swarmOf(entries[3]!)).toBeNull()
  })

  it('totals earned, spent and refunded since a time, ignoring swaps', () => {
    expect(flowSince(entries, 0)).toEqual({
      earned: big,
      spent: 10n,
      refunded: 2n,
      net: big + 2n - 10n,
    })
    expect(flowSince(entries, 300)).toEqual({
      earned: big,
      spent: 7n,
      refunded: 2n,
      net: big - 5n,
    })
  })

  it('splits up, down and net per torrent, most recent first', () => {
    expect(perTorrent(entries)).toEqual([
      { infoHash: A, up: 0n, down: 7n, refunded: 2n, net: -5n, lastAt: 500 },
      { infoHash: B, up: big, down: 3n, refunded: 0n, net: big - 3n, lastAt: 400 },
    ])
  })

  it('says whether a page of history reaches back far enough', () => {
    expect(coversSince(entries, 50, 450)).toBe(true)
    expect(coversSince(entries, 5, 450)).toBe(true)
    expect(coversSince(entries, 5, 50)).toBe(false)
  })
})
