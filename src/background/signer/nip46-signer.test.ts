import type { EventTemplate } from 'nostr-tools/core'
import { generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { startQuietRelay } from '../../../tests/support/tseed-relay'
import { createMemoryStorageArea } from '../storage-item'
import {
  BunkerInputError,
  BunkerRefusedError,
  BunkerTimeoutError,
  BunkerUnreachableError,
  connectBunker,
  forgetBunker,
  parseBunkerInput,
  restoreBunker,
  startNostrConnect,
  type BunkerDeps,
  type BunkerSession,
} from './nip46-signer'
import { SignatureCheckError } from './verifying-signer'
import { TestBunker, type BunkerOptions } from '../testing/test-bunker'

const WS = WebSocket as unknown as typeof globalThis.WebSocket

const template = (): EventTemplate => ({
  kind: 21000,
  created_at: Math.floor(Date.now() / 1000),
  tags: [['i', 'ab'.repeat(20)]],
  content: '',
})

describe('parseBunkerInput', () => {
  const pk = 'ab'.repeat(32)

  it('reads pubkey, relays and secret', async () => {
    expect(
      await parseBunkerInput(
        `  bunker://${pk.toUpperCase()}?relay=wss%3A%2F%2Frelay.example&relay=ws://127.0.0.1:7447&secret=Xy1 `,
      ),
    ).toEqual({ pubkey: pk, relays: ['wss://relay.example', 'ws://127.0.0.1:7447'], secret: 'Xy1' })
    expect(await parseBunkerInput(`bunker://${pk}?relay=wss://r.example`)).toEqual({
      pubkey: pk,
      relays: ['wss://r.example'],
      secret: null,
    })
  })

  it('refuses bad input with plain words', async () => {
    const cases: [string, RegExp][] = [
      ['', /starts with bunker:\/\//],
      ['alice@example.com', /starts with bunker:\/\//],
      [`nostrconnect://${pk}?relay=wss://r.example`, /starts with bunker:\/\//],
      ['bunker://abc?relay=wss://r.example', /damaged/],
      [`bunker://${pk}`, /names no relay/],
      [`bunker://${pk}?relay=https://r.example`, /must start with wss:\/\/ or ws:\/\//],
      [`bunker://${pk}?relay=nonsense`, /is not a URL/],
      [
        `bunker://${pk}?${[1, 2, 3, 4, 5, 6].map((n) => `relay=wss://r${n}.example`).join('&')}`,
        /names 6 relays; TSEED accepts at most 5/,
      ],
    ]
    for (const [input, message] of cases) {
      const err: unknown = await parseBunkerInput(input).catch((e: unknown) => e)
      expect(err, input).toBeInstanceOf(BunkerInputError)
      expect((err as Error).message, input).toMatch(message)
    }
  })
})

describe('NIP-46 bunker signer against the TSEED relay', () => {
  let relay: RunningTseedRelay
  const userSk = generateSecretKey()
  const userPubkey = getPublicKey(userSk)
  const bunkers: TestBunker[] = []
  const sessions: BunkerSession[] = []

  beforeAll(async () => {
    relay = await startQuietRelay()
  })
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.close()
    await Promise.all(bunkers.splice(0).map((b) => b.close()))
  })
  afterAll(async () => {
    await relay.close()
  })

  const startBunker = async (opts: Omit<BunkerOptions, 'userSk'> = {}) => {
    const b = await TestBunker.start(relay.url, { userSk, ...opts })
    bunkers.push(b)
    return b
  }
  const deps = (extra: Partial<BunkerDeps> = {}): BunkerDeps => ({
    storage: createMemoryStorageArea(),
    WebSocket: WS,
    timeoutMs: 3_000,
    ...extra,
  })
  const track = (s: BunkerSession): BunkerSession => {
    sessions.push(s)
    return s
  }

  it('connects with the secret and signs events that verify against the user pubkey', async () => {
    const bunker = await startBunker({ secret: 's3cret' })
    const session = track(await connectBunker(bunker.uri(relay.url), deps()))
    expect(session.pubkey).toBe(userPubkey)
    expect(session.bunkerPubkey).toBe(bunker.pubkey)
    expect(await session.getPublicKey()).toBe(userPubkey)
    const t = template()
    const ev = await session.signEvent(t)
    expect(ev.pubkey).toBe(userPubkey)
    expect(ev.tags).toEqual(t.tags)
    expect(verifyEvent(ev)).toBe(true)
    expect(bunker.methods).toEqual(['connect', 'get_public_key', 'sign_event'])
  })

  it('rejects events a bunker signs with another key', async () => {
    const bunker = await startBunker({ secret: 's', signSk: generateSecretKey() })
    const session = track(await connectBunker(bunker.uri(relay.url), deps()))
    await expect(session.signEvent(template())).rejects.toThrow(SignatureCheckError)
    await expect(session.signEvent(template())).rejects.toThrow(/signer used pubkey/)
  })

  it('is refused with a wrong secret, and stores nothing', async () => {
    const bunker = await startBunker({ secret: 'right' })
    const d = deps()
    const uri = bunker.uri(relay.url).replace('secret=right', 'secret=wrong')
    const err: unknown = await connectBunker(uri, d).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BunkerRefusedError)
    expect((err as Error).message).toBe('Your bunker refused: invalid secret')
    expect(await restoreBunker(d)).toBeNull()
  })

  it('times out with a typed error when the bunker never answers', async () => {
    const bunker = await startBunker({ silent: true })
    const started = Date.now()
    const err: unknown = await connectBunker(bunker.uri(relay.url), deps({ timeoutMs: 500 })).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(BunkerTimeoutError)
    expect((err as Error).message).toMatch(/did not answer within 1 s/)
    expect(Date.now() - started).toBeLessThan(2_000)
    // It did reach the bunker: the silence is the bunker's.
    expect(bunker.methods).toEqual(['connect'])
  })

  it('says when no relay of the bunker can be reached', async () => {
    const uri = `bunker://${'ab'.repeat(32)}?relay=ws://127.0.0.1:1&secret=x`
    await expect(connectBunker(uri, deps())).rejects.toBeInstanceOf(BunkerUnreachableError)
  })

  it('restores the session after a restart and signs without a second connect', async () => {
    const bunker = await startBunker({ secret: 'once' })
    const storage = createMemoryStorageArea()
    const first = await connectBunker(bunker.uri(relay.url), deps({ storage }))
    first.close()

    const kept = storage.dump().nip46Bunker as Record<string, unknown>
    expect(Object.keys(kept).sort()).toEqual([
      'bunkerPubkey',
      'clientSecretKey',
      'relays',
      'userPubkey',
    ])
    expect(JSON.stringify(kept)).not.toContain('once')

    const restored = await restoreBunker(deps({ storage }))
    expect(restored).not.toBeNull()
    track(restored!)
    expect(restored!.pubkey).toBe(userPubkey)
    const ev = await restored!.signEvent(template())
    expect(ev.pubkey).toBe(userPubkey)
    expect(bunker.methods.filter((m) => m === 'connect')).toHaveLength(1)
    expect(bunker.methods).toEqual(['connect', 'get_public_key', 'sign_event'])

    await forgetBunker(storage)
    expect(await restoreBunker(deps({ storage }))).toBeNull()
  })

  it('ignores a stored session it cannot read', async () => {
    const storage = createMemoryStorageArea()
    await storage.set({ nip46Bunker: { bunkerPubkey: 'x', relays: [], clientSecretKey: 1 } })
    expect(await restoreBunker(deps({ storage }))).toBeNull()
  })

  it('refuses requests after close', async () => {
    const bunker = await startBunker({ secret: 's' })
    const session = await connectBunker(bunker.uri(relay.url), deps())
    session.close()
    await expect(session.signEvent(template())).rejects.toThrow('connection is closed')
  })

  it('connects through a nostrconnect:// URI that the signer app accepts', async () => {
    const bunker = await startBunker()
    const storage = createMemoryStorageArea()
    const start = startNostrConnect({
      ...deps({ storage }),
      relays: [relay.url],
      name: 'TSEED',
      perms: ['sign_event:21000'],
    })
    const uri = new URL(start.uri)
    expect(uri.protocol).toBe('nostrconnect:')
    expect(uri.searchParams.get('name')).toBe('TSEED')
    expect(uri.searchParams.get('perms')).toBe('sign_event:21000')
    expect(uri.searchParams.get('secret')).toMatch(/^[0-9a-f]{32}$/)
    // Give the client's subscription a moment to reach the relay.
    await new Promise((r) => setTimeout(r, 100))
    await bunker.acceptNostrConnect(start.uri)
    const session = track(await start.done)
    expect(session.pubkey).toBe(userPubkey)
    expect(session.bunkerPubkey).toBe(bunker.pubkey)
    expect((await session.signEvent(template())).pubkey).toBe(userPubkey)
    expect(bunker.methods).not.toContain('connect')

    const restored = track((await restoreBunker(deps({ storage })))!)
    expect((await restored.signEvent(template())).pubkey).toBe(userPubkey)
  })

  it('gives up on nostrconnect:// when cancelled or when nobody connects in time', async () => {
    const cancelled = startNostrConnect({ ...deps(), relays: [relay.url], name: 'TSEED' })
    cancelled.cancel()
    await expect(cancelled.done).rejects.toThrow('cancelled')
    const late = startNostrConnect({ ...deps(), relays: [relay.url], name: 'TSEED', waitMs: 200 })
    await expect(late.done).rejects.toBeInstanceOf(BunkerTimeoutError)
    expect(() =>
      startNostrConnect({ ...deps(), relays: ['https://x.example'], name: 'T' }),
    ).toThrow(BunkerInputError)
  })
})
