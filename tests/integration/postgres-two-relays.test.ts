/**
 * Two relay processes on one PostgreSQL database, as behind a load
 * balancer: either takes any announce or API call, and together they behave
 * as one relay. A subscriber on one sees what the other stored, in order;
 * one pubkey spending from both at once never overdraws and ends where a
 * sequential replay ends; a NIP-98 header used on one is refused by the other.
 */
import { request } from 'node:http'
import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TseedApiError } from '../../src/balance/api-client'
import { createAuthHeader } from '../../src/nostr/nip98'
import { Ledger } from '../../relay/src/ledger/ledger'
import { openRelayDatabase } from '../../relay/src/store/open-relay-database'
import { spawnRelay, type RelayProcess } from '../../scripts/relay-process'
import { freshSchema, postgresUrl } from '../support/postgres'
import { expectSequentialReplay } from '../support/sequential-replay'
import { connectNostr, newUser, publish, signAnnounce, type TestUser } from '../support/tseed-relay'

const url = postgresUrl()
const MB = 1_000_000n
const ANNOUNCE_MB = 40n

describe.skipIf(url === undefined)('two relay processes on one PostgreSQL database', () => {
  let db: string
  let a: RelayProcess
  let b: RelayProcess
  const sockets: AbstractRelay[] = []

  beforeAll(async () => {
    db = `${url as string}?schema=${freshSchema()}`
    const args = [
      '--port',
      '0',
      '--db',
      db,
      '--lightning',
      'dev',
      '--api-rate-burst',
      '1000',
      '--api-rate-per-second',
      '1000',
    ]
    // Started together: migrations and the dev pool's bootstrap race, and must not collide.
    ;[a, b] = await Promise.all([spawnRelay(args), spawnRelay(args)])
  }, 60_000)

  afterAll(async () => {
    for (const s of sockets) s.close()
    await Promise.all([a.stop(), b.stop()])
  })

  const connect = async (relay: RelayProcess): Promise<AbstractRelay> => {
    const s = await connectNostr(relay.url)
    sockets.push(s)
    return s
  }

  /** A user with TSEED: a deposit and a swap through `relay`'s API. */
  const fundedUser = async (relay: RelayProcess, sats: bigint, swap: bigint): Promise<TestUser> => {
    const user = newUser(relay)
    const d = await user.api.createDeposit({ amountSat: sats })
    await user.api.deposit(d.paymentHash)
    await user.api.swap({ side: 'sat_to_tseed', amountIn: swap, minOut: 0n, ref: 'setup' })
    return user
  }

  const openLedger = (): { ledger: Ledger; close: () => void } => {
    const handle = openRelayDatabase(db)
    return { ledger: new Ledger(handle), close: () => handle.close() }
  }

  it('shows a subscriber on one process the announces stored by the other, in order', async () => {
    // A seeder pays nothing, so the pool stays as the next test expects it.
    const user = newUser(a)
    const infoHash = 'c0ffee'.padEnd(40, '0')
    const sub = await connect(b)
    const seen: NostrEvent[] = []
    const eose = new Promise<void>((resolve) => {
      sub.subscribe([{ kinds: [21000], '#i': [infoHash] }], {
        onevent: (ev) => seen.push(ev),
        oneose: resolve,
      })
    })
    await eose
    const pub = await connect(a)
    const now = Math.floor(Date.now() / 1000)
    const sent: NostrEvent[] = []
    for (let i = 0; i < 3; i++) {
      const ev = signAnnounce(
        user.sk,
        { infoHash, uploaded: BigInt(i) * MB, left: 0n, session: 'b'.repeat(32) },
        now + i,
      )
      expect(await publish(pub, ev)).toEqual({ ok: true, message: '' })
      sent.push(ev)
    }
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(3)
    expect(seen.map((e) => e.id)).toEqual(sent.map((e) => e.id))
  })

  it('never overdraws one pubkey spending on both processes at once', async () => {
    const user = await fundedUser(a, 20_000n, 500n)
    const [onA, onB] = [await connect(a), await connect(b)]
    // The same key, calling B's API.
    const apiOnB = newUser(b, undefined, user.sk).api
    const now = Math.floor(Date.now() / 1000)
    const events = Array.from({ length: 40 }, (_, i) =>
      signAnnounce(
        user.sk,
        {
          infoHash: (i + 1).toString(16).padStart(40, 'e'),
          downloaded: ANNOUNCE_MB * MB,
          left: MB,
          session: 'a'.repeat(32),
        },
        now - (i % 5),
      ),
    )
    const tasks: Promise<unknown>[] = []
    const verdicts: { ok: boolean; message: string }[] = []
    events.forEach((ev, i) => {
      tasks.push(publish(i % 2 === 0 ? onA : onB, ev).then((r) => verdicts.push(r)))
      // Some arrive at both processes at the same moment.
      if (i % 5 === 0)
        tasks.push(publish(i % 2 === 0 ? onB : onA, ev).then((r) => verdicts.push(r)))
    })
    const swapErrors: unknown[] = []
    for (let i = 0; i < 20; i++) {
      const api = i % 2 === 0 ? user.api : apiOnB
      const swap =
        i % 3 === 0
          ? { side: 'sat_to_tseed' as const, amountIn: 20n, minOut: 0n }
          : { side: 'tseed_to_sat' as const, amountIn: 90n, minOut: 0n }
      tasks.push(api.swap(swap).catch((e: unknown) => swapErrors.push(e)))
    }
    await Promise.all(tasks)

    for (const v of verdicts) {
      if (!v.ok)
        expect(v.message).toMatch(/^blocked: insufficient balance: need 40 TSEED, have \d+$/)
    }
    for (const e of swapErrors) {
      expect(e).toBeInstanceOf(TseedApiError)
      expect((e as TseedApiError).code).toBe('insufficient_funds')
    }
    expect(verdicts.some((v) => v.ok)).toBe(true)
    expect(verdicts.some((v) => !v.ok)).toBe(true)

    const { ledger, close } = openLedger()
    try {
      const audit = ledger.audit()
      expect(audit.ok).toBe(true)
      expect(audit.negatives).toEqual([])
      const downloads = ledger.history(user.pubkey, 1000).filter((p) => p.kind === 'download')
      expect(new Set(downloads.map((p) => p.ref)).size).toBe(downloads.length)
      expectSequentialReplay(ledger, user.pubkey, events, ANNOUNCE_MB)
    } finally {
      close()
    }
  })

  it('refuses on one process a NIP-98 header already used on the other', async () => {
    const user = newUser(a)
    // Behind one load balancer both processes answer for the same public URL.
    const host = 'relay.example'
    const header = await createAuthHeader({
      url: `http://${host}/api/v1/balance`,
      method: 'GET',
      sign: user.sign,
    })
    const get = (relay: RelayProcess) => getWithHost(relay.port, '/api/v1/balance', host, header)
    expect((await get(a)).status).toBe(200)
    const second = await get(b)
    expect(second.status).toBe(401)
    expect(second.body).toMatch(/already used/)
  })
})

function getWithHost(
  port: number,
  path: string,
  host: string,
  authorization: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host, authorization } },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}
