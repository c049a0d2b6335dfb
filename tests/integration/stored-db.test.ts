import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/core'
import { verifyEvent } from 'nostr-tools/pure'
import { afterAll, describe, expect, it } from 'vitest'
import { buildStoredDatabase } from '../../bench/stored-db'
import { defaultStoredPlan, storedSwarmCounts, type StoredPlan } from '../../bench/stored-plan'
import { swarmHash } from '../../bench/plan'
import { DEFAULT_ANNOUNCE_TTL_SECONDS } from '../../relay/src/core/limits'
import { Ledger } from '../../relay/src/ledger/ledger'
import { openDatabase, transactionRun } from '../../relay/src/store/database'
import { SqliteAnnounceStore } from '../../relay/src/store/sqlite-store'
import { isOk, RawClient } from '../../relay/tests/ws-client'
import { parseAnnounceEvent } from '../../src/nostr/kind21000'
import { startQuietRelay } from '../support/tseed-relay'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tseed-stored-'))
  dirs.push(d)
  return d
}

/** Every row of a table, in a stable order, as plain values. */
function rows(path: string, sql: string): unknown[] {
  const db = openDatabase(path)
  try {
    return db.prepare(sql).raw().all()
  } finally {
    db.close()
  }
}

const TABLES = [
  'SELECT id, pubkey, info_hash, session, kind, created_at, expires_at, event FROM announces ORDER BY id',
  'SELECT announce_id, name, value FROM announce_tags ORDER BY announce_id, name, value',
  'SELECT * FROM ledger_announce_state ORDER BY pubkey, info_hash, session',
  'SELECT * FROM ledger_announce_seen ORDER BY event_id',
  'SELECT * FROM ledger_carry ORDER BY pubkey, info_hash, direction',
  'SELECT kind, ref FROM ledger_postings ORDER BY ref',
  'SELECT info_hash, payer, amount FROM ledger_escrow_lots ORDER BY id',
  'SELECT info_hash, pubkey, event_id, amount FROM ledger_claims ORDER BY id',
]

describe('the prebuilt database of `npm run bench -- --stored N`', () => {
  it('holds exactly the rows the relay writes when it accepts the same announces', async () => {
    const dir = tempDir()
    const built = join(dir, 'built.sqlite')
    const now = Math.floor(Date.now() / 1000)
    // Spread over 20 minutes, so half are older than the ledger's seen-id window.
    const plan: StoredPlan = { ...defaultStoredPlan(400, now), swarms: 40, spreadSeconds: 1200 }
    const { settledAt } = await buildStoredDatabase(built, plan, { threads: 2 })

    // The same events through the relay's own write path: the store's put and
    // the ledger's accounting in one savepoint each, in arrival order, each
    // at its own created_at; then the ledger's settlement prunes as it would.
    const events = (rows(built, 'SELECT event FROM announces') as [string][]).map(
      ([json]) => JSON.parse(json) as NostrEvent,
    )
    events.sort((a, b) => a.created_at - b.created_at)
    const replayed = join(dir, 'replayed.sqlite')
    const db = openDatabase(replayed)
    const store = new SqliteAnnounceStore(db)
    const ledger = new Ledger(db)
    for (const ev of events) {
      const announce = parseAnnounceEvent(ev)
      transactionRun(db).immediate(() => {
        const outcome = ledger.applyAnnounce(
          { pubkey: ev.pubkey, eventId: ev.id, createdAt: ev.created_at, announce },
          ev.created_at,
        )
        expect(outcome).toMatchObject({ accept: true, charged: 0n, claimed: 0n })
        const put = store.writes.put(
          {
            event: ev,
            infoHash: announce.infoHash,
            session: announce.session ?? '',
            expiresAt: ev.created_at + DEFAULT_ANNOUNCE_TTL_SECONDS,
          },
          ev.created_at,
        )
        expect(put).toBe('stored')
      })
    }
    ledger.settle(settledAt)
    db.close()

    for (const sql of TABLES) expect(rows(built, sql), sql).toEqual(rows(replayed, sql))
    const seen = rows(built, 'SELECT count(*) FROM ledger_announce_seen') as [number][]
    expect(seen[0]?.[0]).toBeGreaterThan(0)
    expect(seen[0]?.[0]).toBeLessThan(400)
  })

  it('opens in the TSEED relay, which answers REQ from it exactly and still audits', async () => {
    const path = join(tempDir(), 'relay.sqlite')
    const plan = defaultStoredPlan(10_000, Math.floor(Date.now() / 1000))
    const report = await buildStoredDatabase(path, plan, { threads: 2 })
    expect(report).toMatchObject({ announces: 10_000, signed: true })
    const counts = storedSwarmCounts(plan)
    // 5 hot swarms of 100, the other 9,500 announces over 9,995 swarms.
    expect([...counts.slice(0, 5)]).toEqual([100, 100, 100, 100, 100])
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000)

    const relay = await startQuietRelay({ db: path })
    const c = await RawClient.connect(relay.url)
    let n = 0
    const req = async (filter: Record<string, unknown>): Promise<NostrEvent[]> => {
      const sub = `s${++n}`
      c.send(['REQ', sub, filter])
      const got: NostrEvent[] = []
      for (;;) {
        const m = await c.next((x) => x[1] === sub, 10_000)
        if (m[0] === 'EOSE') break
        got.push(m[2] as NostrEvent)
      }
      c.send(['CLOSE', sub])
      return got
    }
    try {
      for (const s of [0, 4]) {
        const all = await req({ kinds: [21000], '#i': [swarmHash(s)], limit: 500 })
        expect(all).toHaveLength(100)
        const top = await req({ kinds: [21000], '#i': [swarmHash(s)], limit: 40 })
        expect(top).toEqual(all.slice(0, 40))
        for (let i = 1; i < all.length; i++) {
          expect(all[i - 1]!.created_at).toBeGreaterThanOrEqual(all[i]!.created_at)
        }
        expect(all.every((ev) => verifyEvent(structuredClone(ev)))).toBe(true)
      }
      const cold = [5, 6, 777, 9_999]
      const many = await req({ kinds: [21000], '#i': cold.map(swarmHash), limit: 500 })
      expect(many).toHaveLength(cold.reduce((sum, s) => sum + counts[s]!, 0))
      for (const ev of many) {
        const i = ev.tags.find((t) => t[0] === 'i')?.[1]
        expect(cold.map(swarmHash)).toContain(i)
      }
      // Every stored announce is one the relay recognises as already held.
      const replay = many[0]!
      c.send(['EVENT', replay])
      expect((await c.next(isOk(replay.id), 10_000)).slice(2)).toEqual([
        true,
        'duplicate: already have this event',
      ])
      expect(relay.ledger.audit().ok).toBe(true)
    } finally {
      c.close()
      await relay.close()
    }
  }, 60_000)
})
