import type { NostrEvent } from 'nostr-tools/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HASH_A, HASH_B, newKey, SESSION_1, SESSION_2, signAnnounce } from '../../tests/fixtures'
import { parseFilter } from '../core/filters'
import { DEFAULT_LIMITS } from '../core/limits'
import type { AnnounceStore, StoredAnnounce } from './announce-store'

const T0 = 1_700_000_000
const f = (v: unknown) => parseFilter(v, DEFAULT_LIMITS)

function entry(ev: NostrEvent, infoHash = HASH_A, session = SESSION_1, ttl = 600): StoredAnnounce {
  return { event: ev, infoHash, session, expiresAt: ev.created_at + ttl }
}

/** The behaviour every AnnounceStore must have, run against each implementation. */
export function announceStoreContract(name: string, make: () => AnnounceStore): void {
  describe(`${name}: AnnounceStore contract`, () => {
    let store: AnnounceStore
    beforeEach(() => {
      store = make()
    })
    afterEach(async () => {
      await store.close()
    })

    it('stores, finds by id and by key, and hides expired rows', async () => {
      const { sk, pubkey } = newKey()
      const ev = signAnnounce(sk, T0)
      expect(await store.put(entry(ev), T0)).toBe('stored')
      expect(await store.hasId(ev.id, T0)).toBe(true)
      const key = { pubkey, infoHash: HASH_A, session: SESSION_1 }
      expect(await store.current(key, T0)).toEqual(entry(ev))
      expect(await store.hasId(ev.id, T0 + 600)).toBe(false)
      expect(await store.current(key, T0 + 600)).toBeUndefined()
      expect(await store.query(f({}), T0 + 600, 10)).toEqual([])
    })

    it('keeps the newest per key and reports a stale put', async () => {
      const { sk } = newKey()
      const older = signAnnounce(sk, T0 - 10, { downloaded: 1n })
      const newer = signAnnounce(sk, T0, { downloaded: 2n })
      expect(await store.put(entry(newer), T0)).toBe('stored')
      expect(await store.put(entry(older), T0)).toBe('stale')
      expect(await store.put(entry(newer), T0)).toBe('stale')
      expect(await store.query(f({}), T0, 10)).toEqual([newer])
      expect(await store.hasId(older.id, T0)).toBe(false)

      const newest = signAnnounce(sk, T0 + 5, { downloaded: 3n })
      expect(await store.put(entry(newest), T0)).toBe('stored')
      expect(await store.query(f({}), T0, 10)).toEqual([newest])
      expect(await store.hasId(newer.id, T0)).toBe(false)
    })

    it('replaces what a key holds without reading it, for a caller that did', async () => {
      const { sk, pubkey } = newKey()
      const a = signAnnounce(sk, T0 - 5)
      await store.put(entry(a), T0)
      const b = signAnnounce(sk, T0, { downloaded: 5n })
      store.writes.transaction(() => {
        store.writes.replace(entry(b))
      })
      expect(await store.current({ pubkey, infoHash: HASH_A, session: SESSION_1 }, T0)).toEqual(
        entry(b),
      )
      expect(await store.hasId(a.id, T0)).toBe(false)
      const fresh = signAnnounce(newKey().sk, T0)
      store.writes.transaction(() => {
        store.writes.replace(entry(fresh))
      })
      expect(await store.query(f({}), T0, 10)).toEqual(
        [b, fresh].sort((x, y) => (x.id < y.id ? -1 : 1)),
      )
    })

    it('looks many keys up at once, in their order, hiding expired rows', async () => {
      const { sk, pubkey } = newKey()
      const a = signAnnounce(sk, T0)
      const b = signAnnounce(sk, T0, { downloaded: 3n })
      await store.put(entry(a), T0)
      await store.put({ ...entry(b, HASH_B, SESSION_2), expiresAt: T0 + 5 }, T0)
      const keyA = { pubkey, infoHash: HASH_A, session: SESSION_1 }
      const keyB = { pubkey, infoHash: HASH_B, session: SESSION_2 }
      const missing = { pubkey, infoHash: HASH_B, session: SESSION_1 }
      expect(store.writes.currentMany([missing, keyA, keyB, keyA], T0)).toEqual([
        undefined,
        entry(a),
        { ...entry(b, HASH_B, SESSION_2), expiresAt: T0 + 5 },
        entry(a),
      ])
      expect(store.writes.currentMany([keyB, keyA], T0 + 5)).toEqual([undefined, entry(a)])
      expect(store.writes.currentMany([], T0)).toEqual([])
      // More keys than one statement takes on PostgreSQL, found ones last.
      const many = Array.from({ length: 300 }, () => ({ ...missing, pubkey: newKey().pubkey }))
      const found = store.writes.currentMany([...many, keyA], T0)
      expect(found).toHaveLength(301)
      expect(found.slice(0, 300).every((x) => x === undefined)).toBe(true)
      expect(found[300]).toEqual(entry(a))
    })

    it('replaces an expired row even with an older created_at', async () => {
      const { sk } = newKey()
      const a = signAnnounce(sk, T0)
      await store.put({ ...entry(a), expiresAt: T0 + 5 }, T0)
      const b = signAnnounce(sk, T0 - 1, { downloaded: 9n })
      expect(await store.put(entry(b), T0 + 10)).toBe('stored')
      expect(await store.query(f({}), T0 + 10, 10)).toEqual([b])
    })

    it('queries by #i, authors, ids, kinds, since, until and other tags, newest first', async () => {
      const alice = newKey()
      const bob = newKey()
      const a1 = signAnnounce(alice.sk, T0 - 3)
      const a2 = signAnnounce(alice.sk, T0 - 2, { infoHash: HASH_B, port: 6881 })
      const b1 = signAnnounce(bob.sk, T0 - 1, { session: SESSION_2 })
      await store.put(entry(a1), T0)
      await store.put(entry(a2, HASH_B), T0)
      await store.put(entry(b1, HASH_A, SESSION_2), T0)
      const ids = async (v: unknown, limit = 10) =>
        (await store.query(f(v), T0, limit)).map((e) => e.id)

      expect(await ids({})).toEqual([b1.id, a2.id, a1.id])
      expect(await ids({ '#i': [HASH_A] })).toEqual([b1.id, a1.id])
      expect(await ids({ '#i': [HASH_A, HASH_B] }, 2)).toEqual([b1.id, a2.id])
      expect(await ids({ authors: [alice.pubkey] })).toEqual([a2.id, a1.id])
      expect(await ids({ ids: [a1.id, b1.id] })).toEqual([b1.id, a1.id])
      expect(await ids({ kinds: [21000], since: T0 - 2, until: T0 - 2 })).toEqual([a2.id])
      expect(await ids({ kinds: [1] })).toEqual([])
      expect(await ids({ '#i': [HASH_A], authors: [alice.pubkey] })).toEqual([a1.id])
      expect(await ids({ '#i': [] })).toEqual([])
      expect(await ids({ '#x': ['anything'] })).toEqual([])
    })

    it('indexes single-letter tags other than i by their first value', async () => {
      const { sk } = newKey()
      const tagged = { ...signAnnounce(sk, T0) }
      // The store trusts its caller to have validated events; signatures do not matter here.
      tagged.tags = [...tagged.tags, ['t', 'linux', 'extra'], ['t', 'iso']]
      await store.put(entry(tagged), T0)
      expect(await store.query(f({ '#t': ['iso'] }), T0, 10)).toHaveLength(1)
      expect(await store.query(f({ '#t': ['linux'], '#i': [HASH_A] }), T0, 10)).toHaveLength(1)
      expect(await store.query(f({ '#t': ['extra'] }), T0, 10)).toHaveLength(0)
    })

    it('prunes only expired rows', async () => {
      const a = signAnnounce(newKey().sk, T0)
      const b = signAnnounce(newKey().sk, T0)
      await store.put({ ...entry(a), expiresAt: T0 + 10 }, T0)
      await store.put({ ...entry(b), expiresAt: T0 + 20 }, T0)
      expect(await store.pruneExpired(T0 + 10)).toBe(1)
      expect(await store.pruneExpired(T0 + 10)).toBe(0)
      expect(await store.query(f({}), T0, 10)).toEqual([b])
    })
  })
}
