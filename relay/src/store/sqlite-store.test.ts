import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/core'
import { afterEach, describe, expect, it } from 'vitest'
import { newKey, SESSION_1, signAnnounce, HASH_A } from '../../tests/fixtures'
import { parseFilter } from '../core/filters'
import { DEFAULT_LIMITS } from '../core/limits'
import { announceStoreContract } from './announce-store.contract'
import { openDatabase, type SqliteDatabase } from './database'
import { SqliteAnnounceStore } from './sqlite-store'

announceStoreContract('SqliteAnnounceStore', () => SqliteAnnounceStore.open(':memory:'))

const T0 = 1_700_000_000
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('SqliteAnnounceStore', () => {
  it('keeps announces across a close and reopen of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-store-'))
    dirs.push(dir)
    const path = join(dir, 'nested', 'relay.sqlite')
    const ev = signAnnounce(newKey().sk, T0)
    const first = SqliteAnnounceStore.open(path)
    await first.put({ event: ev, infoHash: HASH_A, session: SESSION_1, expiresAt: T0 + 60 }, T0)
    await first.close()
    expect(first.db.open).toBe(false)

    const second = SqliteAnnounceStore.open(path)
    expect(await second.query(parseFilter({ '#i': [HASH_A] }, DEFAULT_LIMITS), T0, 10)).toEqual([
      ev,
    ])
    await second.close()
  })

  it('shares a caller-opened database and leaves it open', async () => {
    const db = openDatabase(':memory:')
    db.exec('CREATE TABLE ledger_demo (x INTEGER) STRICT')
    const store = new SqliteAnnounceStore(db)
    await store.close()
    expect(db.open).toBe(true)
    expect(db.prepare('SELECT count(*) FROM ledger_demo').pluck().get()).toBe(0)
    db.close()
  })

  it('answers #i and author queries from indexes', () => {
    const store = SqliteAnnounceStore.open(':memory:')
    const plan = (sql: string) =>
      (
        store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(JSON.stringify([HASH_A]), 0) as {
          detail: string
        }[]
      )
        .map((r) => r.detail)
        .join('\n')
    expect(
      plan(`SELECT event FROM announces a WHERE a.info_hash IN (SELECT value FROM json_each(?))
            AND a.expires_at > ?`),
    ).toMatch(/USING INDEX announces_by_info_hash/)
    expect(
      plan(`SELECT event FROM announces a WHERE a.pubkey IN (SELECT value FROM json_each(?))
            AND a.expires_at > ?`),
    ).toMatch(/USING INDEX (announces_by_pubkey|sqlite_autoindex_announces_2)/)
    void store.close()
  })

  it('reads a large swarm in query order and stops at the limit', async () => {
    const store = SqliteAnnounceStore.open(':memory:')
    const events: NostrEvent[] = []
    store.writes.transaction(() => {
      // 3,000 announces of one swarm, 100 in each of 30 seconds: ties on
      // created_at are broken by id, as NIP-01 orders them.
      for (let i = 0; i < 3000; i++) {
        const ev: NostrEvent = {
          id: createHash('sha256').update(String(i)).digest('hex'),
          pubkey: 'f'.repeat(64),
          created_at: T0 - (i % 30),
          kind: 21000,
          tags: [['i', HASH_A]],
          content: '',
          sig: '0'.repeat(128),
        }
        const session = i.toString(16).padStart(32, '0')
        store.writes.put({ event: ev, infoHash: HASH_A, session, expiresAt: T0 + 3600 }, T0)
        events.push(ev)
      }
    })
    const expected = events
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1))
      .slice(0, 100)
    const filter = parseFilter({ kinds: [21000], '#i': [HASH_A] }, DEFAULT_LIMITS)
    expect(await store.query(filter, T0, 100)).toEqual(expected)

    // The rows SQLite looks at for the store's #i query: about the limit, not
    // the whole swarm, because the index holds the query's order.
    let visited = 0
    const sqlite = store.db as SqliteDatabase
    sqlite.function('visited', { deterministic: false, varargs: true }, () => {
      visited++
      return 1
    })
    const rows = store.db
      .prepare(
        `SELECT a.event FROM announces a WHERE a.expires_at > ?
           AND a.kind IN (SELECT value FROM json_each(?))
           AND a.info_hash IN (SELECT value FROM json_each(?)) AND visited(a.id)
         ORDER BY a.created_at DESC, a.id ASC LIMIT ?`,
      )
      .pluck()
      .all(T0, '[21000]', JSON.stringify([HASH_A]), 100) as string[]
    expect(rows.map((r) => (JSON.parse(r) as NostrEvent).id)).toEqual(expected.map((e) => e.id))
    expect(visited).toBeLessThan(200)
    const columns = store.db.prepare("PRAGMA index_xinfo('announces_by_info_hash')").all() as {
      name: string | null
      desc: number
      key: number
    }[]
    expect(columns.filter((c) => c.key === 1).map((c) => [c.name, c.desc])).toEqual([
      ['info_hash', 0],
      ['created_at', 1],
      ['id', 0],
    ])
    void store.close()
  })

  it('runs in WAL mode with synchronous=NORMAL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-store-'))
    dirs.push(dir)
    const store = SqliteAnnounceStore.open(join(dir, 'r.sqlite'))
    expect((store.db as SqliteDatabase).pragma('journal_mode', { simple: true })).toBe('wal')
    // 1 is NORMAL.
    expect((store.db as SqliteDatabase).pragma('synchronous', { simple: true })).toBe(1)
    void store.close()
  })
})
