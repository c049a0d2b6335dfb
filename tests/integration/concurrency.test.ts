import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TseedApiError, type SwapResult } from '../../src/balance/api-client'
import type { SwapSide } from '../../src/balance/amm'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { expectSequentialReplay } from '../support/sequential-replay'
import {
  connectNostr,
  newUser,
  publish,
  signAnnounce,
  startQuietRelay,
  type TestUser,
} from '../support/tseed-relay'

const MB = 1_000_000n
const CONNECTIONS = 4
const ANNOUNCES = 40
const ANNOUNCE_MB = 40n
const SWAPS = 30

interface SwapRequest {
  side: SwapSide
  amountIn: bigint
  ref?: string
}

/**
 * One pubkey spends the same TSEED and sats from many places at once:
 * announces over several WebSocket connections (some sent twice on two
 * connections) and swaps over HTTP, more than the balance can pay. Whatever
 * the interleaving, nothing goes negative, every accepted operation is in the
 * journal exactly once, and replaying the accepted operations one by one in
 * journal order on a fresh ledger gives the same balances and pool.
 */
describe('parallel announces and swaps from one pubkey', () => {
  let relay: RunningTseedRelay
  let user: TestUser
  const conns: AbstractRelay[] = []

  beforeAll(async () => {
    relay = await startQuietRelay({ api: { rateLimit: { burst: 500, perSecond: 500 } } })
    user = newUser(relay)
    for (let i = 0; i < CONNECTIONS; i++) conns.push(await connectNostr(relay.url))
    // 20,000 sat in, 500 of them swapped to about 1,000 TSEED: far less than 40 × 40 MB costs.
    const d = await user.api.createDeposit({ amountSat: 20_000n })
    await user.api.deposit(d.paymentHash)
    await user.api.swap({ side: 'sat_to_tseed', amountIn: 500n, minOut: 0n, ref: 'setup' })
  })

  afterAll(async () => {
    for (const c of conns) c.close()
    await relay.close()
  })

  it('never double-spends', async () => {
    const now = Math.floor(Date.now() / 1000)
    const events: NostrEvent[] = []
    for (let i = 0; i < ANNOUNCES; i++) {
      // Distinct swarms, so every announce has a fixed price and its own rate allowance.
      const infoHash = i.toString(16).padStart(40, '0')
      events.push(
        signAnnounce(
          user.sk,
          {
            infoHash,
            event: 'started',
            downloaded: ANNOUNCE_MB * MB,
            left: MB,
            session: 'a'.repeat(32),
          },
          now - (i % 5),
        ),
      )
    }
    const swaps: SwapRequest[] = []
    for (let i = 0; i < SWAPS; i++) {
      swaps.push(
        i % 3 === 0
          ? { side: 'sat_to_tseed', amountIn: 20n }
          : { side: 'tseed_to_sat', amountIn: 90n },
      )
    }
    // The same swap three times under one ref: one execution, two replays.
    for (let i = 0; i < 3; i++) swaps.push({ side: 'tseed_to_sat', amountIn: 60n, ref: 'same-ref' })

    const announceResults = events.map(() => [] as { ok: boolean; message: string }[])
    const tasks: Promise<unknown>[] = []
    events.forEach((ev, i) => {
      const send = (conn: AbstractRelay) =>
        publish(conn, ev).then((r) => {
          announceResults[i]!.push(r)
        })
      tasks.push(send(conns[i % CONNECTIONS]!))
      // Every fifth announce also arrives on another connection at the same moment.
      if (i % 5 === 0) tasks.push(send(conns[(i + 1) % CONNECTIONS]!))
    })
    const swapResults: (SwapResult | TseedApiError)[] = []
    swaps.forEach((s, i) => {
      tasks.push(
        user.api
          .swap({
            side: s.side,
            amountIn: s.amountIn,
            minOut: 0n,
            ...(s.ref !== undefined ? { ref: s.ref } : {}),
          })
          .then(
            (r) => (swapResults[i] = r),
            (e: unknown) => {
              if (!(e instanceof TseedApiError)) throw e
              swapResults[i] = e
            },
          ),
      )
    })
    await Promise.all(tasks)

    // Refusals are for money only, with need and have told truthfully.
    const acceptedEvents = new Set<string>()
    events.forEach((ev, i) => {
      for (const r of announceResults[i]!) {
        if (r.ok) acceptedEvents.add(ev.id)
        else
          expect(r.message).toMatch(
            /^blocked: insufficient balance: need 40 TSEED, have ([0-9]|[1-3][0-9])$/,
          )
      }
    })
    for (const r of swapResults) {
      if (r instanceof TseedApiError) {
        expect([r.status, r.code]).toEqual([402, 'insufficient_funds'])
        expect(r.have! < r.need!).toBe(true)
      }
    }
    const acceptedSwaps = swapResults.filter((r): r is SwapResult => !(r instanceof TseedApiError))
    expect(acceptedEvents.size).toBeGreaterThan(0)
    expect(acceptedEvents.size).toBeLessThan(ANNOUNCES)
    expect(acceptedSwaps.length).toBeGreaterThan(0)
    expect(acceptedSwaps.length).toBeLessThan(swaps.length)
    const sameRef = swapResults.filter(
      (r, i): r is SwapResult => swaps[i]?.ref === 'same-ref' && !(r instanceof TseedApiError),
    )
    expect(sameRef.filter((r) => !r.replayed).length).toBeLessThanOrEqual(1)
    expect(new Set(sameRef.map((r) => r.amountOut)).size).toBeLessThanOrEqual(1)

    // Nothing went negative, nothing was created or lost.
    const final = relay.ledger.balances(user.pubkey)
    expect(final.TSEED >= 0n && final.sat >= 0n).toBe(true)
    const audit = relay.ledger.audit()
    expect(audit.ok).toBe(true)
    expect(audit.negatives).toEqual([])

    // Every accepted announce is charged exactly once, every refused one not at all.
    const postings = relay.ledger.history(user.pubkey, 1000).reverse()
    const downloads = postings.filter((p) => p.kind === 'download').map((p) => p.ref)
    expect(new Set(downloads).size).toBe(downloads.length)
    expect(new Set(downloads)).toEqual(new Set([...acceptedEvents].map((id) => `announce:${id}`)))
    const swapPostings = postings.filter((p) => p.kind === 'swap')
    // The setup swap, one per accepted swap, and the same-ref swap once however often sent.
    expect(swapPostings.length).toBe(1 + acceptedSwaps.filter((r) => !r.replayed).length)

    // Replay the journal's accepted operations one at a time on a fresh ledger.
    expectSequentialReplay(relay.ledger, user.pubkey, events, ANNOUNCE_MB)
  })
})
