import type { EventTemplate } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { startQuietRelay } from '../../../tests/support/tseed-relay'
import { TestBunker } from '../testing/test-bunker'
import { createMemoryStorageArea } from '../storage-item'
import { createEncryptedKeyIdentity } from './encrypted-key-identity'
import { createSigningIdentity } from './identity'
import type { Nip07Deps } from './nip07-signer'

const signerSk = generateSecretKey()
const template: EventTemplate = { kind: 21000, created_at: 1, tags: [], content: '' }

/** One tab whose `window.nostr` signs with `sign`; the injected function runs for real. */
function oneTab(sign: (t: EventTemplate) => unknown): Omit<Nip07Deps, 'expectedPubkey'> {
  const win = {
    nostr: {
      getPublicKey: () => Promise.resolve(getPublicKey(signerSk)),
      signEvent: (t: EventTemplate) => Promise.resolve(sign(t)),
    },
  }
  return {
    candidateTabs: () => Promise.resolve([1]),
    async executeInTab(_tabId, func, args) {
      vi.stubGlobal('window', win)
      return JSON.parse(JSON.stringify(await func(...args))) as unknown
    },
    waitForSignerMs: 200,
    pollMs: 10,
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

function setup(
  nip07 = oneTab((t) => finalizeEvent({ ...t }, signerSk)),
  area = createMemoryStorageArea(),
) {
  const session = createMemoryStorageArea()
  const local = createEncryptedKeyIdentity({ localArea: area, sessionArea: session, logN: 4 })
  const bunker = {
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    timeoutMs: 3_000,
  }
  return { area, id: createSigningIdentity({ local, area, nip07, bunker }) }
}

describe('createSigningIdentity', () => {
  it('signs through the NIP-07 signer once connected, and remembers it across a restart', async () => {
    const { id, area } = setup()
    await id.load()
    expect(id.state()).toBe('none')
    expect(await id.useNip07()).toBe(getPublicKey(signerSk))
    expect(id.state()).toBe('external')
    expect(id.kind()).toBe('nip07')
    expect(verifyEvent(await id.signer()!.signEvent(template))).toBe(true)
    const restarted = setup(undefined, area).id
    await restarted.load()
    expect(restarted.kind()).toBe('nip07')
    expect(restarted.pubkey()).toBe(getPublicKey(signerSk))
  })

  it('refuses what a page-side signer forges, whatever it claims', async () => {
    const { id } = setup(
      oneTab((t) => ({ ...finalizeEvent({ ...t }, signerSk), sig: '00'.repeat(64) })),
    )
    await id.load()
    await id.useNip07()
    await expect(id.signer()!.signEvent(template)).rejects.toThrow()
  })

  it('a key created or unlocked here makes the local key the signer again', async () => {
    const { id } = setup()
    await id.load()
    await id.useNip07()
    const pubkey = await id.generate('password1')
    expect(id.kind()).toBe('local')
    expect(id.state()).toBe('unlocked')
    expect(id.pubkey()).toBe(pubkey)
    await id.useNip07()
    await id.useLocal()
    expect(id.kind()).toBe('local')
    expect(id.pubkey()).toBe(pubkey)
  })

  it('falls back to the local key when a stored bunker session is gone', async () => {
    const area = createMemoryStorageArea()
    await area.set({ signerKind: { kind: 'nip46', pubkey: 'ab'.repeat(32) } })
    const { id } = setup(undefined, area)
    await id.load()
    expect(id.kind()).toBe('local')
    expect(id.state()).toBe('none')
  })
})

describe('connecting a signer app with nostrconnect://', () => {
  let relay: RunningTseedRelay
  const bunkers: TestBunker[] = []
  beforeAll(async () => {
    relay = await startQuietRelay()
  })
  afterEach(async () => {
    await Promise.all(bunkers.splice(0).map((b) => b.close()))
  })
  afterAll(async () => {
    await relay.close()
  })

  const waitFor = async (what: string, probe: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !probe(); i++) await new Promise((r) => setTimeout(r, 50))
    if (!probe()) throw new Error(`timed out waiting for ${what}`)
  }

  it('becomes the signer once the app accepts, asking only for announces and API headers', async () => {
    const bunker = await TestBunker.start(relay.url, { userSk: signerSk })
    bunkers.push(bunker)
    const { id, area } = setup()
    await id.load()
    const uri = id.startNostrConnect([relay.url])
    expect(id.nostrConnect()).toEqual({ state: 'waiting', uri, relays: [relay.url] })
    expect(new URL(uri).searchParams.get('perms')).toBe('sign_event:21000,sign_event:27235')
    await new Promise((r) => setTimeout(r, 100))
    await bunker.acceptNostrConnect(uri)
    await waitFor('the signer app', () => id.kind() === 'nip46')
    expect(id.nostrConnect()).toBeNull()
    expect(id.pubkey()).toBe(getPublicKey(signerSk))
    expect(verifyEvent(await id.signer()!.signEvent(template))).toBe(true)
    // After a restart the same session signs again, without asking the app to connect.
    const restarted = setup(undefined, area).id
    await restarted.load()
    expect(restarted.kind()).toBe('nip46')
    expect((await restarted.signer()!.signEvent(template)).pubkey).toBe(getPublicKey(signerSk))
  })

  it('a new start or a cancel ends the waiting one; a failure is shown until the next start', () => {
    const { id } = setup()
    const first = id.startNostrConnect([relay.url])
    const second = id.startNostrConnect([relay.url])
    expect(second).not.toBe(first)
    expect(id.nostrConnect()).toMatchObject({ state: 'waiting', uri: second })
    id.cancelNostrConnect()
    expect(id.nostrConnect()).toBeNull()
    expect(() => id.startNostrConnect(['https://not-a-relay.example'])).toThrow(/relay/i)
    expect(id.kind()).toBe('local')
  })
})
