import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Ledger } from '../ledger/ledger'
import { compactIpv4 } from '../tracker/bep23-compact'
import { compactIpv6 } from '../tracker/bep7-addresses'
import { Swarms } from '../tracker/swarm'
import type { ApiRequest, ApiServices } from './context'
import { getSwarmPeers, MAX_SWARM_PEERS } from './swarm-peers'

const IH = 'ab'.repeat(20)
const T0 = 1_700_000_000

function setup(withTracker = true): { s: ApiServices; swarms: Swarms } {
  const db = new Database(':memory:')
  const now = (): number => T0
  const swarms = new Swarms({ peerTtlSeconds: 600, maxPeers: 1000 })
  const s = {
    ledger: new Ledger(db, { clock: now }),
    now,
    testMode: true,
    lightning: 'dev',
    ...(withTracker ? { swarmPeers: swarms } : {}),
  } as unknown as ApiServices
  return { s, swarms }
}

function list(swarms: Swarms, n: number, seeder: boolean, ip = `10.0.0.${n}`): void {
  const v6 = ip.includes(':')
  const compact = v6 ? compactIpv6(ip, 6000 + n) : compactIpv4(ip, 6000 + n)
  swarms.upsert(
    IH,
    `s${n}`,
    {
      peerId: new Uint8Array(20).fill(n),
      address: { family: v6 ? 6 : 4, ip },
      port: 6000 + n,
      compact: compact!,
      seeder,
    },
    T0,
  )
}

function req(query = '', hash = IH): ApiRequest {
  return {
    url: new URL(`http://relay.invalid/api/v1/swarm/${hash}/peers${query}`),
    params: [hash],
    pubkey: 'a'.repeat(64),
    authId: 'f'.repeat(64),
    body: {},
    origin: 'http://127.0.0.1:7447',
  }
}

async function peersOf(s: ApiServices, query = ''): Promise<Record<string, unknown>> {
  return (await getSwarmPeers(s, req(query))).body
}

describe('GET /swarm/{info_hash}/peers', () => {
  it('lists seeders and leechers of both families to a leecher, with the tracker counts', async () => {
    const { s, swarms } = setup()
    list(swarms, 1, true)
    list(swarms, 2, false)
    list(swarms, 3, false, '2001:db8::3')
    const b = await peersOf(s, '?left=100')
    expect(b.info_hash).toBe(IH)
    expect(b.tracker).toEqual({ complete: 1, incomplete: 2 })
    expect(b.peers).toHaveLength(3)
    expect(b.peers).toEqual(
      expect.arrayContaining([
        { ip: '10.0.0.1', port: 6001 },
        { ip: '10.0.0.2', port: 6002 },
        { ip: '2001:db8::3', port: 6003 },
      ]),
    )
  })

  it('gives a seeder leechers only', async () => {
    const { s, swarms } = setup()
    list(swarms, 1, true)
    list(swarms, 2, false)
    const b = await peersOf(s, '?left=0')
    expect(b.peers).toEqual([{ ip: '10.0.0.2', port: 6002 }])
  })

  it('counts the swarm as the ledger does, over every announcer', async () => {
    const { s, swarms } = setup()
    list(swarms, 1, true)
    // No ledger announce was made: the relay's own count is empty while the tracker lists one.
    const b = await peersOf(s)
    expect({ complete: b.complete, incomplete: b.incomplete }).toEqual(
      (({ seeders, leechers }) => ({ complete: seeders, incomplete: leechers }))(
        s.ledger.swarmStats(IH, T0),
      ),
    )
    expect(b.tracker).toEqual({ complete: 1, incomplete: 0 })
  })

  it('caps the list at 50 addresses, or at numwant', async () => {
    const { s, swarms } = setup()
    for (let n = 1; n <= 80; n++) list(swarms, n, false, `10.0.${Math.floor(n / 200)}.${n}`)
    expect((await peersOf(s)).peers).toHaveLength(MAX_SWARM_PEERS)
    expect((await peersOf(s, '?numwant=7')).peers).toHaveLength(7)
  })

  it('answers an unknown swarm with nobody', async () => {
    const { s } = setup()
    const b = await peersOf(s, '?left=5')
    expect(b.peers).toEqual([])
    expect(b.tracker).toEqual({ complete: 0, incomplete: 0 })
  })

  it('refuses bad queries and a relay without a tracker, with a clear error', async () => {
    const { s } = setup()
    await expect(peersOf(s, '?left=-1')).rejects.toThrow(/left must be a digit string/)
    await expect(peersOf(s, '?left=1&left=2')).rejects.toThrow(/more than once/)
    await expect(peersOf(s, '?numwant=51')).rejects.toThrow(
      /numwant must be an integer from 1 to 50/,
    )
    const bare = setup(false).s
    await expect(peersOf(bare)).rejects.toMatchObject({ status: 503, code: 'no_tracker' })
  })
})
