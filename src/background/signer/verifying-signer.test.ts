import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import {
  finalizeEvent,
  generateSecretKey,
  getPublicKey,
  verifiedSymbol,
  verifyEvent,
} from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { createLocalKeySigner } from './local-key'
import type { Signer } from './signer'
import { createVerifyingSigner } from './verifying-signer'

const template: EventTemplate = {
  kind: 21000,
  created_at: 1700000000,
  tags: [
    ['i', 'ab'.repeat(20)],
    ['uploaded', '1'],
  ],
  content: '',
}

function signerReturning(make: (t: EventTemplate) => unknown): Signer {
  return {
    getPublicKey: () => Promise.resolve(''),
    signEvent: (t) => Promise.resolve(make(t) as NostrEvent),
  }
}

describe('createVerifyingSigner', () => {
  const sk = generateSecretKey()
  const pubkey = getPublicKey(sk)

  it('passes through a correct signature as a fresh copy', async () => {
    const inner = createLocalKeySigner(sk)
    const v = createVerifyingSigner(inner, pubkey)
    const ev = await v.signEvent(template)
    expect(ev.pubkey).toBe(pubkey)
    expect(await v.getPublicKey()).toBe(pubkey)
  })

  it('rejects an event signed by another key', async () => {
    const other = createLocalKeySigner(generateSecretKey())
    await expect(createVerifyingSigner(other, pubkey).signEvent(template)).rejects.toThrow(
      /signer used pubkey [0-9a-f]{64}, expected/,
    )
  })

  it('rejects an event whose content differs from the template', async () => {
    const tampered = signerReturning((t) =>
      finalizeEvent({ ...t, tags: [['i', 'cd'.repeat(20)]] }, sk),
    )
    await expect(createVerifyingSigner(tampered, pubkey).signEvent(template)).rejects.toThrow(
      'signer changed the event',
    )
  })

  it('rejects a bad signature even when the returned object carries a cached verdict', async () => {
    let forgedObject: NostrEvent | undefined
    const forged = signerReturning((t) => {
      const ev = finalizeEvent({ ...t, tags: t.tags.map((x) => [...x]) }, sk)
      // Spreading keeps nostr-tools' cached "verified" mark while the signature changes.
      forgedObject = { ...ev, sig: ev.sig.replace(/^./, ev.sig.startsWith('0') ? '1' : '0') }
      return forgedObject
    })
    await expect(createVerifyingSigner(forged, pubkey).signEvent(template)).rejects.toThrow(
      'invalid id or signature',
    )
    // The trap the fresh copy avoids: the forged object itself still "verifies".
    expect((forgedObject as unknown as Record<symbol, unknown>)[verifiedSymbol]).toBe(true)
    expect(verifyEvent(forgedObject!)).toBe(true)
  })

  it('rejects garbage', async () => {
    await expect(
      createVerifyingSigner(
        signerReturning(() => null),
        pubkey,
      ).signEvent(template),
    ).rejects.toThrow('signer returned no event')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(
      createVerifyingSigner(
        signerReturning(() => cyclic),
        pubkey,
      ).signEvent(template),
    ).rejects.toThrow('not JSON')
  })
})
