import { describe, expect, it } from 'vitest'
import { newKey, signAnnounce } from '../../../tests/fixtures'
import { openTestPostgres, postgresUrl } from '../../../../tests/support/postgres'
import { SqliteAnnounceStore } from '../sqlite-store'
import { SqliteTorrentIndex } from '../torrent-index'
import { decodeFeedItem, encodeFeedItem, storedEventById } from './event-feed'

describe('event feed payloads', () => {
  it('carries a small event whole and a large one by id', () => {
    const ev = signAnnounce(newKey().sk, 1_700_000_000)
    expect(decodeFeedItem(encodeFeedItem(ev))).toEqual({ event: ev })
    const big = { ...ev, content: 'x'.repeat(9000) }
    expect(decodeFeedItem(encodeFeedItem(big))).toEqual({ id: ev.id })
  })

  it('refuses payloads that are not ours', () => {
    for (const p of [
      '',
      'not json',
      '[]',
      '{"id":"xyz"}',
      '{"id":"' + 'a'.repeat(64) + '","x":1}',
    ]) {
      expect(decodeFeedItem(p)).toBeUndefined()
    }
  })
})

const url = postgresUrl()

describe.skipIf(url === undefined)('storedEventById', () => {
  it('reads an announce, or a torrent event once the torrent index exists', async () => {
    const db = openTestPostgres(url as string)
    try {
      const store = new SqliteAnnounceStore(db)
      const big = { ...signAnnounce(newKey().sk, 1_700_000_000), content: 'x'.repeat(9000) }
      await store.put(
        { event: big, infoHash: 'a'.repeat(40), session: '', expiresAt: 1_700_000_600 },
        1_700_000_000,
      )
      expect(decodeFeedItem(encodeFeedItem(big))).toEqual({ id: big.id })
      expect(storedEventById(db, big.id)).toEqual(big)
      const other = 'b'.repeat(64)
      expect(storedEventById(db, other)).toBeUndefined()
      new SqliteTorrentIndex(db)
      db.prepare(
        'INSERT INTO torrents (id, pubkey, info_hash, created_at, event) VALUES (?, ?, ?, ?, ?)',
      ).run(other, big.pubkey, 'c'.repeat(40), 1, JSON.stringify({ ...big, id: other, kind: 2003 }))
      expect(storedEventById(db, other)).toMatchObject({ id: other, kind: 2003 })
    } finally {
      db.close()
    }
  })
})
