import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { HASH_A, HASH_B, newKey, signEvent } from '../../tests/fixtures'
import { parseFilter } from '../core/filters'
import { DEFAULT_LIMITS } from '../core/limits'
import { SqliteTorrentIndex } from './torrent-index'

const T0 = 1_700_000_000
const filter = (f: unknown) => parseFilter(f, DEFAULT_LIMITS)
const torrent = (sk: Uint8Array, ih: string, at: number, extra: string[][] = []) =>
  signEvent(sk, 2003, at, [['x', ih], ['title', `t-${at}`], ...extra])

describe('SqliteTorrentIndex', () => {
  it('keeps every event once and finds them by x, other tags, author, id and time, newest first', async () => {
    const index = new SqliteTorrentIndex(new Database(':memory:'))
    const alice = newKey()
    const bob = newKey()
    const a1 = torrent(alice.sk, HASH_A, T0, [['t', 'linux']])
    const a2 = torrent(bob.sk, HASH_A, T0 + 10)
    const b1 = torrent(alice.sk, HASH_B, T0 + 5, [
      ['t', 'linux'],
      ['t', 'iso'],
    ])
    for (const ev of [a1, a2, b1]) expect(await index.put(ev, ev.tags[0]![1]!)).toBe('stored')
    expect(await index.put(a1, HASH_A)).toBe('duplicate')
    expect(await index.has(a1.id)).toBe(true)

    const ids = async (f: unknown, limit = 10) =>
      (await index.query(filter(f), limit)).map((e) => e.id)
    expect(await ids({ kinds: [2003], '#x': [HASH_A] })).toEqual([a2.id, a1.id])
    expect(await ids({ '#x': [HASH_A, HASH_B] }, 2)).toEqual([a2.id, b1.id])
    expect(await ids({ '#t': ['linux'] })).toEqual([b1.id, a1.id])
    expect(await ids({ '#t': ['iso'], '#x': [HASH_A] })).toEqual([])
    expect(await ids({ authors: [bob.pubkey] })).toEqual([a2.id])
    expect(await ids({ ids: [b1.id] })).toEqual([b1.id])
    expect(await ids({ since: T0 + 1, until: T0 + 9 })).toEqual([b1.id])
    expect(await ids({ kinds: [21000], '#x': [HASH_A] })).toEqual([])
  })

  it('refuses new events past the caps and never drops a kept one', async () => {
    const index = new SqliteTorrentIndex(new Database(':memory:'), {
      maxEvents: 2,
      maxPerAuthor: 1,
    })
    const alice = newKey()
    const bob = newKey()
    expect(await index.put(torrent(alice.sk, HASH_A, T0), HASH_A)).toBe('stored')
    expect(await index.put(torrent(alice.sk, HASH_B, T0), HASH_B)).toBe('author-full')
    expect(await index.put(torrent(bob.sk, HASH_B, T0), HASH_B)).toBe('stored')
    expect(await index.put(torrent(newKey().sk, HASH_B, T0), HASH_B)).toBe('index-full')
    expect(await index.query(filter({}), 10)).toHaveLength(2)
  })

  it('refuses limits that would switch a cap off', () => {
    expect(() => new SqliteTorrentIndex(new Database(':memory:'), { maxEvents: 0 })).toThrow(
      /maxEvents must be a positive integer/,
    )
  })
})
