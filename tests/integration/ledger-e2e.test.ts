import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quoteSwap } from '../../src/balance/amm'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { swarm } from '../support/swarm'
import {
  connectNostr,
  newUser,
  publicClient,
  publish,
  signAnnounce,
  startQuietRelay,
  type TestUser,
} from '../support/tseed-relay'

const IH = 'e'.repeat(40)
const MB = 1_000_000n
const SEED_SESSION = '1'.repeat(32)
const L1_SESSION = '2'.repeat(32)
const L2_SESSION = '3'.repeat(32)

/**
 * One swarm, end to end over real WebSockets: a seeder and two leechers
 * announce with nostr-tools clients, the ledger charges and pays as
 * docs/ledger.md says, and a leecher without funds is refused and unlisted
 * until a dev top-up through the API.
 */
describe('ledger end to end: one swarm, a seeder and two leechers', () => {
  let relay: RunningTseedRelay
  let seeder: TestUser
  let leecher1: TestUser
  let leecher2: TestUser
  const conns: AbstractRelay[] = []
  // Strictly increasing created_at, inside the ledger's 600 s window.
  let clock = Math.floor(Date.now() / 1000) - 300
  const at = () => ++clock

  beforeAll(async () => {
    relay = await startQuietRelay({ settleIntervalMs: 50 })
    seeder = newUser(relay)
    leecher1 = newUser(relay)
    leecher2 = newUser(relay)
    for (let i = 0; i < 4; i++) conns.push(await connectNostr(relay.url))
  })

  afterAll(async () => {
    for (const c of conns) c.close()
    await relay.close()
  })

  const conn = (i: number) => (): AbstractRelay => conns[i]!
  const [sConn, l1Conn, l2Conn, reader] = [conn(0), conn(1), conn(2), conn(3)]
  const listed = async () => (await swarm(reader(), IH)).map((e) => e.pubkey).sort()

  it('runs the whole story', async () => {
    // A leecher buys TSEED with a dev deposit, swapped on arrival.
    const deposit = await leecher1.api.createDeposit({ amountSat: 10_000n, swapMinOut: 1n })
    const funded = await leecher1.api.deposit(deposit.paymentHash)
    expect(funded.state).toBe('credited')
    const l1Start = funded.swap!.amountOut!
    expect((await leecher1.api.balance()).balances).toEqual({ tseed: l1Start, sat: 0n })

    // Everyone joins the swarm; announcing costs nothing until bytes move.
    const seed0 = signAnnounce(
      seeder.sk,
      { infoHash: IH, session: SEED_SESSION, left: 0n, event: 'started' },
      at(),
    )
    const l1a = signAnnounce(
      leecher1.sk,
      { infoHash: IH, session: L1_SESSION, left: 20n * MB, event: 'started' },
      at(),
    )
    expect(await publish(sConn(), seed0)).toEqual({ ok: true, message: '' })
    expect(await publish(l1Conn(), l1a)).toEqual({ ok: true, message: '' })
    expect(await listed()).toEqual([seeder.pubkey, leecher1.pubkey].sort())

    // Leecher 1 downloads 5 MB: 5 TSEED go into the swarm escrow.
    const l1b = signAnnounce(
      leecher1.sk,
      { infoHash: IH, session: L1_SESSION, downloaded: 5n * MB, left: 15n * MB },
      at(),
    )
    expect((await publish(l1Conn(), l1b)).ok).toBe(true)
    expect((await leecher1.api.balance()).balances.tseed).toBe(l1Start - 5n)
    expect(relay.ledger.escrowOf(IH, clock)).toEqual({ escrow: 5n, claims: 0n })
    const price = await publicClient(relay).price(IH)
    expect(price).toMatchObject({ seeders: 1, leechers: 1, tokensPerMb: 1n })

    // Leecher 2 has nothing: refused with the exact message, and not listed.
    const l2a = signAnnounce(
      leecher2.sk,
      { infoHash: IH, session: L2_SESSION, downloaded: 3n * MB, left: 7n * MB, event: 'started' },
      at(),
    )
    expect(await publish(l2Conn(), l2a)).toEqual({
      ok: false,
      message: 'blocked: insufficient balance: need 3 TSEED, have 0',
    })
    expect(await listed()).toEqual([seeder.pubkey, leecher1.pubkey].sort())
    expect(relay.ledger.history(leecher2.pubkey, 10)).toEqual([])

    // The seeder reports 5 MB uploaded; the settlement timer pays the claim out of escrow.
    const seed1 = signAnnounce(
      seeder.sk,
      { infoHash: IH, session: SEED_SESSION, uploaded: 5n * MB, left: 0n },
      at(),
    )
    expect((await publish(sConn(), seed1)).ok).toBe(true)
    await expect
      .poll(async () => (await seeder.api.balance()).balances.tseed, { timeout: 5_000 })
      .toBe(5n)
    expect(relay.ledger.escrowOf(IH, clock)).toEqual({ escrow: 0n, claims: 0n })
    const payout = (await seeder.api.history()).find((e) => e.kind === 'payout')!
    expect(payout.change).toEqual({ tseed: 5n, sat: 0n })
    expect(payout.lines).toContainEqual({
      account: `urn:swarm:${IH}`,
      currency: 'TSEED',
      amount: -5n,
    })

    // Leecher 2 tops up through the API (dev backend), then sends the same announce again:
    // the same 3 TSEED are charged and the peer is listed.
    const pool = relay.ledger.pool()!
    const expectedTseed = quoteSwap(pool, 'sat_to_tseed', 1_000n).amountOut
    const top = await leecher2.api.createDeposit({ amountSat: 1_000n, swapMinOut: expectedTseed })
    expect((await leecher2.api.deposit(top.paymentHash)).swap?.amountOut).toBe(expectedTseed)
    expect(await publish(l2Conn(), l2a)).toEqual({ ok: true, message: '' })
    expect((await leecher2.api.balance()).balances).toEqual({ tseed: expectedTseed - 3n, sat: 0n })
    const charge = (await leecher2.api.history()).find((e) => e.kind === 'download')!
    expect(charge).toMatchObject({ ref: `announce:${l2a.id}`, change: { tseed: -3n, sat: 0n } })
    expect(await listed()).toEqual([seeder.pubkey, leecher1.pubkey, leecher2.pubkey].sort())

    // The seeder uploads 3 MB more (8 MB in the session): the delta is claimed and paid.
    const seed2 = signAnnounce(
      seeder.sk,
      { infoHash: IH, session: SEED_SESSION, uploaded: 8n * MB, left: 0n },
      at(),
    )
    expect((await publish(sConn(), seed2)).ok).toBe(true)
    await expect
      .poll(async () => (await seeder.api.balance()).balances.tseed, { timeout: 5_000 })
      .toBe(8n)

    // The same counters again under a new id (another tracker URL) charge nothing.
    const l1dup = signAnnounce(
      leecher1.sk,
      { infoHash: IH, session: L1_SESSION, downloaded: 5n * MB, left: 15n * MB },
      at(),
    )
    expect((await publish(l1Conn(), l1dup)).ok).toBe(true)
    expect((await leecher1.api.balance()).balances.tseed).toBe(l1Start - 5n)

    // No TSEED was created or lost along the way: what the leechers paid, the seeder got.
    const audit = relay.ledger.audit()
    expect(audit.ok).toBe(true)
    expect(audit.sums).toEqual({ TSEED: 0n, sat: 0n })
    expect(relay.ledger.escrowOf(IH, clock)).toEqual({ escrow: 0n, claims: 0n })
  })
})
