import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { FetchLike } from '../../balance/api-client'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { startRelay, type RunningRelay } from '../../../relay/src/transport/start-relay'
import {
  connectNostr,
  newUser,
  publish,
  quiet,
  signAnnounce,
  startQuietRelay,
  type TestUser,
} from '../../../tests/support/tseed-relay'
import { rejectionOf } from '../../../tests/support/rejection'
import { createMemoryStorageArea } from '../storage-item'
import { createTseedRelayDirectory } from '../tseed-relays'
import { BALANCES_KEY, createBalanceService, summarize, type BalanceRow } from './balance-service'
import { flowLast24h, perTorrent } from './history-stats'
import { WalletError } from './wallet-error'

const IH = 'ab'.repeat(20)
const MB = 1_000_000n
const DEAD = 'ws://127.0.0.1:9'

describe('balance service against a real TSEED relay', () => {
  let tseed: RunningTseedRelay
  let plain: RunningRelay
  let leecher: TestUser
  let seeder: TestUser
  const conns: AbstractRelay[] = []

  beforeAll(async () => {
    tseed = await startQuietRelay({ settleIntervalMs: 50 })
    plain = await startRelay({ host: '127.0.0.1', port: 0, logger: quiet })
    leecher = newUser(tseed)
    seeder = newUser(tseed)
    const d = await leecher.api.createDeposit({ amountSat: 10_000n, swapMinOut: 1n })
    expect((await leecher.api.deposit(d.paymentHash)).state).toBe('credited')
    conns.push(await connectNostr(tseed.url), await connectNostr(tseed.url))
  })

  afterAll(async () => {
    for (const c of conns) c.close()
    await plain.close()
    await tseed.close()
  })

  /** A service for `user`, counting the balance requests its fetch makes. */
  function serviceFor(user: TestUser, relays: string[]) {
    const counts = { balance: 0 }
    let failBalance = false
    const fetch: FetchLike = (url, init) => {
      if (url.endsWith('/api/v1/balance')) {
        counts.balance++
        if (failBalance) return Promise.reject(new TypeError('fetch failed'))
      }
      return globalThis.fetch(url, init)
    }
    const storage = createMemoryStorageArea()
    const service = createBalanceService({
      storage,
      directory: createTseedRelayDirectory({ fetch, now: () => Date.now() }),
      relays: () => Promise.resolve(relays),
      pubkey: () => Promise.resolve(user.pubkey),
      sign: user.sign,
      fetch,
      now: () => Date.now(),
    })
    const setFailing = (v: boolean): void => {
      failBalance = v
    }
    return { service, storage, counts, setFailing }
  }

  it('keeps one row per TSEED relay, an error row for a dead one, and none for a plain relay', async () => {
    const { service, storage } = serviceFor(leecher, [tseed.url, plain.url, DEAD])
    expect(await service.cached()).toEqual([])
    const rows = await service.refresh('popup opened')
    const expected = await leecher.api.balance()
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({
      relay: tseed.url,
      pubkey: leecher.pubkey,
      ok: true,
      tseed: expected.balances.tseed,
      sat: 0n,
      tseedValueSat: expected.tseedValueSat,
      testMode: true,
    })
    expect(rows[1]).toMatchObject({ relay: DEAD, ok: false })
    expect((rows[1] as Extract<BalanceRow, { ok: false }>).error).toMatch(/Could not reach/)
    expect(typeof rows[0]!.at).toBe('number')

    // Stored as strings (storage.local is JSON), read back as BigInt.
    const raw = storage.dump()[BALANCES_KEY] as { rows: { tseed?: unknown }[]; reason: string }
    expect(typeof raw.rows[0]!.tseed).toBe('string')
    expect(raw.reason).toBe('popup opened')
    expect(await service.cached()).toEqual(rows)
    expect(await service.cached('f'.repeat(64))).toEqual([])

    const total = summarize(await service.cached())
    expect(total.test).toEqual({
      tseed: expected.balances.tseed,
      sat: 0n,
      tseedValueSat: expected.tseedValueSat,
      valueComplete: true,
      relays: 1,
    })
    expect(total.live.relays).toBe(0)
    expect(total.errors).toBe(1)
  })

  it('coalesces concurrent refreshes into one round', async () => {
    const { service, counts } = serviceFor(leecher, [tseed.url])
    const [a, b, c] = await Promise.all([
      service.refresh('a'),
      service.refresh('b'),
      service.refresh('c'),
    ])
    expect(counts.balance).toBe(1)
    expect(a).toBe(b)
    expect(b).toBe(c)
    await service.refresh('again')
    expect(counts.balance).toBe(2)
  })

  it('keeps the last good values inside an error row, and never rejects', async () => {
    const { service, setFailing } = serviceFor(leecher, [tseed.url])
    const [good] = await service.refresh('first')
    setFailing(true)
    const [bad] = await service.refresh('relay down')
    expect(bad).toMatchObject({ relay: tseed.url, ok: false })
    if (bad?.ok !== false || good?.ok !== true) throw new Error('unexpected rows')
    expect(bad.error).toMatch(/fetch failed/)
    expect(bad.previous).toEqual({
      tseed: good.tseed,
      sat: good.sat,
      tseedValueSat: good.tseedValueSat,
      testMode: true,
    })
    // A second failure still carries the values from before the first.
    const [worse] = await service.refresh('still down')
    expect(worse).toMatchObject({ ok: false, previous: bad.previous })
    expect(summarize(await service.cached()).test.relays).toBe(0)
    setFailing(false)
    expect((await service.refresh('back'))[0]).toMatchObject({ ok: true })
  })

  it('passes history through and derives per-torrent and 24 h flows from it', async () => {
    const now = Math.floor(Date.now() / 1000)
    const session = { leecher: '1'.repeat(32), seeder: '2'.repeat(32) }
    const [lConn, sConn] = [conns[0]!, conns[1]!]
    expect(
      (
        await publish(
          sConn,
          signAnnounce(
            seeder.sk,
            { infoHash: IH, session: session.seeder, left: 0n, event: 'started' },
            now - 3,
          ),
        )
      ).ok,
    ).toBe(true)
    for (const [i, downloaded] of [0n, 4n * MB].entries()) {
      const a = signAnnounce(
        leecher.sk,
        { infoHash: IH, session: session.leecher, downloaded, left: 10n * MB },
        now - 2 + i,
      )
      expect((await publish(lConn, a)).ok).toBe(true)
    }
    const up = signAnnounce(
      seeder.sk,
      { infoHash: IH, session: session.seeder, uploaded: 3n * MB, left: 0n },
      now,
    )
    expect((await publish(sConn, up)).ok).toBe(true)
    await expect
      .poll(async () => (await seeder.api.balance()).balances.tseed, { timeout: 5_000 })
      .toBe(3n)

    const l = serviceFor(leecher, [tseed.url]).service
    const s = serviceFor(seeder, [tseed.url]).service
    const lh = await l.history(tseed.url, 100)
    expect(lh.map((e) => e.kind)).toEqual(['download', 'swap', 'deposit'])
    expect(perTorrent(lh)).toEqual([
      { infoHash: IH, up: 0n, down: 4n, refunded: 0n, net: -4n, lastAt: lh[0]!.at },
    ])
    expect(flowLast24h(lh, now + 1)).toEqual({ earned: 0n, spent: 4n, refunded: 0n, net: -4n })

    const sh = await s.history(tseed.url)
    expect(perTorrent(sh)).toEqual([
      { infoHash: IH, up: 3n, down: 0n, refunded: 0n, net: 3n, lastAt: sh[0]!.at },
    ])
    expect(flowLast24h(sh, now + 1).earned).toBe(3n)
    // A day later the same postings fall out of the window.
    expect(flowLast24h(sh, now + 86_400 + 60)).toEqual({
      earned: 0n,
      spent: 0n,
      refunded: 0n,
      net: 0n,
    })
  })

  it('refuses history from a relay that is not a TSEED relay, in plain words', async () => {
    const { service } = serviceFor(leecher, [plain.url])
    const err = await rejectionOf(service.history(plain.url), WalletError)
    expect(err.code).toBe('not_a_tseed_relay')
    expect(await service.refresh('plain only')).toEqual([])
  })
})

describe('summarize', () => {
  const base = { pubkey: 'p', at: 1 }
  it('sums live and test relays apart and flags a missing value', () => {
    const rows: BalanceRow[] = [
      { ...base, relay: 'a', ok: true, tseed: 5n, sat: 1n, tseedValueSat: 2n, testMode: false },
      { ...base, relay: 'b', ok: true, tseed: 7n, sat: 0n, tseedValueSat: null, testMode: false },
      {
        ...base,
        relay: 'c',
        ok: true,
        tseed: 2n ** 70n,
        sat: 0n,
        tseedValueSat: 1n,
        testMode: true,
      },
      { ...base, relay: 'd', ok: false, error: 'down' },
    ]
    expect(summarize(rows)).toEqual({
      live: { tseed: 12n, sat: 1n, tseedValueSat: 2n, valueComplete: false, relays: 2 },
      test: { tseed: 2n ** 70n, sat: 0n, tseedValueSat: 1n, valueComplete: true, relays: 1 },
      errors: 1,
    })
  })
})
