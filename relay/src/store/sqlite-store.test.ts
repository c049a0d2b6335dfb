import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { newKey, SESSION_1, signAnnounce, HASH_A } from '../../tests/fixtures'
import { parseFilter } from '../core/filters'
import { DEFAULT_LIMITS } from '../core/limits'
import { announceStoreContract } from './announce-store.contract'
import { openDatabase } from './database'
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

  it('runs in WAL mode with synchronous=NORMAL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-store-'))
    dirs.push(dir)
    const store = SqliteAnnounceStore.open(join(dir, 'r.sqlite'))
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
    // 1 is NORMAL.
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1)
    void store.close()
  })
})
