import type { NostrEvent } from 'nostr-tools/core'
import { describe, expect, it } from 'vitest'
import { HASH_A, newKey, SESSION_1, signAnnounce } from '../../tests/fixtures'
import { parseFilter } from '../core/filters'
import { DEFAULT_LIMITS } from '../core/limits'
import type { StoredAnnounce } from './announce-store'
import { announceStoreContract } from './announce-store.contract'
import { MemoryAnnounceStore } from './memory-store'

announceStoreContract('MemoryAnnounceStore', () => new MemoryAnnounceStore())

describe('MemoryAnnounceStore: transactions', () => {
  const T0 = 1_700_000_000
  const entry = (ev: NostrEvent): StoredAnnounce => ({
    event: ev,
    infoHash: HASH_A,
    session: SESSION_1,
    expiresAt: T0 + 600,
  })
  const all = parseFilter({}, DEFAULT_LIMITS)
  const key = (pubkey: string) => ({ pubkey, infoHash: HASH_A, session: SESSION_1 })

  it('undoes a savepoint that throws and keeps the rest of the transaction', () => {
    const { writes } = new MemoryAnnounceStore()
    const a = newKey()
    const b = newKey()
    const kept = signAnnounce(a.sk, T0)
    const first = signAnnounce(b.sk, T0 - 1)
    const second = signAnnounce(b.sk, T0, { downloaded: 5n })
    writes.put(entry(first), T0)
    writes.transaction(() => {
      writes.put(entry(kept), T0)
      expect(() =>
        writes.transaction(() => {
          writes.put(entry(second), T0)
          expect(writes.current(key(b.pubkey), T0)?.event).toEqual(second)
          throw new Error('refused')
        }),
      ).toThrow('refused')
      expect(writes.inTransaction).toBe(true)
    })
    expect(writes.inTransaction).toBe(false)
    expect(writes.current(key(a.pubkey), T0)?.event).toEqual(kept)
    expect(writes.current(key(b.pubkey), T0)?.event).toEqual(first)
    expect(writes.hasId(second.id, T0)).toBe(false)
    expect(writes.hasId(first.id, T0)).toBe(true)
  })

  it('undoes a released savepoint when the enclosing transaction throws', () => {
    const { writes } = new MemoryAnnounceStore()
    const a = newKey()
    const before = signAnnounce(a.sk, T0 - 1)
    const after = signAnnounce(a.sk, T0, { downloaded: 5n })
    writes.put(entry(before), T0)
    expect(() =>
      writes.transaction(() => {
        writes.transaction(() => writes.put(entry(after), T0))
        writes.pruneExpired(T0 + 601)
        throw new Error('group failed')
      }),
    ).toThrow('group failed')
    expect(writes.current(key(a.pubkey), T0)?.event).toEqual(before)
    expect(writes.hasId(after.id, T0)).toBe(false)
    expect(writes.query(all, T0, 10)).toEqual([before])
  })

  it('rolls a savepoint back inside a transaction that later rolls back too', () => {
    const { writes } = new MemoryAnnounceStore()
    const a = newKey()
    const ev = signAnnounce(a.sk, T0)
    expect(() =>
      writes.transaction(() => {
        expect(() =>
          writes.transaction(() => {
            writes.put(entry(ev), T0)
            throw new Error('unit refused')
          }),
        ).toThrow()
        throw new Error('group failed')
      }),
    ).toThrow('group failed')
    expect(writes.query(all, T0, 10)).toEqual([])
  })
})
