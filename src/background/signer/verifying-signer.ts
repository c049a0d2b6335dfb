import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { verifyEvent } from 'nostr-tools/pure'
import type { Signer } from './signer'

/** A signer returned something that is not a valid signature of what was asked. */
export class SignatureCheckError extends Error {
  override name = 'SignatureCheckError'
}

/**
 * Wraps a signer so that every event it returns is checked: right pubkey,
 * exactly the requested content, valid id and signature. The check runs on a
 * fresh `JSON.parse` copy, because nostr-tools caches a verdict on the event
 * object, and an outside signer (NIP-07 page, NIP-46 bunker) could hand back
 * an object it prepared. The checked copy is what callers get.
 */
export function createVerifyingSigner(inner: Signer, expectedPubkey: string): Signer {
  return {
    getPublicKey: () => Promise.resolve(expectedPubkey),
    async signEvent(template) {
      const returned: unknown = await inner.signEvent(template)
      let copy: unknown
      try {
        copy = JSON.parse(JSON.stringify(returned))
      } catch {
        throw new SignatureCheckError('signer returned something that is not JSON')
      }
      return checkSigned(copy, template, expectedPubkey)
    },
  }
}

function checkSigned(value: unknown, template: EventTemplate, pubkey: string): NostrEvent {
  if (typeof value !== 'object' || value === null) {
    throw new SignatureCheckError('signer returned no event')
  }
  const ev = value as NostrEvent
  if (ev.pubkey !== pubkey) {
    throw new SignatureCheckError(`signer used pubkey ${ev.pubkey}, expected ${pubkey}`)
  }
  if (
    ev.kind !== template.kind ||
    ev.created_at !== template.created_at ||
    ev.content !== template.content ||
    JSON.stringify(ev.tags) !== JSON.stringify(template.tags)
  ) {
    throw new SignatureCheckError('signer changed the event it was asked to sign')
  }
  if (!verifyEvent(ev)) throw new SignatureCheckError('signer returned an invalid id or signature')
  return ev
}
