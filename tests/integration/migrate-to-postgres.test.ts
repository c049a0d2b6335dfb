import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { TseedApiClient } from '../../src/balance/api-client'
import { openRelayDatabase } from '../../relay/src/store/open-relay-database'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { runCliCaptured } from '../../relay/tests/operator-cli'
import { freshSchema, postgresUrl } from '../support/postgres'
import { swarm } from '../support/swarm'
import {
  connectNostr,
  foreignInvoice,
  newUser,
  publish,
  signAnnounce,
  startQuietRelay,
  type TestUser,
} from '../support/tseed-relay'

const url = postgresUrl()
const IH = 'a1'.repeat(20)
const MB = 1_000_000n
const SEED_SESSION = '5'.repeat(32)
const LEECH_SESSION = 'e'.repeat(32)
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const run = runCliCaptured

/** `export` at a fixed clock, so two databases' documents compare byte for byte. */
async function exported(db: string): Promise<string> {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-01-01T00:00:00Z') })
  try {
    const r = await run(['export', '--db', db])
    expect(r.code).toBe(0)
    return r.out
  } finally {
    vi.useRealTimers()
  }
}

/** What a relay answers and holds, compared before and after the move. */
async function observe(relay: RunningTseedRelay, users: TestUser[]) {
  const conn = await connectNostr(relay.url)
  try {
    const events = await swarm(conn, IH)
    const torrents = await new Promise<NostrEvent[]>((resolve) => {
      const got: NostrEvent[] = []
      const sub = conn.subscribe([{ kinds: [2003] }], {
        onevent: (ev) => got.push(ev),
        oneose: () => {
          sub.close()
          resolve(got)
        },
      })
    })
    const balances = await Promise.all(users.map(async (u) => (await u.api.balance()).balances))
    const history = await Promise.all(users.map((u) => u.api.history()))
    return { events, torrents, balances, history, pool: relay.ledger.pool() }
  } finally {
    conn.close()
  }
}

async function scrape(relay: RunningTseedRelay, credential: string): Promise<string> {
  const http = relay.url.replace(/^ws/, 'http')
  const infoHash = IH.replace(/../g, '%$&')
  const res = await fetch(`${http}/t/${credential}/scrape?info_hash=${infoHash}`)
  return Buffer.from(await res.arrayBuffer()).toString('latin1')
}

