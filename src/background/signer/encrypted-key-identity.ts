import { npubEncode, nsecEncode } from 'nostr-tools/nip19'
import { decrypt as nip49Decrypt, encrypt as nip49Encrypt } from 'nostr-tools/nip49'
import { generateSecretKey as nostrGenerateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { createStorageItem, type StorageAreaLike } from '../storage-item'
import {
  createLocalKeySigner,
  hexToBytes,
  KeyImportError,
  parseSecretKey,
  secretKeyToHex,
} from './local-key'
import type { Signer } from './signer'
import { createVerifyingSigner } from './verifying-signer'

/**
 * - `none`: no key yet;
 * - `locked`: the encrypted key is stored, the password is needed to sign;
 * - `unlocked`: the key is in `storage.session` and signs;
 * - `unprotected`: a key from an older version that lives only in
 *   `storage.session`; it signs, and the user is offered to protect it.
 */
export type KeyState = 'none' | 'locked' | 'unlocked' | 'unprotected'

/** The signing identity the pipeline uses, if the user has one. */
export interface Identity {
  /** Restores the state after a worker restart. Safe to call more than once. */
  load(): Promise<void>
  state(): KeyState
  /** null unless unlocked (or unprotected). */
  signer(): Signer | null
  /** Known while locked too: the popup shows whose key is locked. */
  pubkey(): string | null
  npub(): string | null
  /** Creates a new random key protected by `password`, replacing any current one. */
  generate(password: string): Promise<string>
  /** Imports nsec, hex or ncryptsec. An ncryptsec is opened with `password` and stored as given. @throws KeyImportError, WrongPasswordError, PasswordError */
  importKey(text: string, password: string): Promise<string>
  /** Encrypts an unprotected key with `password` (the one-step migration). */
  protect(password: string): Promise<void>
  /** @throws WrongPasswordError */
  unlock(password: string): Promise<void>
  lock(): Promise<void>
  /** The key in both forms, only after the password again. @throws WrongPasswordError */
  exportKey(password: string): Promise<{ nsec: string; ncryptsec: string }>
}

/** A password too weak to protect a key; the message is shown as is. */
export class PasswordError extends Error {
  override name = 'PasswordError'
}

/** The password does not open the stored key. */
export class WrongPasswordError extends Error {
  override name = 'WrongPasswordError'
  constructor() {
    super('Wrong password')
  }
}

export const MIN_PASSWORD_LENGTH = 8
const MAX_PASSWORD_LENGTH = 1_000

export interface EncryptedKeyIdentityOptions {
  /** `storage.local`: the NIP-49 `ncryptsec` and its pubkey, never the key itself. */
  localArea: StorageAreaLike
  /** `storage.session`: the unlocked key, cleared when the browser closes. */
  sessionArea: StorageAreaLike
  generateSecretKey?: () => Uint8Array
  /** scrypt cost (NIP-49 LOG_N); 16 by default (≈ 64 MiB, a fraction of a second). */
  logN?: number
}

interface StoredKey {
  pubkey: string
  ncryptsec: string
}

/**
 * The user's own key, stored only as NIP-49 `ncryptsec` in `storage.local`
 * under a password the user chose. Unlocking decrypts it into
 * `storage.session` (and memory), which the browser clears when it closes;
 * the plaintext key is never written to `storage.local`, logged, or sent to a
 * content script. Every signature is checked by the verifying wrapper.
 */
export function createEncryptedKeyIdentity(opts: EncryptedKeyIdentityOptions): Identity {
  const generateSecretKey = opts.generateSecretKey ?? nostrGenerateSecretKey
  const logN = opts.logN ?? 16
  const stored = createStorageItem<StoredKey | null>(opts.localArea, 'encryptedKey', {
    defaultValue: null,
    parse: (raw) => {
      if (typeof raw !== 'object' || raw === null) return undefined
      const r = raw as Record<string, unknown>
      return typeof r.pubkey === 'string' &&
        /^[0-9a-f]{64}$/.test(r.pubkey) &&
        typeof r.ncryptsec === 'string' &&
        r.ncryptsec.startsWith('ncryptsec1')
        ? { pubkey: r.pubkey, ncryptsec: r.ncryptsec }
        : undefined
    },
  })
  // The key name older versions used, so their session keys are picked up.
  const unlocked = createStorageItem<string | null>(opts.sessionArea, 'secretKey', {
    defaultValue: null,
    parse: (raw) => (typeof raw === 'string' && /^[0-9a-f]{64}$/.test(raw) ? raw : undefined),
  })

  let record: StoredKey | null = null
  let active: { signer: Signer; pubkey: string } | null = null
  let loaded = false

  const activate = async (sk: Uint8Array): Promise<string> => {
    const pubkey = getPublicKey(sk)
    await unlocked.set(secretKeyToHex(sk))
    active = { signer: createVerifyingSigner(createLocalKeySigner(sk), pubkey), pubkey }
    return pubkey
  }

  const checkPassword = (password: string): void => {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new PasswordError(`Choose a password of at least ${MIN_PASSWORD_LENGTH} characters`)
    }
    if (password.length > MAX_PASSWORD_LENGTH) throw new PasswordError('This password is too long')
  }

  const open = (ncryptsec: string, password: string): Uint8Array => {
    try {
      return nip49Decrypt(ncryptsec, password)
    } catch {
      throw new WrongPasswordError()
    }
  }

  const protectWith = async (
    sk: Uint8Array,
    password: string,
    ncryptsec?: string,
  ): Promise<string> => {
    const next = {
      pubkey: getPublicKey(sk),
      ncryptsec: ncryptsec ?? nip49Encrypt(sk, password, logN),
    }
    await stored.set(next)
    record = next
    return activate(sk)
  }

  const pubkey = (): string | null => active?.pubkey ?? record?.pubkey ?? null

  return {
    async load() {
      if (loaded) return
      record = await stored.get()
      const hex = await unlocked.get()
      if (hex !== null) {
        const sk = hexToBytes(hex)
        // A session key that is not the stored key's (an older version's) is dropped.
        if (record === null || getPublicKey(sk) === record.pubkey) await activate(sk)
        else await unlocked.remove()
      }
      loaded = true
    },

    state() {
      if (record === null) return active === null ? 'none' : 'unprotected'
      return active === null ? 'locked' : 'unlocked'
    },

    signer: () => active?.signer ?? null,
    pubkey,
    npub: () => {
      const pk = pubkey()
      return pk === null ? null : npubEncode(pk)
    },

    async generate(password) {
      checkPassword(password)
      return protectWith(generateSecretKey(), password)
    },

    async importKey(text, password) {
      const trimmed = text.trim()
      if (trimmed.startsWith('ncryptsec1')) {
        if (password === '') throw new PasswordError('Enter the password of this encrypted key')
        let sk: Uint8Array
        try {
          sk = nip49Decrypt(trimmed, password)
        } catch {
          throw new KeyImportError('The password does not open this ncryptsec, or it is damaged')
        }
        // Kept as given: re-encrypting would change nothing but its cost parameters.
        return protectWith(sk, password, trimmed)
      }
      checkPassword(password)
      return protectWith(parseSecretKey(trimmed), password)
    },

    async protect(password) {
      checkPassword(password)
      const hex = await unlocked.get()
      if (record !== null || hex === null) throw new Error('There is no unprotected key')
      await protectWith(hexToBytes(hex), password)
    },

    async unlock(password) {
      if (record === null) throw new Error('There is no stored key to unlock')
      await activate(open(record.ncryptsec, password))
    },

    async lock() {
      if (record === null) throw new Error('Protect the key with a password before locking it')
      active = null
      await unlocked.remove()
    },

    exportKey: (password) =>
      // A throw inside the executor rejects the promise, as in an async function.
      new Promise((resolve) => {
        if (record === null) throw new Error('There is no stored key')
        const sk = open(record.ncryptsec, password)
        resolve({ nsec: nsecEncode(sk), ncryptsec: record.ncryptsec })
      }),
  }
}
