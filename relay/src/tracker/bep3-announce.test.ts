import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { decodeQueryBytes } from '../../../src/nostr/bep3-http-announce'
import { sessionTag } from '../../../src/nostr/kind21000'
import { Ledger } from '../ledger/ledger'
import { decode } from './bencode'
import { announce, httpSession, type AnnounceSettings } from './bep3-announce'
import { readCompactIpv4 } from './bep23-compact'
import { readCompactIpv6 } from './bep7-addresses'
import { accountWithCoverage } from './coverage'
import { Swarms } from './swarm'
import { announceIds } from './tracker'

const T0 = 1_700_000_000
const IH = '12'.repeat(20)
const SEEDER = { id: '0'.repeat(16), pubkey: 'a'.repeat(64) }
const LEECHER = { id: '1'.repeat(16), pubkey: 'b'.repeat(64) }
const SETTINGS: AnnounceSettings = {
  intervalSeconds: 1800,
  minIntervalSeconds: 300,
  defaultNumwant: 50,
  maxNumwant: 2,
  allowIpParam: false,
  testMode: false,
}

function setup(settings: Partial<AnnounceSettings> = {}) {
  const db = new Database(':memory:')
  const ledger = new Ledger(db, { clock: () => T0 })
  ledger.bootstrapPool({ tseed: 10_000_000n, sat: 5_000_000n })
  ledger.deposit(LEECHER.pubkey, 1_000n, 'd')
  ledger.swap(LEECHER.pubkey, 'sat_to_tseed', 1_000n, 1n, 's')
  const swarms = new Swarms({ peerTtlSeconds: 3600, maxPeers: 100 })
  const services = {
    swarms,
    account: (input: Parameters<Ledger['applyAnnounce']>[0], now: number) =>
      Promise.resolve(accountWithCoverage(ledger, input, now).value),
    topUpAt: () => 'https://relay.example/api/v1/deposit',
    announceId: announceIds(),
  }
  const send = async (
    owner: typeof SEEDER,
    credential: string,
    query: string,
    observed = '198.51.100.7',
    now = T0,
  ) => {
    const r = await announce(
      services,
      { ...SETTINGS, ...settings },
      {
        owner,
        credential,
        params: decodeQueryBytes(query),
        observed,
        now,
      },
    )
    return r.ok ? { ok: true as const, body: decode(r.body) as Record<string, unknown> } : r
  }
  return { ledger, swarms, send }
}

const q = (peer: string, rest: string) =>
  `info_hash=${'%12'.repeat(20)}&peer_id=-TR3000-${peer.padEnd(12, '0')}&key=k${peer}&uploaded=0&downloaded=0&${rest}`

