import { describe, expect, it } from 'vitest'
import type { PeerAddress } from './bep7-addresses'
import { Swarms } from './swarm'

const IH = 'a'.repeat(40)
const T0 = 1_000_000
const v4 = (ip: string): PeerAddress => ({ family: 4, ip })

function peer(n: number, seeder: boolean, address: PeerAddress = v4(`10.0.0.${n}`)) {
  return {
    peerId: new Uint8Array(20).fill(n),
    address,
    port: 6881,
    compact: Uint8Array.of(n),
    seeder,
  }
}

describe('Swarms', () => {
  it('counts seeders and leechers, and updates a session in place', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 10 })
    s.upsert(IH, 's1', peer(1, false), T0)
    s.upsert(IH, 's2', peer(2, true), T0)
    s.upsert(IH, 's3', peer(3, false), T0)
    expect(s.counts(IH, T0)).toEqual({ complete: 1, incomplete: 2, downloaded: 0 })
    s.upsert(IH, 's1', peer(1, true), T0 + 1)
    s.completed(IH, T0 + 1)
    expect(s.counts(IH, T0 + 1)).toEqual({ complete: 2, incomplete: 1, downloaded: 1 })
    expect(s.size).toBe(3)
  })

  it('keeps both families of one session in one entry', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 10 })
    s.upsert(IH, 's1', peer(1, false), T0)
    s.upsert(IH, 's1', peer(1, false, { family: 6, ip: '2001:db8::1' }), T0)
    const [p] = s.select(IH, 'other', 50, false, T0)
    expect(p?.v4?.ip).toBe('10.0.0.1')
    expect(p?.v6?.ip).toBe('2001:db8::1')
    expect(s.size).toBe(1)
  })

  it('never returns the asker, and gives a seeder leechers only', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 10 })
    s.upsert(IH, 'seed', peer(1, true), T0)
    s.upsert(IH, 'seed2', peer(2, true), T0)
    s.upsert(IH, 'leech', peer(3, false), T0)
    for (const r of [0, 0.4, 0.99]) {
      expect(s.select(IH, 'seed', 50, true, T0, () => r).map((p) => p.session)).toEqual(['leech'])
      expect(
        s
          .select(IH, 'leech', 50, false, T0, () => r)
          .map((p) => p.session)
          .sort(),
      ).toEqual(['seed', 'seed2'])
    }
    expect(s.select(IH, 'leech', 1, false, T0)).toHaveLength(1)
    expect(s.select(IH, 'leech', 0, false, T0)).toEqual([])
  })

  it('drops a session that stopped, and one that went quiet past the TTL', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 10 })
    s.upsert(IH, 's1', peer(1, false), T0)
    s.upsert(IH, 's2', peer(2, true), T0 + 50)
    s.remove(IH, 's1')
    expect(s.counts(IH, T0 + 50)).toEqual({ complete: 1, incomplete: 0, downloaded: 0 })
    // A swarm in use drops its expired peers itself; the timer's sweep gets the idle ones.
    s.upsert('b'.repeat(40), 's3', peer(3, false), T0)
    expect(s.select(IH, 'x', 50, false, T0 + 150)).toEqual([])
    expect(s.size).toBe(1)
    expect(s.sweep(T0 + 150)).toBe(1)
    expect(s.size).toBe(0)
    expect(s.swarmCount).toBe(0)
  })

  it('forgets a swarm without peers at the next sweep, download count included', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 10 })
    s.upsert(IH, 's1', peer(1, true), T0)
    s.completed(IH, T0)
    s.remove(IH, 's1')
    expect(s.counts(IH, T0)).toEqual({ complete: 0, incomplete: 0, downloaded: 1 })
    s.sweep(T0 + 1)
    expect(s.counts(IH, T0 + 1)).toEqual({ complete: 0, incomplete: 0, downloaded: 0 })
    expect(s.swarmCount).toBe(0)
  })

  it('stops listing new sessions when full, but keeps refreshing listed ones', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 2 })
    expect(s.upsert(IH, 's1', peer(1, false), T0)).toBe(true)
    expect(s.upsert('b'.repeat(40), 's2', peer(2, false), T0)).toBe(true)
    expect(s.upsert(IH, 's3', peer(3, false), T0)).toBe(false)
    expect(s.upsert('c'.repeat(40), 's4', peer(4, false), T0)).toBe(false)
    expect(s.swarmCount).toBe(2)
    expect(s.upsert(IH, 's1', peer(1, true), T0 + 1)).toBe(true)
    s.remove(IH, 's1')
    expect(s.upsert(IH, 's3', peer(3, false), T0 + 1)).toBe(true)
  })

  it('keeps its index right through many swap-removals', () => {
    const s = new Swarms({ peerTtlSeconds: 100, maxPeers: 1000 })
    for (let i = 0; i < 100; i++) s.upsert(IH, `s${i}`, peer(i % 250, i % 3 === 0), T0)
    for (let i = 0; i < 100; i += 2) s.remove(IH, `s${i}`)
    const left = s.select(IH, 'x', 1000, false, T0).map((p) => p.session)
    expect(left.sort()).toEqual(Array.from({ length: 50 }, (_, k) => `s${2 * k + 1}`).sort())
    const seeders = left.filter((x) => Number(x.slice(1)) % 3 === 0).length
    expect(s.counts(IH, T0)).toEqual({ complete: seeders, incomplete: 50 - seeders, downloaded: 0 })
  })
})
