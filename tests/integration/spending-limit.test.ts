import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../../src/nostr/kind21000'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { swarm } from '../support/swarm'
import {
  connectNostr,
  newUser,
  publish,
  signAnnounce,
  startQuietRelay,
  type TestUser,
} from '../support/tseed-relay'

const IH = 'f'.repeat(40)
const MB = 1_000_000n
const SIZE = 50n * MB

/**
 * A key's spending limit, set over real HTTP with NIP-98 and enforced on
 * announces published over real WebSockets with nostr-tools. The relay runs
 * on an injected clock, so the tests move time instead of sleeping.
 */
describe('spending limits end to end', () => {
  let relay: RunningTseedRelay
  let conn: AbstractRelay
  /** The relay's clock, unix seconds. */
  let now = Math.floor(Date.now() / 1000)
  const clock = () => now

  beforeAll(async () => {
    relay = await startQuietRelay({ clock: () => now * 1000 })
    conn = await connectNostr(relay.url)
  })

  afterAll(async () => {
    conn.close()
    await relay.close()
  })

  /** A user holding the TSEED a 1,000-sat dev deposit buys. */
  async function fundedUser(): Promise<TestUser> {
    const user = newUser(relay, clock)
    const d = await user.api.createDeposit({ amountSat: 1_000n, swapMinOut: 1n })
    expect((await user.api.deposit(d.paymentHash)).state).toBe('credited')
    return user
  }

  /** An announce of `user`'s session signed one second after the previous one. */
  function announce(
    user: TestUser,
    session: string,
    fields: Partial<Kind21000Announce>,
  ): NostrEvent {
    now += 1
    return signAnnounce(user.sk, { infoHash: IH, session, ...fields }, now)
  }

  const leeching = (user: TestUser, session: string, downloaded: bigint) =>
    announce(user, session, { downloaded, left: SIZE - downloaded })
  const tseed = async (user: TestUser) => (await user.api.balance()).balances.tseed
  const listed = async () => await swarm(conn, IH)
  const audited = () => {
    const audit = relay.ledger.audit()
    expect(audit.ok).toBe(true)
    expect(audit.sums).toEqual({ TSEED: 0n, sat: 0n })
  }

  it('charges under the limit, refuses over it without a trace, and charges the delta once the hour allows', async () => {
    const user = await fundedUser()
    const session = '4'.repeat(32)
    const start = await tseed(user)
    expect(await user.api.setLimits({ perHour: 10n, perDay: null })).toEqual({
      pubkey: user.pubkey,
      perHour: 10n,
      perDay: null,
      chargedLastHour: 0n,
      chargedLastDay: 0n,
      testMode: true,
    })

    expect(await publish(conn, announce(user, session, { left: SIZE, event: 'started' }))).toEqual({
      ok: true,
      message: '',
    })
    const firstChargeAt = now + 1
    expect((await publish(conn, leeching(user, session, 4n * MB))).ok).toBe(true)
    const second = leeching(user, session, 8n * MB)
    expect((await publish(conn, second)).ok).toBe(true)
    expect(await tseed(user)).toBe(start - 8n)
    expect(await user.api.getLimits()).toMatchObject({ chargedLastHour: 8n, chargedLastDay: 8n })

    // 3 TSEED more would make 11 in the hour: refused, and nothing of it is kept.
    const over = leeching(user, session, 11n * MB)
    expect(await publish(conn, over)).toEqual({
      ok: false,
      message:
        'blocked: spending limit: this announce would charge 3 TSEED; 8 of your 10 TSEED per hour are already charged',
    })
    expect(await tseed(user)).toBe(start - 8n)
    expect((await user.api.history()).map((e) => e.ref)).not.toContain(`announce:${over.id}`)
    expect((await listed()).map((e) => e.id)).toEqual([second.id])
    audited()

    // An hour after the first charge only the second one (4) is in the window:
    // the same counters again are charged the refused 3 TSEED.
    now = firstChargeAt + 3600
    const retry = signAnnounce(
      user.sk,
      { infoHash: IH, session, downloaded: 11n * MB, left: SIZE - 11n * MB },
      now,
    )
    expect(await publish(conn, retry)).toEqual({ ok: true, message: '' })
    expect(await tseed(user)).toBe(start - 11n)
    const charge = (await user.api.history()).find((e) => e.ref === `announce:${retry.id}`)
    expect(charge?.change).toEqual({ tseed: -3n, sat: 0n })
    expect(await user.api.getLimits()).toMatchObject({ chargedLastHour: 7n, chargedLastDay: 11n })
    expect((await listed()).map((e) => e.id)).toEqual([retry.id])
    audited()
  })

  it('refuses every charge under a limit of 0, and charges again once the limit is cleared', async () => {
    const user = await fundedUser()
    const session = '5'.repeat(32)
    const start = await tseed(user)
    await user.api.setLimits({ perHour: null, perDay: 0n })
    const first = leeching(user, session, 2n * MB)
    expect(await publish(conn, first)).toEqual({
      ok: false,
      message:
        'blocked: spending limit: this announce would charge 2 TSEED; 0 of your 0 TSEED per day are already charged',
    })
    expect((await listed()).map((e) => e.pubkey)).not.toContain(user.pubkey)
    expect(await tseed(user)).toBe(start)

    expect(await user.api.setLimits({ perHour: null, perDay: null })).toMatchObject({
      perHour: null,
      perDay: null,
    })
    const again = leeching(user, session, 2n * MB)
    expect(await publish(conn, again)).toEqual({ ok: true, message: '' })
    expect(await tseed(user)).toBe(start - 2n)
    expect((await listed()).map((e) => e.pubkey)).toContain(user.pubkey)
    audited()
  })

  it('never limits a seeder: uploads charge nothing', async () => {
    const seeder = newUser(relay, clock)
    const session = '6'.repeat(32)
    await seeder.api.setLimits({ perHour: 0n, perDay: 0n })
    for (const uploaded of [0n, 5n * MB, 9n * MB]) {
      const ev = announce(seeder, session, { uploaded, left: 0n })
      expect(await publish(conn, ev)).toEqual({ ok: true, message: '' })
    }
    expect((await listed()).map((e) => e.pubkey)).toContain(seeder.pubkey)
    expect(await seeder.api.getLimits()).toMatchObject({ chargedLastHour: 0n, chargedLastDay: 0n })
    audited()
  })
})
