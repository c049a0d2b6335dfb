import { npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey as nostrGenerateSecretKey } from 'nostr-tools/pure'
import { createStorageItem, type StorageAreaLike } from '../storage-item'
import { createLocalKeySigner, hexToBytes, parseSecretKey, secretKeyToHex } from './local-key'
import type { Signer } from './signer'
import { createVerifyingSigner } from './verifying-signer'

/** The signing identity the pipeline uses, if the user has one. */
export interface Identity {
  /** Restores the key after a worker restart. Safe to call more than once. */
  load(): Promise<void>
  signer(): Signer | null
  pubkey(): string | null
  npub(): string | null
  /** Creates a new random key, replacing any current one; returns the pubkey. */
  generate(): Promise<string>
  /** @throws KeyImportError */
  importKey(text: string): Promise<string>
}

export interface SessionKeyIdentityOptions {
  /** `browser.storage.session`. Never pass `storage.local`. */
  sessionArea: StorageAreaLike
  generateSecretKey?: () => Uint8Array
}

/**
 * TEMPORARY key storage: the secret key lives only in memory and in
 * `storage.session`, which the browser clears when it closes, so the key is
 * lost then and the user must generate or import one again. It is never
 * written to `storage.local`, logged, or sent to a content script. Encrypted
 * storage (NIP-49 `ncryptsec` in `storage.local`, unlocked into
 * `storage.session` with a password) replaces this.
 */
export function createSessionKeyIdentity(opts: SessionKeyIdentityOptions): Identity {
  const generateSecretKey = opts.generateSecretKey ?? nostrGenerateSecretKey
  const stored = createStorageItem<string | null>(opts.sessionArea, 'secretKey', {
    defaultValue: null,
    parse: (raw) => (typeof raw === 'string' && /^[0-9a-f]{64}$/.test(raw) ? raw : undefined),
  })
  let current: { signer: Signer; pubkey: string; npub: string } | null = null

  const activate = async (sk: Uint8Array): Promise<string> => {
    const local = createLocalKeySigner(sk)
    const pubkey = await local.getPublicKey()
    current = { signer: createVerifyingSigner(local, pubkey), pubkey, npub: npubEncode(pubkey) }
    return pubkey
  }

  return {
    async load() {
      if (current !== null) return
      const hex = await stored.get()
      if (hex !== null) await activate(hexToBytes(hex))
    },
    signer: () => current?.signer ?? null,
    pubkey: () => current?.pubkey ?? null,
    npub: () => current?.npub ?? null,
    async generate() {
      const sk = generateSecretKey()
      await stored.set(secretKeyToHex(sk))
      return activate(sk)
    },
    async importKey(text) {
      const sk = parseSecretKey(text)
      await stored.set(secretKeyToHex(sk))
      return activate(sk)
    },
  }
}
