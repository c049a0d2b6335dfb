import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { toEventTemplate } from '../../nostr/kind21000'
import type { RelayKind, TseedRelayDirectory } from '../tseed-relays'
import type { BatchAnswer, BatchQuery } from './req-batch'
import type { RelayPricing } from './relay-pricing'
import { CACHE_MS, createSwarmLookup } from './swarm-lookup'

const T = 1_700_000_000
const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const sk = generateSecretKey()
const info = {
  apiUrl: 'http://one/api/v1',
  pool: '',
  lightning: 'dev',
  testMode: true,
  reqLimits: { maxMessageLength: 131072, maxLimit: 300 },
}
const KINDS: Record<string, RelayKind> = {
  'ws://one': { kind: 'tseed', info },
  'ws://plain': { kind: 'plain' },
  'ws://gone': { kind: 'unknown', error: 'fetch failed' },
}
const directory: TseedRelayDirectory = {
  lookup: (url) => Promise.resolve(KINDS[url] ?? { kind: 'unknown', error: 'no' }),
  peek: (url) => KINDS[url],
}
const pricing: RelayPricing = {
  config: () =>
    Promise.resolve({ ok: true, testMode: true, config: { baseTokensPerMB: 1n, rarity: null } }),
}
const announce = (ih: string, left: bigint) =>
  finalizeEvent(toEventTemplate({ infoHash: ih, uploaded: 0n, downloaded: 0n, left }, T - 5), sk)
const torrent = (ih: string, at: number, title: string) =>
  finalizeEvent(
    {
      kind: 2003,
      created_at: at,
      tags: [
        ['x', ih],
        ['title', title],
      ],
      content: '',
    },
    sk,
  )

function setup(answer: (q: BatchQuery) => Partial<BatchAnswer>) {
  let now = T * 1000
  const queries: BatchQuery[] = []
  const lookup = createSwarmLookup({
    directory,
    pricing,
    now: () => now,
    query: (q) => {
      queries.push(q)
      return Promise.resolve({
        announces: [],
        torrents: [],
        reqs: 1,
        incomplete: new Set(),
        ...answer(q),
      })
    },
  })
  return { lookup, queries, advance: (ms: number) => (now += ms) }
}

describe('createSwarmLookup', () => {
  it('asks each TSEED relay once with its published limits, skipping plain relays', async () => {
    const { lookup, queries } = setup(() => ({
      announces: [announce(A, 0n), announce(B, 7n)],
      torrents: [torrent(A, T - 100, 'old'), torrent(A, T - 10, 'new')],
    }))
    const r = await lookup.lookup(['ws://plain', 'ws://one', 'ws://gone'], [A, B])
    expect(queries).toEqual([
      {
        url: 'ws://one',
        infoHashes: [A, B],
        since: T - 3600,
        limits: { maxMessageLength: 131072, maxFilterValues: 1000, maxLimit: 300 },
      },
    ])
    expect(r.map((x) => [x.relay, x.ok])).toEqual([
      ['ws://one', true],
      ['ws://gone', false],
    ])
    const one = r[0]!
    if (!one.ok) throw new Error('expected an answer')
    expect(one.swarms.get(A)!.peers.map((p) => p.left)).toEqual([0n])
    expect(one.swarms.get(A)!.torrents.map((t) => t.title)).toEqual(['new', 'old'])
    expect(one.swarms.get(B)!.peers).toHaveLength(1)
  })

  it('asks only for hashes it has not answered within the last minute', async () => {
    const { lookup, queries, advance } = setup(() => ({}))
    await lookup.lookup(['ws://one'], [A])
    advance(CACHE_MS - 1)
    await lookup.lookup(['ws://one'], [A, B])
    expect(queries.map((q) => q.infoHashes)).toEqual([[A], [B]])
    advance(1)
    await lookup.lookup(['ws://one'], [A, B])
    expect(queries.map((q) => q.infoHashes)).toEqual([[A], [B], [A]])
  })

  it('does not keep an answer that may be incomplete, and drops malformed events', async () => {
    const bad: NostrEvent = { ...announce(A, 1n), tags: [['i', A]] }
    const { lookup, queries } = setup(() => ({ announces: [bad], incomplete: new Set([A]) }))
    const [r] = await lookup.lookup(['ws://one'], [A])
    if (!r?.ok) throw new Error('expected an answer')
    expect(r.swarms.get(A)).toEqual({ peers: [], torrents: [], complete: false })
    await lookup.lookup(['ws://one'], [A])
    expect(queries).toHaveLength(2)
  })

  it('reports a relay whose query failed', async () => {
    const lookup = createSwarmLookup({
      directory,
      pricing,
      now: () => T * 1000,
      query: () => Promise.reject(new Error('ws://one did not answer within 8000 ms')),
    })
    expect(await lookup.lookup(['ws://one'], [A])).toEqual([
      { relay: 'ws://one', ok: false, error: 'ws://one did not answer within 8000 ms' },
    ])
  })
})
