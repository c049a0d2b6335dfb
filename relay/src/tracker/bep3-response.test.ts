import { describe, expect, it } from 'vitest'
import { decode } from './bencode'
import { compactIpv4 } from './bep23-compact'
import { announceBody } from './bep3-response'
import { compactIpv6 } from './bep7-addresses'
import type { SwarmPeer } from './swarm'

const peer: SwarmPeer = {
  session: 's',
  peerId: new TextEncoder().encode('-qB4520-abcdefghijkl'),
  v4: { ip: '192.0.2.1', port: 6881, compact: compactIpv4('192.0.2.1', 6881)! },
  v6: { ip: '2001:db8::1', port: 6881, compact: compactIpv6('2001:db8::1', 6881)! },
  seeder: true,
  expiresAt: 0,
}
const base = {
  interval: 1800,
  minInterval: 300,
  counts: { complete: 1, incomplete: 2, downloaded: 3 },
  peers: [peer],
  noPeerId: false,
  warnings: [],
}

describe('announceBody (BEP 3)', () => {
  it('splits compact peers by family into peers and peers6', () => {
    const raw = announceBody({ ...base, compact: true }).toString('latin1')
    expect(raw).toBe(
      'd8:completei1e10:incompletei2e8:intervali1800e12:min intervali300e' +
        '5:peers6:\u00c0\u0000\u0002\u0001\u001a\u00e16:peers618:' +
        Buffer.from(compactIpv6('2001:db8::1', 6881)!).toString('latin1') +
        'e',
    )
  })

  it('lists both families in one dictionary list, with or without peer ids', () => {
    const dict = decode(announceBody({ ...base, compact: false })) as { peers: unknown[] }
    expect(dict.peers).toHaveLength(2)
    expect(dict.peers[1]).toEqual({
      ip: new TextEncoder().encode('2001:db8::1'),
      port: 6881,
      'peer id': peer.peerId,
    })
    const bare = decode(announceBody({ ...base, compact: false, noPeerId: true })) as {
      peers: Record<string, unknown>[]
    }
    expect(bare.peers[0]?.['peer id']).toBeUndefined()
  })

  it('joins warnings into one warning message, and leaves empty peers6 out', () => {
    const d = decode(
      announceBody({ ...base, peers: [], compact: true, warnings: ['a', 'b'] }),
    ) as Record<string, unknown>
    expect(Buffer.from(d['warning message'] as Uint8Array).toString()).toBe('a; b')
    expect(d.peers).toEqual(new Uint8Array(0))
    expect('peers6' in d).toBe(false)
  })
})
