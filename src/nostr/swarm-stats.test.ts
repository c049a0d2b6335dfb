import { describe, expect, it } from 'vitest'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { toEventTemplate } from './kind21000'
import { countSwarms, peerAnnounce, PEER_TTL_SECONDS, type PeerAnnounce } from './swarm-stats'

const NOW = 1_700_000_000
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const pk = (n: number) => n.toString(16).padStart(64, '0')

let seq = 0
function ann(p: Partial<PeerAnnounce> & { pubkey: string }): PeerAnnounce {
  seq++
  return {
    infoHash: A,
    session: 's1',
    createdAt: NOW - 10,
    id: seq.toString(16).padStart(64, '0'),
    left: 100n,
    stopped: false,
    ...p,
  }
}

describe('countSwarms', () => {
  it('counts distinct pubkeys, a pubkey seeding in any session as a seeder', () => {
    const stats = countSwarms(
      [
        ann({ pubkey: pk(1), left: 0n }),
        ann({ pubkey: pk(2) }),
        ann({ pubkey: pk(2), session: 's2' }),
        ann({ pubkey: pk(3), session: 'x' }),
        ann({ pubkey: pk(3), session: 'y', left: 0n }),
        ann({ pubkey: pk(4), infoHash: B }),
      ],
      NOW,
    )
    expect(stats.get(A)).toEqual({ seeders: 2, leechers: 1 })
    expect(stats.get(B)).toEqual({ seeders: 0, leechers: 1 })
  })

  it('lets only the latest announce of a session count, whatever the input order', () => {
    const older = ann({ pubkey: pk(1), left: 0n, createdAt: NOW - 100 })
    const newer = ann({ pubkey: pk(1), left: 5n, createdAt: NOW - 50 })
    expect(countSwarms([older, newer], NOW).get(A)).toEqual({ seeders: 0, leechers: 1 })
    expect(countSwarms([newer, older], NOW).get(A)).toEqual({ seeders: 0, leechers: 1 })
  })

  it('breaks a created_at tie by the lowest id, as the relay store does', () => {
    const low = ann({ pubkey: pk(1), left: 0n, id: '0'.repeat(64) })
    const high = ann({ pubkey: pk(1), left: 9n, id: 'f'.repeat(64) })
    expect(countSwarms([high, low], NOW).get(A)).toEqual({ seeders: 1, leechers: 0 })
  })

  it('drops a session whose latest announce is stopped, even if an older one was live', () => {
    const stats = countSwarms(
      [
        ann({ pubkey: pk(1), left: 0n, createdAt: NOW - 100 }),
        ann({ pubkey: pk(1), left: 0n, createdAt: NOW - 50, stopped: true }),
      ],
      NOW,
    )
    expect(stats.has(A)).toBe(false)
  })

  it('counts an announce exactly one hour old and not one a second older', () => {
    const edge = ann({ pubkey: pk(1), createdAt: NOW - PEER_TTL_SECONDS })
    const gone = ann({ pubkey: pk(2), createdAt: NOW - PEER_TTL_SECONDS - 1 })
    expect(countSwarms([edge, gone], NOW).get(A)).toEqual({ seeders: 0, leechers: 1 })
  })

  it('does not let an expired newer announce revive an older live one', () => {
    // The store keeps only the newest per session, so the old one is gone there too.
    const old = ann({ pubkey: pk(1), createdAt: NOW - PEER_TTL_SECONDS - 5 })
    expect(countSwarms([old], NOW).size).toBe(0)
  })
})

describe('peerAnnounce', () => {
  const sk = generateSecretKey()
  const sign = (left: bigint, event?: 'stopped', session?: string) =>
    finalizeEvent(
      toEventTemplate(
        {
          infoHash: A,
          uploaded: 0n,
          downloaded: 0n,
          left,
          ...(event ? { event } : {}),
          ...(session ? { session } : {}),
        },
        NOW,
      ),
      sk,
    )

  it('reads pubkey, session, left and stopped from a signed announce', () => {
    const ev = sign(0n, 'stopped', 'c'.repeat(32))
    expect(peerAnnounce(ev)).toEqual({
      pubkey: ev.pubkey,
      infoHash: A,
      session: 'c'.repeat(32),
      createdAt: NOW,
      id: ev.id,
      left: 0n,
      stopped: true,
    })
    expect(peerAnnounce(sign(3n)).session).toBe('')
  })

  it('refuses malformed tags, pubkeys, ids and times', () => {
    const ev = sign(1n)
    expect(() => peerAnnounce({ ...ev, tags: [['i', A]] })).toThrow(/missing uploaded/)
    expect(() => peerAnnounce({ ...ev, pubkey: 'X'.repeat(64) })).toThrow(/pubkey/)
    expect(() => peerAnnounce({ ...ev, id: '1' })).toThrow(/id/)
    expect(() => peerAnnounce({ ...ev, created_at: 1.5 })).toThrow(/created_at/)
  })
})