describe('announce (BEP 3 through the ledger)', () => {
  it('derives the session like the extension, salted with the credential', () => {
    const t = {
      infoHash: IH,
      peerId: new TextEncoder().encode('-TR3000-000000000000'),
      key: new TextEncoder().encode('abc'),
      uploaded: 0n,
      downloaded: 0n,
      left: 0n,
    }
    expect(httpSession('cred', t)).toBe(
      sessionTag(t.peerId, t.key, new TextEncoder().encode('cred')),
    )
    expect(httpSession('cred2', t)).not.toBe(httpSession('cred', t))
  })

  it('lists a seeder, and hands it to a leecher in compact form', async () => {
    const { send, ledger } = setup()
    const seed = await send(SEEDER, 'S', q('1', 'left=0&port=6881&event=started'), '203.0.113.1')
    expect(seed).toMatchObject({ ok: true, body: { complete: 1, incomplete: 0, interval: 1800 } })
    const leech = await send(
      LEECHER,
      'L',
      q('2', 'left=5000000&port=6882&event=started'),
      '2001:db8::2',
    )
    if (!leech.ok) throw new Error(leech.failure.reason)
    expect(leech.body['min interval']).toBe(300)
    expect(readCompactIpv4(leech.body.peers as Uint8Array)).toEqual(['203.0.113.1:6881'])
    expect(leech.body.peers6).toBeUndefined()
    // The seeder now gets the leecher, over IPv6.
    const again = await send(SEEDER, 'S', q('1', 'left=0&port=6881'), '203.0.113.1')
    if (!again.ok) throw new Error('refused')
    expect(readCompactIpv6(again.body.peers6 as Uint8Array)).toEqual(['[2001:db8::2]:6882'])
    expect(again.body).toMatchObject({ complete: 1, incomplete: 1 })
    // The session state is kept per (pubkey, info hash, hashed session); never the raw peer_id.
    const states = ledger.db.prepare('SELECT pubkey, session FROM ledger_announce_state').all()
    expect(states).toHaveLength(2)
    expect(JSON.stringify(states)).not.toContain('TR3000')
  })

  it('answers the dictionary form for compact=0, without peer ids on no_peer_id=1', async () => {
    const { send } = setup()
    await send(SEEDER, 'S', q('1', 'left=0&port=6881'), '203.0.113.1')
    const dict = await send(LEECHER, 'L', q('2', 'left=1&port=1&compact=0'))
    if (!dict.ok) throw new Error('refused')
    const [p] = dict.body.peers as Record<string, unknown>[]
    expect(Buffer.from(p?.ip as Uint8Array).toString()).toBe('203.0.113.1')
    expect(p?.port).toBe(6881)
    expect(Buffer.from(p?.['peer id'] as Uint8Array).toString()).toBe('-TR3000-100000000000')
    const bare = await send(LEECHER, 'L', q('2', 'left=1&port=1&compact=0&no_peer_id=1'))
    if (!bare.ok) throw new Error('refused')
    expect((bare.body.peers as Record<string, unknown>[])[0]?.['peer id']).toBeUndefined()
  })

  it('charges downloads like a kind 21000 announce: deltas per session', async () => {
    const { send, ledger } = setup()
    const before = ledger.balances(LEECHER.pubkey).TSEED
    await send(LEECHER, 'L', q('2', 'left=9000000&port=1&event=started'))
    await send(
      LEECHER,
      'L',
      q('2', 'left=9000000&port=1').replace('downloaded=0', 'downloaded=3000000'),
      undefined,
      T0 + 10,
    )
    // The same counters again (another tracker URL, IPv6): nothing more.
    await send(
      LEECHER,
      'L',
      q('2', 'left=9000000&port=1').replace('downloaded=0', 'downloaded=3000000'),
      '2001:db8::9',
      T0 + 10,
    )
    expect(ledger.balances(LEECHER.pubkey).TSEED).toBe(before - 3n)
    expect(ledger.escrowOf(IH, T0 + 10)).toEqual({ escrow: 3n, claims: 0n })
  })

  it('refuses an unfunded leecher with the figures and where to top up, and unlists it', async () => {
    const { send, swarms } = setup()
    const poor = { id: '2'.repeat(16), pubkey: 'e'.repeat(64) }
    const r = await send(poor, 'P', q('3', 'left=2500000&port=1&event=started'))
    expect(r).toEqual({
      ok: false,
      failure: {
        kind: 'balance',
        reason:
          'insufficient balance: need 3 TSEED, have 0; top up in the TSEED extension (Wallet, Top up) ' +
          'or at https://relay.example/api/v1/deposit, then this client finds peers on its next announce',
      },
    })
    expect(swarms.counts(IH, T0)).toEqual({ complete: 0, incomplete: 0, downloaded: 0 })
  })

  it('names the field of a malformed announce', async () => {
    const { send } = setup()
    expect(await send(SEEDER, 'S', q('1', 'left=0&port=70000'))).toMatchObject({
      ok: false,
      failure: { kind: 'malformed', reason: 'malformed request: port must be at most 65535' },
    })
    expect(await send(SEEDER, 'S', q('1', 'port=1'))).toMatchObject({
      failure: { reason: 'malformed request: missing left (the bytes still to download)' },
    })
    expect(await send(SEEDER, 'S', 'info_hash=%12&left=0')).toMatchObject({
      failure: { reason: 'malformed request: info_hash must be 20 bytes, got 1' },
    })
  })

  it('unlists on stopped, counts completed, caps numwant, and warns about ip= and test mode', async () => {
    const { send, swarms } = setup({ testMode: true })
    for (const n of ['1', '2', '3'])
      await send(SEEDER, `S${n}`, q(n, 'left=0&port=1'), `203.0.113.${n}`)
    const r = await send(LEECHER, 'L', q('9', 'left=1&port=1&numwant=80&ip=192.0.2.1'))
    if (!r.ok) throw new Error('refused')
    expect((r.body.peers as Uint8Array).length).toBe(2 * 6)
    expect(Buffer.from(r.body['warning message'] as Uint8Array).toString()).toBe(
      'ip= ignored: peers are listed under the address a request comes from; TEST MODE relay: balances are play money',
    )
    await send(LEECHER, 'L', q('9', 'left=0&port=1&event=completed'))
    expect(swarms.counts(IH, T0)).toEqual({ complete: 4, incomplete: 0, downloaded: 1 })
    const stopped = await send(SEEDER, 'S1', q('1', 'left=0&port=1&event=stopped'), '203.0.113.1')
    expect(stopped.ok && (stopped.body.peers as Uint8Array).length).toBe(0)
    expect(swarms.counts(IH, T0)).toEqual({ complete: 3, incomplete: 0, downloaded: 1 })
  })

  it('lists a peer under ip= where the operator allows it', async () => {
    const { send } = setup({ allowIpParam: true })
    await send(SEEDER, 'S', q('1', 'left=0&port=6881&ip=192.0.2.44'), '203.0.113.1')
    const r = await send(LEECHER, 'L', q('2', 'left=1&port=1'))
    if (!r.ok) throw new Error('refused')
    expect(readCompactIpv4(r.body.peers as Uint8Array)).toEqual(['192.0.2.44:6881'])
  })
})
