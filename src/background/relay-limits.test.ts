import { generateSecretKey } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { startQuietRelay } from '../../tests/support/tseed-relay'
import type { FetchLike } from '../balance/api-client'
import { createRelayLimits, DEFAULT_RELAY_LIMITS, type RelayLimitsView } from './relay-limits'
import { createLocalKeySigner } from './signer/local-key'
import type { Signer } from './signer/signer'
import { createMemoryStorageArea } from './storage-item'
import { createTseedRelayDirectory } from './tseed-relays'

let relay: RunningTseedRelay
beforeAll(async () => {
  relay = await startQuietRelay()
})
afterAll(async () => {
  await relay.close()
})

const nodeFetch: FetchLike = (url, init) => fetch(url, init)

function setup(opts: { relays?: string[]; signer?: Signer | null; now?: () => number } = {}) {
  const area = createMemoryStorageArea()
  let signer: Signer | null =
    opts.signer === undefined ? createLocalKeySigner(generateSecretKey()) : opts.signer
  let pubkey: string | null = null
  const limits = createRelayLimits({
    directory: createTseedRelayDirectory({ fetch: nodeFetch, now: opts.now ?? Date.now }),
    fetch: nodeFetch,
    relays: () => Promise.resolve(opts.relays ?? [relay.url]),
    signer: () => signer,
    pubkey: () => pubkey,
    area,
    now: opts.now ?? Date.now,
    warn: () => undefined,
  })
  const useKey = async (s: Signer | null): Promise<void> => {
    signer = s
    pubkey = s === null ? null : await s.getPublicKey()
  }
  return { area, limits, useKey, ready: useKey(signer) }
}

/** view() answers from cache and refreshes behind; this waits for the refreshed answer. */
async function settledView(
  limits: ReturnType<typeof createRelayLimits>,
): Promise<RelayLimitsView[]> {
  for (let i = 0; i < 100; i++) {
    const v = limits.view()
    if (v.length > 0) return v
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('no limits view')
}

describe('createRelayLimits against the real relay', () => {
  it('gives a new key the default limits, once, and shows them', async () => {
    const s = setup()
    await s.ready
    await s.limits.ensureDefaults()
    expect(s.limits.view()).toEqual([
      {
        relay: relay.url,
        perHour: DEFAULT_RELAY_LIMITS.perHour.toString(),
        perDay: DEFAULT_RELAY_LIMITS.perDay.toString(),
        chargedLastHour: '0',
        chargedLastDay: '0',
      },
    ])
    // The user lifts the daily limit; a later ensureDefaults (worker restart, new relay) keeps it.
    await s.limits.set(relay.url, 200n, null)
    await s.limits.ensureDefaults()
    expect(s.limits.view()[0]).toMatchObject({ perHour: '200', perDay: null })
  })

  it('never overwrites a limit the key already has on the relay', async () => {
    const signer = createLocalKeySigner(generateSecretKey())
    const first = setup({ signer })
    await first.ready
    await first.limits.set(relay.url, 5n, 50n)
    // Another install of the extension with the same key.
    const second = setup({ signer })
    await second.ready
    await second.limits.ensureDefaults()
    expect(second.limits.view()[0]).toMatchObject({ perHour: '5', perDay: '50' })
  })

  it('refreshes the view in the background and forgets it when the key changes', async () => {
    const s = setup()
    await s.ready
    await s.limits.set(relay.url, 7n, 70n)
    const fresh = setup({ signer: createLocalKeySigner(generateSecretKey()) })
    await fresh.ready
    expect(fresh.limits.view()).toEqual([])
    expect((await settledView(fresh.limits))[0]).toMatchObject({ perHour: null, perDay: null })
    await fresh.useKey(null)
    expect(fresh.limits.view()).toEqual([])
  })

  it('reports an unreachable relay as its own row and skips a relay that is not a TSEED relay', async () => {
    const s = setup({ relays: ['ws://127.0.0.1:9', relay.url] })
    await s.ready
    await s.limits.ensureDefaults()
    const v = s.limits.view()
    expect(v).toHaveLength(2)
    expect(v[0]).toMatchObject({ relay: 'ws://127.0.0.1:9' })
    expect('error' in v[0]!).toBe(true)
    expect(v[1]).toMatchObject({ relay: relay.url, perDay: DEFAULT_RELAY_LIMITS.perDay.toString() })
  })

  it('needs a key to set a limit', async () => {
    const s = setup({ signer: null })
    await s.ready
    await expect(s.limits.set(relay.url, 1n, 1n)).rejects.toThrow('Create or import a key first')
    await s.limits.ensureDefaults()
    expect(s.limits.view()).toEqual([])
  })
})
