import { bytesToHex } from '@noble/hashes/utils.js'
import type { EventTemplate } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { rejectionOf } from '../../../tests/support/rejection'
import { formatWalletConnectUri } from '../../nostr/nip47'
import { createEncryptedKeyIdentity } from '../signer/encrypted-key-identity'
import { createSigningIdentity } from '../signer/identity'
import { createMemoryStorageArea, type StorageAreaLike } from '../storage-item'
import { createNwcConnection } from './nwc-connection'
import { sealSecret } from './sealed-secret'
import { WalletError } from './wallet-error'

const KEY_PASSWORD = 'key password'
const WALLET_PASSWORD = 'wallet password'
const clientSecret = generateSecretKey()
const URI = formatWalletConnectUri({
  walletPubkey: getPublicKey(generateSecretKey()),
  relays: ['wss://relay.example'],
  secret: clientSecret,
})
const SECRET_HEX = bytesToHex(clientSecret)
const signerSk = generateSecretKey()

afterEach(() => {
  vi.unstubAllGlobals()
})

/**
 * The browser's two areas and the real signing identity over them; a
 * browser restart is a new session area and a fresh load of the same local one.
 */
async function browserProfile(local = createMemoryStorageArea()) {
  const session = createMemoryStorageArea()
  const identity = createSigningIdentity({
    local: createEncryptedKeyIdentity({ localArea: local, sessionArea: session, logN: 4 }),
    area: local,
    // A NIP-07 signer extension in one open tab; the injected function runs for real.
    nip07: {
      candidateTabs: () => Promise.resolve([1]),
      async executeInTab(_tabId, func, args) {
        vi.stubGlobal('window', {
          nostr: {
            getPublicKey: () => Promise.resolve(getPublicKey(signerSk)),
            signEvent: (t: EventTemplate) => Promise.resolve(finalizeEvent({ ...t }, signerSk)),
          },
        })
        return JSON.parse(JSON.stringify(await func(...args))) as unknown
      },
      waitForSignerMs: 200,
      pollMs: 10,
    },
    bunker: {},
  })
  await identity.load()
  const warnings: string[] = []
  const nwc = createNwcConnection({
    localArea: local,
    sessionArea: session,
    identity,
    logN: 10,
    warn: (m) => warnings.push(m),
  })
  return { local, session, identity, nwc, warnings }
}

function restart(local: StorageAreaLike & { dump(): Record<string, unknown> }) {
  return browserProfile(local)
}

const code = async (p: Promise<unknown>) => (await rejectionOf(p, WalletError)).code

