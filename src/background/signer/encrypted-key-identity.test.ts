import { decode } from 'nostr-tools/nip19'
import { encrypt as nip49Encrypt } from 'nostr-tools/nip49'
import { getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { createMemoryStorageArea } from '../storage-item'
import { createEncryptedKeyIdentity } from './encrypted-key-identity'
import { secretKeyToHex } from './local-key'

// The NIP-49 specification's test vector (LOG_N 16, password "nostr").
const SPEC_NCRYPTSEC =
  'ncryptsec1qgg9947rlpvqu76pj5ecreduf9jxhselq2nae2kghhvd5g7dgjtcxfqtd67p9m0w57lspw8gsq6yphnm8623nsl8xn9j4jdzz84zm3frztj3z7s35vpzmqf6ksu8r89qk5z2zxfmu5gv8th8wclt0h4p'
const SPEC_KEY_HEX = '3501454135014541350145413501453fefb02227e449e57cf4d3a3ce05378683'

const sk = new Uint8Array(32).fill(9)
const PASSWORD = 'password1'

function setup(local = createMemoryStorageArea(), session = createMemoryStorageArea()) {
  // A low scrypt cost keeps the tests fast; the spec vector below runs at the real cost.
  const id = createEncryptedKeyIdentity({
    localArea: local,
    sessionArea: session,
    generateSecretKey: () => sk,
    logN: 4,
  })
  return { id, local, session }
}

describe('createEncryptedKeyIdentity', () => {
  it('opens the NIP-49 spec vector, keeps it as given, and never stores the plain key locally', async () => {
    const { id, local, session } = setup()
    await id.load()
    expect(await id.importKey(SPEC_NCRYPTSEC, 'nostr')).toBe(
      getPublicKey(Uint8Array.from(Buffer.from(SPEC_KEY_HEX, 'hex'))),
    )
    expect(local.dump()).toEqual({
      encryptedKey: { pubkey: id.pubkey(), ncryptsec: SPEC_NCRYPTSEC },
    })
    expect(JSON.stringify(local.dump())).not.toContain(SPEC_KEY_HEX)
    expect(session.dump()).toEqual({ secretKey: SPEC_KEY_HEX })
    expect(id.state()).toBe('unlocked')
  })

  it('generates a key protected by the password, signs with it, and restores after a restart', async () => {
    const { id, local, session } = setup()
    await id.load()
    expect(id.state()).toBe('none')
    expect(await id.generate(PASSWORD)).toBe(getPublicKey(sk))
    expect(decode(id.npub()!).data).toBe(getPublicKey(sk))
    const ev = await id.signer()!.signEvent({ kind: 1, created_at: 1, tags: [], content: '' })
    expect(verifyEvent(ev)).toBe(true)
    // A restarted worker: the session still holds the unlocked key.
    const restarted = setup(local, session).id
    await restarted.load()
    expect(restarted.state()).toBe('unlocked')
    // A restarted browser: the session is empty, the key is locked but known.
    const newBrowser = setup(local, createMemoryStorageArea()).id
    await newBrowser.load()
    expect(newBrowser.state()).toBe('locked')
    expect(newBrowser.pubkey()).toBe(getPublicKey(sk))
    expect(newBrowser.signer()).toBeNull()
    await expect(newBrowser.unlock('wrong password')).rejects.toThrow('Wrong password')
    await newBrowser.unlock(PASSWORD)
    expect(newBrowser.signer()).not.toBeNull()
  })

  it('locks: the session forgets the key and nothing signs until the password is given', async () => {
    const { id, session } = setup()
    await id.load()
    await id.generate(PASSWORD)
    await id.lock()
    expect(id.state()).toBe('locked')
    expect(id.signer()).toBeNull()
    expect(session.dump()).toEqual({})
  })

  it('exports only with the password', async () => {
    const { id } = setup()
    await id.load()
    await id.generate(PASSWORD)
    await expect(id.exportKey('nope nope')).rejects.toThrow('Wrong password')
    const out = await id.exportKey(PASSWORD)
    expect(decode(out.nsec).data).toEqual(sk)
    expect(out.ncryptsec).toMatch(/^ncryptsec1/)
  })

  it('refuses a short password and a wrong ncryptsec password, changing nothing', async () => {
    const { id, local } = setup()
    await id.load()
    await expect(id.generate('short')).rejects.toThrow('at least 8 characters')
    await expect(id.importKey(secretKeyToHex(sk), '1234567')).rejects.toThrow('at least 8')
    await expect(id.importKey(SPEC_NCRYPTSEC, 'not nostr')).rejects.toThrow(
      'The password does not open this ncryptsec',
    )
    await expect(id.importKey(SPEC_NCRYPTSEC, '')).rejects.toThrow('Enter the password')
    await expect(id.importKey('npub1xyz', PASSWORD)).rejects.toThrow('public key')
    expect(local.dump()).toEqual({})
    expect(id.state()).toBe('none')
  })

  it('imports an ncryptsec of any cost made elsewhere', async () => {
    const { id } = setup()
    await id.load()
    const other = new Uint8Array(32).fill(3)
    expect(await id.importKey(nip49Encrypt(other, 'elsewhere pw', 5), 'elsewhere pw')).toBe(
      getPublicKey(other),
    )
  })

  it("offers an older version's session-only key the one-step protection", async () => {
    const session = createMemoryStorageArea()
    await session.set({ secretKey: secretKeyToHex(sk) })
    const { id, local } = setup(createMemoryStorageArea(), session)
    await id.load()
    expect(id.state()).toBe('unprotected')
    expect(id.signer()).not.toBeNull()
    await expect(id.lock()).rejects.toThrow('Protect the key')
    await id.protect(PASSWORD)
    expect(id.state()).toBe('unlocked')
    expect((local.dump().encryptedKey as { pubkey: string }).pubkey).toBe(getPublicKey(sk))
    await expect(id.protect(PASSWORD)).rejects.toThrow('no unprotected key')
  })

  it('drops a session key that is not the stored key', async () => {
    const first = setup()
    await first.id.load()
    await first.id.generate(PASSWORD)
    await first.session.set({ secretKey: '01'.repeat(32) })
    const again = setup(first.local, first.session).id
    await again.load()
    expect(again.state()).toBe('locked')
    expect(first.session.dump()).toEqual({})
  })
})