describe.skipIf(url === undefined)('moving a relay from SQLite to PostgreSQL', () => {
  it('keeps every balance, announce, id and credential, and the relay runs on in PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-move-'))
    dirs.push(dir)
    const file = join(dir, 'relay.sqlite')
    const target = `${url as string}?schema=${freshSchema()}`

    // Real traffic on a SQLite relay: deposits (one swapped on arrival), a
    // swap, a withdrawal, charged announces, a claim paid by a settlement, an
    // escrow left open, a torrent, a tracker credential.
    let relay = await startQuietRelay({ db: file, settleIntervalMs: 3_600_000, torrentIndex: true })
    const seeder = newUser(relay)
    const leecher = newUser(relay)
    let clock = Math.floor(Date.now() / 1000) - 300
    const at = (): number => ++clock
    let credential: string
    let before: Awaited<ReturnType<typeof observe>>
    try {
      const dep = await leecher.api.createDeposit({ amountSat: 20_000n, swapMinOut: 1n })
      expect((await leecher.api.deposit(dep.paymentHash)).state).toBe('credited')
      const sats = await seeder.api.createDeposit({ amountSat: 5_000n })
      expect((await seeder.api.deposit(sats.paymentHash)).state).toBe('credited')
      await seeder.api.swap({ side: 'sat_to_tseed', amountIn: 1_000n, minOut: 1n })
      const w = await seeder.api.withdraw({ invoice: foreignInvoice(500n).invoice, maxFeeSat: 10n })
      expect(w.state).toBe('completed')
      credential = (await seeder.api.createTrackerCredential('laptop')).credential

      const conn = await connectNostr(relay.url)
      const send = async (ev: NostrEvent): Promise<void> => {
        expect(await publish(conn, ev)).toEqual({ ok: true, message: '' })
      }
      await send(
        signAnnounce(
          seeder.sk,
          { infoHash: IH, session: SEED_SESSION, left: 0n, event: 'started' },
          at(),
        ),
      )
      await send(
        signAnnounce(
          leecher.sk,
          { infoHash: IH, session: LEECH_SESSION, left: 9n * MB, event: 'started' },
          at(),
        ),
      )
      await send(
        signAnnounce(
          leecher.sk,
          { infoHash: IH, session: LEECH_SESSION, downloaded: 4n * MB, left: 5n * MB },
          at(),
        ),
      )
      await send(
        signAnnounce(
          seeder.sk,
          { infoHash: IH, session: SEED_SESSION, uploaded: 4n * MB, left: 0n },
          at(),
        ),
      )
      expect(relay.ledger.settle(clock).payouts).toHaveLength(1)
      await send(
        signAnnounce(
          leecher.sk,
          { infoHash: IH, session: LEECH_SESSION, downloaded: 6n * MB, left: 3n * MB },
          at(),
        ),
      )
      // Claimed but not yet settled: an open claim and lot travel too.
      await send(
        signAnnounce(
          seeder.sk,
          { infoHash: IH, session: SEED_SESSION, uploaded: 6n * MB, left: 0n },
          at(),
        ),
      )
      const torrent = finalizeEvent(
        {
          kind: 2003,
          created_at: at(),
          tags: [
            ['title', 'Test'],
            ['x', IH],
            ['t', 'video'],
          ],
          content: '',
        },
        generateSecretKey(),
      )
      await send(JSON.parse(JSON.stringify(torrent)) as NostrEvent)
      conn.close()
      expect(relay.ledger.escrowOf(IH, clock).escrow).toBe(2n)
      expect(await scrape(relay, credential)).toMatch(/^d5:files/)
      before = await observe(relay, [seeder, leecher])
    } finally {
      await relay.close()
    }
    expect(before.events).toHaveLength(2)
    expect(before.torrents).toHaveLength(1)

    const moved = await run(['migrate-to-postgres', '--from', file, '--to', target])
    expect(moved.err).toBe('')
    expect(moved.code).toBe(0)
    for (const table of [
      'ledger_claims',
      'ledger_settlements',
      'ledger_escrow_lots',
      'api_deposits',
      'api_withdrawals',
      'tracker_credentials',
      'torrents',
      'torrent_tags',
    ]) {
      expect(moved.out, table).toMatch(new RegExp(`\\n  ${table} +[1-9]\\d* rows\\n`))
    }

    // The operator commands see the same ledger on both.
    const audits = [await run(['audit', '--db', file]), await run(['audit', '--db', target])]
    expect(audits.map((a) => a.code)).toEqual([0, 0])
    expect(audits[1]!.out).toBe(audits[0]!.out)
    expect(audits[0]!.out).toContain('sum TSEED: 0\nsum sat: 0\n')
    expect(await exported(target)).toBe(await exported(file))

    const sqliteMax = (() => {
      const db = openRelayDatabase(file)
      try {
        return db.prepare('SELECT max(id) FROM ledger_postings').pluck().get() as number
      } finally {
        db.close()
      }
    })()

    relay = await startQuietRelay({ db: target, settleIntervalMs: 3_600_000, torrentIndex: true })
    try {
      // The same keys, talking to the new relay's API.
      for (const u of [seeder, leecher]) {
        u.api = new TseedApiClient({
          baseUrl: relay.apiUrl,
          fetch: (a, i) => fetch(a, i),
          sign: u.sign,
        })
      }
      const after = await observe(relay, [seeder, leecher])
      expect(after).toEqual(before)
      // The credential still resolves to its owner; an unknown one does not.
      expect(await scrape(relay, credential)).toMatch(/^d5:files/)
      expect(await scrape(relay, 'A'.repeat(24))).toMatch(/failure reason/)

      // New postings, lots and settlements get ids after the copied ones.
      const conn = await connectNostr(relay.url)
      const ev = signAnnounce(
        leecher.sk,
        { infoHash: IH, session: LEECH_SESSION, downloaded: 7n * MB, left: 2n * MB },
        at(),
      )
      expect(await publish(conn, ev)).toEqual({ ok: true, message: '' })
      conn.close()
      const charge = relay.ledger.history(leecher.pubkey, 1)[0]!
      expect(charge.ref).toBe(`announce:${ev.id}`)
      expect(charge.id).toBe(sqliteMax + 1)
      expect(relay.ledger.audit().ok).toBe(true)
    } finally {
      await relay.close()
    }
  }, 60_000)
})