describe('an NWC wallet for a user whose key is stored here', () => {
  it('is sealed with the key’s password, checked against the key, and nothing else', async () => {
    const { nwc, identity, local, session } = await browserProfile()
    await identity.generate(KEY_PASSWORD)
    expect(await nwc.view()).toEqual({ status: 'none', password: 'key' })

    const wrong = await rejectionOf(nwc.connect(URI, WALLET_PASSWORD), WalletError)
    expect(wrong.code).toBe('wrong_password')
    expect(wrong.message).toMatch(/not your key's password/)
    expect(await nwc.view()).toEqual({ status: 'none', password: 'key' })

    expect(await nwc.connect(`  ${URI}\n`, KEY_PASSWORD)).toBe('key')
    expect(await nwc.view()).toEqual({ status: 'ready', password: 'key' })
    expect(await nwc.uri()).toBe(URI)
    expect(JSON.stringify(local.dump())).not.toContain(SECRET_HEX)
    expect(local.dump().nwcSealed).toMatchObject({ password: 'key' })
    expect(session.dump().nwcUri).toBe(URI)
  })

  it('locks with the key and opens again when the key is unlocked, also after a restart', async () => {
    const first = await browserProfile()
    await first.identity.generate(KEY_PASSWORD)
    await first.nwc.connect(URI, KEY_PASSWORD)
    await first.nwc.lock()
    expect(await first.nwc.view()).toEqual({ status: 'locked', password: 'key' })
    expect(await first.nwc.uri()).toBeNull()
    await first.nwc.keyUnlocked(KEY_PASSWORD)
    expect(await first.nwc.uri()).toBe(URI)

    const later = await restart(first.local)
    expect(later.identity.state()).toBe('locked')
    expect(await later.nwc.view()).toEqual({ status: 'locked', password: 'key' })
    await later.identity.unlock(KEY_PASSWORD)
    await later.nwc.keyUnlocked(KEY_PASSWORD)
    expect(await later.nwc.view()).toEqual({ status: 'ready', password: 'key' })
    expect(later.warnings).toEqual([])
  })

  it('can also be opened by hand with the key’s password, and says which password a wrong one was not', async () => {
    const first = await browserProfile()
    await first.identity.generate(KEY_PASSWORD)
    await first.nwc.connect(URI, KEY_PASSWORD)
    const later = await restart(first.local)
    const err = await rejectionOf(later.nwc.unlock('not it at all'), WalletError)
    expect(err.code).toBe('wrong_password')
    expect(err.message).toMatch(/key's password/)
    await later.nwc.unlock(KEY_PASSWORD)
    expect(await later.nwc.uri()).toBe(URI)
  })

  it('opens what older versions stored (the bare sealed text) with the key’s password', async () => {
    const local = createMemoryStorageArea()
    await local.set({ nwcSealed: sealSecret(URI, KEY_PASSWORD, { logN: 10 }) })
    const { nwc, warnings } = await browserProfile(local)
    expect(await nwc.view()).toEqual({ status: 'locked', password: 'key' })
    await nwc.keyUnlocked('some other password')
    expect(await nwc.uri()).toBeNull()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).not.toContain(SECRET_HEX)
    await nwc.keyUnlocked(KEY_PASSWORD)
    expect(await nwc.uri()).toBe(URI)
  })
})

describe('an NWC wallet for a user who signs with NIP-07 and stores no key here', () => {
  async function nip07User(): Promise<Awaited<ReturnType<typeof browserProfile>>> {
    const p = await browserProfile()
    await p.identity.useNip07()
    expect(p.identity.state()).toBe('external')
    return p
  }

  it('asks for a password of the wallet’s own, long enough, and seals with it', async () => {
    const { nwc, local, session } = await nip07User()
    expect(await nwc.view()).toEqual({ status: 'none', password: 'wallet' })
    expect(await code(nwc.connect(URI, 'short'))).toBe('bad_input')
    expect(await code(nwc.connect(URI, 'x'.repeat(1_001)))).toBe('bad_input')
    expect(await nwc.view()).toEqual({ status: 'none', password: 'wallet' })

    expect(await nwc.connect(URI, WALLET_PASSWORD)).toBe('wallet')
    expect(await nwc.view()).toEqual({ status: 'ready', password: 'wallet' })
    expect(JSON.stringify(local.dump())).not.toContain(SECRET_HEX)
    expect(local.dump().nwcSealed).toMatchObject({ password: 'wallet' })
    expect(session.dump().nwcUri).toBe(URI)
  })

  it('after a browser restart is locked until its own password opens it', async () => {
    const first = await nip07User()
    await first.nwc.connect(URI, WALLET_PASSWORD)

    const later = await restart(first.local)
    expect(later.identity.kind()).toBe('nip07')
    expect(await later.nwc.view()).toEqual({ status: 'locked', password: 'wallet' })
    // No key password exists to open it by the way.
    await later.nwc.keyUnlocked(WALLET_PASSWORD)
    expect(await later.nwc.uri()).toBeNull()

    const err = await rejectionOf(later.nwc.unlock('key password?'), WalletError)
    expect(err.code).toBe('wrong_password')
    expect(err.message).toMatch(/password you chose for your wallet/)
    expect(await later.nwc.uri()).toBeNull()
    await later.nwc.unlock(WALLET_PASSWORD)
    expect(await later.nwc.view()).toEqual({ status: 'ready', password: 'wallet' })
    expect(await later.nwc.uri()).toBe(URI)
  })

  it('keeps its own password when a key stored here exists but another signer signs', async () => {
    const p = await browserProfile()
    await p.identity.generate(KEY_PASSWORD)
    await p.identity.useNip07()
    // The stored key's password is not asked: that key does not sign here now.
    expect(await p.nwc.view()).toEqual({ status: 'none', password: 'wallet' })
    await p.nwc.connect(URI, WALLET_PASSWORD)
    await p.identity.useLocal()
    // Back on the stored key, the wallet still opens with the password it was sealed with.
    expect(await p.nwc.view()).toEqual({ status: 'ready', password: 'wallet' })
    await p.nwc.lock()
    await p.nwc.keyUnlocked(KEY_PASSWORD)
    expect(await p.nwc.uri()).toBeNull()
    await p.nwc.unlock(WALLET_PASSWORD)
    expect(await p.nwc.uri()).toBe(URI)
  })
})

describe('either way', () => {
  it('refuses what is not a connection string without repeating it', async () => {
    const { nwc } = await browserProfile()
    const pasted = `nostr+walletconnect://nothex?secret=${SECRET_HEX}`
    const err = await rejectionOf(nwc.connect(pasted, WALLET_PASSWORD), WalletError)
    expect(err.code).toBe('bad_input')
    expect(err.message).toMatch(/not a Nostr Wallet Connect string/)
    expect(err.message).not.toContain(SECRET_HEX)
  })

  it('forgets the wallet entirely, and cannot unlock what is not there', async () => {
    const { nwc, local, session } = await browserProfile()
    await nwc.connect(URI, WALLET_PASSWORD)
    await nwc.forget()
    expect(await nwc.view()).toEqual({ status: 'none', password: 'wallet' })
    expect(local.dump().nwcSealed).toBeUndefined()
    expect(session.dump().nwcUri).toBeUndefined()
    expect(await code(nwc.unlock(WALLET_PASSWORD))).toBe('bad_input')
  })
})
