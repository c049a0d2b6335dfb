import { describe, expect, it } from 'vitest'
import { decodeQueryBytes } from '../../../src/nostr/bep3-http-announce'
import { decode } from './bencode'
import { MAX_SCRAPE_HASHES, scrape } from './bep48-scrape'
import { Swarms } from './swarm'

const T0 = 1_700_000_000
const esc = (byte: number) => `%${byte.toString(16).padStart(2, '0')}`.repeat(20)

describe('scrape (BEP 48)', () => {
  const swarms = new Swarms({ peerTtlSeconds: 100, maxPeers: 10 })
  const peer = (seeder: boolean) => ({
    peerId: new Uint8Array(20),
    address: { family: 4 as const, ip: '10.0.0.1' },
    port: 1,
    compact: new Uint8Array(6),
    seeder,
  })
  swarms.upsert('ff'.repeat(20), 'a', peer(true), T0)
  swarms.upsert('ff'.repeat(20), 'b', peer(false), T0)
  swarms.completed('ff'.repeat(20), T0)

  it('answers every hash asked, keyed by its raw 20 bytes', () => {
    const r = scrape(
      swarms,
      decodeQueryBytes(`info_hash=${esc(0xff)}&info_hash=${esc(0x01)}`),
      300,
      T0,
    )
    if (!r.ok) throw new Error(r.failure.reason)
    const raw = r.body.toString('latin1')
    expect(raw.startsWith(`d5:filesd20:${'\u0001'.repeat(20)}d8:completei0e`)).toBe(true)
    expect(raw).toContain(
      `20:${'\u00ff'.repeat(20)}d8:completei1e10:downloadedi1e10:incompletei1ee`,
    )
    expect(decode(r.body)).toMatchObject({ flags: { min_request_interval: 300 } })
  })

  it('refuses a scrape without, with too many, or with a short info_hash', () => {
    expect(scrape(swarms, decodeQueryBytes(''), 300, T0)).toMatchObject({
      ok: false,
      failure: { reason: 'malformed request: scrape needs at least one info_hash' },
    })
    const many = Array.from({ length: MAX_SCRAPE_HASHES + 1 }, () => 'info_hash=%01').join('&')
    expect(scrape(swarms, decodeQueryBytes(many), 300, T0)).toMatchObject({
      failure: {
        reason: `malformed request: at most ${MAX_SCRAPE_HASHES} info_hash per scrape, got 65`,
      },
    })
    expect(scrape(swarms, decodeQueryBytes('info_hash=abc'), 300, T0)).toMatchObject({
      failure: {
        kind: 'malformed',
        reason: 'malformed request: info_hash must be 20 bytes, got 3',
      },
    })
  })
})
