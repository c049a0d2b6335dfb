import { decode } from 'nostr-tools/nip19'
import { getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { createMemoryStorageArea } from '../storage-item'
import { createSessionKeyIdentity } from './session-key-identity'

const sk = new Uint8Array(32).fill(9)

describe('createSessionKeyIdentity', () => {
  it('has no signer until a key is generated, then signs with it', async () => {
    const area = createMemoryStorageArea()
    const id = createSessionKeyIdentity({ sessionArea: area, generateSecretKey: () => sk })
    await id.load()
    expect(id.signer()).toBeNull()
    expect(id.pubkey()).toBeNull()
    const pubkey = await id.generate()
    expect(pubkey).toBe(getPublicKey(sk))
    expect(decode(id.npub()!).data).toBe(pubkey)
    const ev = await id.signer()!.signEvent({ kind: 1, created_at: 1, tags: [], content: '' })
    expect(verifyEvent(ev)).toBe(true)
  })

  it('keeps the key only in the session area it was given, and restores it from there', async () => {
    const session = createMemoryStorageArea()
    const first = createSessionKeyIdentity({ sessionArea: session, generateSecretKey: () => sk })
    await first.generate()
    expect(Object.keys(session.dump())).toEqual(['secretKey'])
    // A restarted worker starts with an empty memory.
    const restarted = createSessionKeyIdentity({ sessionArea: session })
    await restarted.load()
    expect(restarted.pubkey()).toBe(getPublicKey(sk))
  })

  it('imports a key, replacing the current one, and rejects bad input without changing it', async () => {
    const session = createMemoryStorageArea()
    const id = createSessionKeyIdentity({ sessionArea: session, generateSecretKey: () => sk })
    await id.generate()
    const other = new Uint8Array(32).fill(3)
    const hex = Array.from(other, (b) => b.toString(16).padStart(2, '0')).join('')
    expect(await id.importKey(hex)).toBe(getPublicKey(other))
    await expect(id.importKey('npub1xyz')).rejects.toThrow('public key')
    expect(id.pubkey()).toBe(getPublicKey(other))
    expect(session.dump()).toEqual({ secretKey: hex })
  })
})
