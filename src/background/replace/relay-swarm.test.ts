import { generateSecretKey } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { newUser, startQuietRelay } from '../../../tests/support/tseed-relay'
import type { FetchLike } from '../../balance/api-client'
import { createLocalKeySigner } from '../signer/local-key'
import type { Signer } from '../signer/signer'
import { createTseedRelayDirectory, type RelayKind } from '../tseed-relays'
import { createRelaySwarmSource, MAX_REPLACE_PEERS, RelaySwarmError } from './relay-swarm'

const IH = '0102030405060708090a0b0c0d0e0f1011121314'
const hex = (h: string): string => h.replace(/../g, (b) => `%${b}`)

let relay: RunningTseedRelay
beforeAll(async () => {
  relay = await startQuietRelay()
  // A desktop client announces to the relay's tracker as a seeder.
  const user = newUser({ apiUrl: `http://127.0.0.1:${relay.port}/api/v1` })
  const cred = await user.api.createTrackerCredential('seedbox')
  const peerId = hex(Buffer.from('-TR4000-swarmtest001').toString('hex'))
  await fetch(
    `${cred.announceUrl}?info_hash=${hex(IH)}&peer_id=${peerId}&port=51413` +
      '&uploaded=0&downloaded=0&left=0&event=started',
  )
})
afterAll(async () => {
  await relay.close()
})

function setup(
  opts: { relays?: string[]; signer?: Signer | null; fetch?: FetchLike; now?: () => number } = {},
) {
  const calls: string[] = []
  const base = opts.fetch ?? ((url, init) => fetch(url, init))
  const counted: FetchLike = (url, init) => {
    calls.push(url)
    return base(url, init)
  }
  const signer = opts.signer === undefined ? createLocalKeySigner(generateSecretKey()) : opts.signer
  const source = createRelaySwarmSource({
    directory: createTseedRelayDirectory({ fetch: counted, now: opts.now ?? Date.now }),
    fetch: counted,
    relays: () => Promise.resolve(opts.relays ?? [relay.url]),
    signer: () => signer,
    now: opts.now ?? Date.now,
  })
  return { source, calls }
}

describe('the TSEED relays as a peer source', () => {
  it('reads the swarm from the relay with a NIP-98 signed request', async () => {
    const { source, calls } = setup()
    const swarm = await source(IH, 1000n)
    expect(swarm).toEqual({
      complete: 1,
      incomplete: 0,
      peers: [{ ip: '127.0.0.1', port: 51413 }],
    })
    expect(calls.some((u) => u.endsWith(`/swarm/${IH}/peers?left=1000`))).toBe(true)
    // A seeder is given leechers only.
    expect((await source(IH, 0n)).peers).toEqual([])
  })

  it('asks once per swarm within ten seconds, and again after', async () => {
    let now = 1_000_000
    const { source, calls } = setup({ now: () => now })
    await source(IH, 5n)
    await source(IH, 6n)
    const peersCalls = (): number => calls.filter((u) => u.includes('/peers')).length
    expect(peersCalls()).toBe(1)
    now += 10_000
    await source(IH, 5n)
    expect(peersCalls()).toBe(2)
  })

  it('says why when no relay answers, and asks again next time', async () => {
    const down = setup({ relays: ['ws://127.0.0.1:1'] })
    const e = await down.source(IH, 5n).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(RelaySwarmError)
    expect((e as Error).message).toMatch(/^ws:\/\/127\.0\.0\.1:1: /)
    const none = setup({ relays: [] })
    await expect(none.source(IH, 5n)).rejects.toThrow('no TSEED relay is configured')
    const noKey = setup({ signer: null })
    await expect(noKey.source(IH, 5n)).rejects.toThrow(/no key to sign/)
  })

  it('keeps the peers of the relays that answer, once each and at most 50', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ip: `10.0.0.${i}`, port: 6881 }))
    const fake = (complete: number, peers: { ip: string; port: number }[]): FetchLike => {
      return (url) => {
        const body = url.includes('/peers')
          ? { info_hash: IH, complete, incomplete: 2, tracker: {}, peers, test_mode: true }
          : { tseed: { api: 'http://r.test/api/v1', test_mode: true } }
        return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }))
      }
    }
    const byRelay: Record<string, FetchLike> = {
      'http://a.test/': fake(1, many),
      'http://b.test/': fake(4, [...many.slice(0, 5), ...many.map((p) => ({ ...p, port: 7000 }))]),
    }
    const lookups = new Map<string, RelayKind>()
    const source = createRelaySwarmSource({
      directory: {
        lookup: (r) => {
          const k: RelayKind = {
            kind: 'tseed',
            info: { apiUrl: r.replace('ws://', 'http://') + 'api/v1', testMode: true } as never,
          }
          lookups.set(r, k)
          return Promise.resolve(k)
        },
        peek: (r) => lookups.get(r),
      },
      fetch: (url, init) =>
        (
          byRelay[
            url.startsWith('http://a.test') ? 'http://a.test/' : 'http://b.test/'
          ] as FetchLike
        )(url, init),
      relays: () => Promise.resolve(['ws://a.test/', 'ws://b.test/']),
      signer: () => createLocalKeySigner(generateSecretKey()),
      now: Date.now,
    })
    const swarm = await source(IH, 5n)
    expect(swarm.complete).toBe(4)
    expect(swarm.incomplete).toBe(2)
    expect(swarm.peers).toHaveLength(MAX_REPLACE_PEERS)
    expect(new Set(swarm.peers.map((p) => `${p.ip}:${p.port}`)).size).toBe(MAX_REPLACE_PEERS)
  })
})
