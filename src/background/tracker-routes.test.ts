import { generateSecretKey } from 'nostr-tools/pure'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningTseedRelay } from '../../relay/src/tseed-relay'
import { startQuietRelay } from '../../tests/support/tseed-relay'
import type { FetchLike } from '../balance/api-client'
import { createLocalKeySigner } from './signer/local-key'
import type { Signer } from './signer/signer'
import { createTrackerRoutes } from './tracker-routes'
import { createTseedRelayDirectory } from './tseed-relays'

let relay: RunningTseedRelay
beforeAll(async () => {
  relay = await startQuietRelay()
})
afterAll(async () => {
  await relay.close()
})

const nodeFetch: FetchLike = (url, init) => fetch(url, init)

function routes(signer: Signer | null) {
  return createTrackerRoutes({
    ready: Promise.resolve(),
    identity: { signer: () => signer },
    directory: createTseedRelayDirectory({ fetch: nodeFetch, now: Date.now }),
    fetch: nodeFetch,
  })
}

describe('tracker URL routes against the real relay', () => {
  it('makes a URL the relay accepts, lists it without the secret, and revokes it', async () => {
    const r = routes(createLocalKeySigner(generateSecretKey()))
    const made = await r.createTrackerUrl({ relay: relay.url, label: '  qBittorrent at home ' })
    expect(made).toMatchObject({ label: 'qBittorrent at home', lastUsedAt: null, testMode: true })
    expect(made.announceUrl).toMatch(new RegExp(`^${relay.httpUrl}/t/[A-Za-z0-9_-]{24}/announce$`))
    const listed = await r.trackerUrls({ relay: relay.url })
    expect(listed).toEqual([
      { id: made.id, label: 'qBittorrent at home', createdAt: made.createdAt, lastUsedAt: null },
    ])
    const announce = `${made.announceUrl}?info_hash=${'%01'.repeat(20)}&peer_id=${'-'.repeat(20)}&port=1&uploaded=0&downloaded=0&left=0`
    expect(Buffer.from(await (await fetch(announce)).arrayBuffer()).toString()).toMatch(
      /^d8:complete/,
    )

    await r.revokeTrackerUrl({ relay: relay.url, id: made.id })
    expect(await r.trackerUrls({ relay: relay.url })).toEqual([])
    expect(Buffer.from(await (await fetch(announce)).arrayBuffer()).toString()).toContain(
      'unknown or revoked tracker credential',
    )
  })

  it('keeps each key’s URLs apart', async () => {
    const a = routes(createLocalKeySigner(generateSecretKey()))
    const b = routes(createLocalKeySigner(generateSecretKey()))
    const made = await a.createTrackerUrl({ relay: relay.url, label: '' })
    expect(await b.trackerUrls({ relay: relay.url })).toEqual([])
    await expect(b.revokeTrackerUrl({ relay: relay.url, id: made.id })).rejects.toThrow(
      /no active tracker credential/,
    )
  })

  it('asks for a key first, and checks what the popup sends', async () => {
    await expect(routes(null).trackerUrls({ relay: relay.url })).rejects.toThrow(
      'Set up or unlock a key first.',
    )
    const r = routes(createLocalKeySigner(generateSecretKey()))
    await expect(r.revokeTrackerUrl({ relay: relay.url, id: '../x' })).rejects.toThrow(
      'id must be a tracker URL id',
    )
    await expect(r.createTrackerUrl({ relay: relay.url } as never)).rejects.toThrow(
      'label must be a string',
    )
    await expect(r.trackerUrls({ relay: 'wss://nowhere.invalid' })).rejects.toThrow(
      /Could not reach wss:\/\/nowhere\.invalid/,
    )
  })
})
