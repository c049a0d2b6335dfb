import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { decode } from 'nostr-tools/nip19'
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure'
import { bytesToHex } from '../../nostr/tracker-announce'
import type { Signer } from './signer'

/** A secret key the user typed that cannot be used. The message never repeats the input. */
export class KeyImportError extends Error {
  override name = 'KeyImportError'
}

const HEX64 = /^[0-9a-fA-F]{64}$/

/**
 * Reads a secret key given as 64 hex chars or as a NIP-19 `nsec1…`.
 *
 * @throws KeyImportError with a message fit for the popup.
 */
export function parseSecretKey(input: string): Uint8Array {
  const text = input.trim()
  if (text === '') throw new KeyImportError('Paste a secret key (64 hex characters or nsec1…)')
  let sk: Uint8Array
  if (HEX64.test(text)) {
    sk = hexToBytes(text.toLowerCase())
  } else if (text.startsWith('nsec1')) {
    let decoded: ReturnType<typeof decode>
    try {
      // A valid bech32 string of another NIP-19 type decodes too; its type is checked below.
      decoded = decode(text)
    } catch {
      throw new KeyImportError('This nsec is damaged (bad checksum or length); copy it again')
    }
    if (decoded.type !== 'nsec') throw new KeyImportError('This is not an nsec secret key')
    sk = decoded.data
  } else if (text.startsWith('npub1')) {
    throw new KeyImportError('This is a public key (npub); signing needs the secret key (nsec)')
  } else if (text.startsWith('ncryptsec1')) {
    // Decrypting needs the password: the caller handles ncryptsec before it gets here.
    throw new KeyImportError(
      'This is an encrypted key (ncryptsec); enter its password to import it',
    )
  } else {
    throw new KeyImportError('A secret key is 64 hex characters or starts with nsec1')
  }
  try {
    getPublicKey(sk)
  } catch {
    throw new KeyImportError('This is not a valid secp256k1 secret key')
  }
  return sk
}

/** A signer holding the secret key in memory. */
export function createLocalKeySigner(secretKey: Uint8Array): Signer {
  const sk = Uint8Array.from(secretKey)
  const pubkey = getPublicKey(sk)
  return {
    getPublicKey: () => Promise.resolve(pubkey),
    signEvent(template: EventTemplate): Promise<NostrEvent> {
      // finalizeEvent writes id, pubkey and sig into its argument; the caller's
      // template must stay untouched so it can be compared afterwards.
      const copy: EventTemplate = {
        kind: template.kind,
        created_at: template.created_at,
        tags: template.tags.map((t) => [...t]),
        content: template.content,
      }
      return Promise.resolve(finalizeEvent(copy, sk))
    },
  }
}

export function secretKeyToHex(sk: Uint8Array): string {
  return bytesToHex(sk)
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}
