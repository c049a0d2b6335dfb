import { Nip47Error, parseWalletConnectUri } from '../../nostr/nip47'
import { MIN_PASSWORD_LENGTH, WrongPasswordError } from '../signer/encrypted-key-identity'
import type { SigningIdentity } from '../signer/identity'
import { createStorageItem, type StorageAreaLike } from '../storage-item'
import { openSecret, sealSecret } from './sealed-secret'
import { WalletError } from './wallet-error'

/** `locked`: connected, but the connection string is sealed until a password opens it. */
export type NwcStatus = 'none' | 'locked' | 'ready'

/**
 * Which password opens the sealed connection string:
 * - `key`: the password of the key stored in the extension, so one
 *   password opens both and unlocking the key opens the wallet;
 * - `wallet`: one the user chose for the wallet alone, because they sign
 *   with NIP-07 or a bunker and have no stored key whose password could.
 */
export type NwcPasswordKind = 'key' | 'wallet'

export interface NwcConnectionView {
  status: NwcStatus
  /** For `none`: the password connecting would ask for. Otherwise: the one that opens it. */
  password: NwcPasswordKind
}

interface SealedConnection {
  sealed: string
  password: NwcPasswordKind
}

export interface NwcConnectionDeps {
  localArea: StorageAreaLike
  sessionArea: StorageAreaLike
  identity: Pick<SigningIdentity, 'state' | 'exportKey'>
  /** scrypt cost of the seal (NIP-49 LOG_N); the default is sealed-secret.ts's. */
  logN?: number
  warn: (message: string) => void
}

const MAX_PASSWORD_LENGTH = 1_000

/**
 * The user's NWC wallet: the `nostr+walletconnect://` string can spend from
 * it, so `storage.local` holds it only sealed with a password, and the open
 * string lives in `storage.session`, which the browser clears on restart.
 */
export function createNwcConnection(d: NwcConnectionDeps) {
  const sealedItem = createStorageItem<SealedConnection | null>(d.localArea, 'nwcSealed', {
    defaultValue: null,
    parse: (raw) => {
      // Older versions stored the bare sealed text, always under the key's password.
      if (typeof raw === 'string') return { sealed: raw, password: 'key' }
      if (typeof raw !== 'object' || raw === null) return undefined
      const r = raw as Record<string, unknown>
      return typeof r.sealed === 'string' && (r.password === 'key' || r.password === 'wallet')
        ? { sealed: r.sealed, password: r.password }
        : undefined
    },
  })
  const openItem = createStorageItem<string | null>(d.sessionArea, 'nwcUri', {
    defaultValue: null,
    parse: (raw) => (typeof raw === 'string' ? raw : undefined),
  })

  // Only a key stored here has a password; an outside signer's key never passes through us.
  const passwordForNew = (): NwcPasswordKind => {
    const state = d.identity.state()
    return state === 'locked' || state === 'unlocked' ? 'key' : 'wallet'
  }

  const wrongPassword = (kind: NwcPasswordKind, cause: unknown): WalletError =>
    new WalletError(
      'wrong_password',
      kind === 'key'
        ? "That is not your key's password; your wallet connection opens with it."
        : 'That is not the password you chose for your wallet connection.',
      { cause },
    )

  return {
    async view(): Promise<NwcConnectionView> {
      const [sealed, open] = await Promise.all([sealedItem.get(), openItem.get()])
      if (sealed === null) return { status: 'none', password: passwordForNew() }
      return { status: open === null ? 'locked' : 'ready', password: sealed.password }
    },

    /** The open connection string, or null while locked or not connected. */
    uri: (): Promise<string | null> => openItem.get(),

    /**
     * Seals `uri` with `password`: the stored key's password when there is
     * a stored key (checked against it), otherwise a new password of at
     * least {@link MIN_PASSWORD_LENGTH} characters for the wallet alone.
     */
    async connect(uri: string, password: string): Promise<NwcPasswordKind> {
      const text = uri.trim()
      try {
        parseWalletConnectUri(text)
      } catch (e) {
        if (!(e instanceof Nip47Error)) throw e
        throw new WalletError(
          'bad_input',
          `This is not a Nostr Wallet Connect string (${e.message}). Copy it again from your wallet.`,
          { cause: e },
        )
      }
      const kind = passwordForNew()
      if (kind === 'key') {
        try {
          await d.identity.exportKey(password)
        } catch (e) {
          if (e instanceof WrongPasswordError) throw wrongPassword('key', e)
          throw e
        }
      } else if (password.length < MIN_PASSWORD_LENGTH) {
        throw new WalletError(
          'bad_input',
          `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters for your wallet connection.`,
        )
      } else if (password.length > MAX_PASSWORD_LENGTH) {
        throw new WalletError('bad_input', 'This password is too long.')
      }
      const sealed = sealSecret(text, password, d.logN !== undefined ? { logN: d.logN } : {})
      await sealedItem.set({ sealed, password: kind })
      await openItem.set(text)
      return kind
    },

    /** Opens the sealed string with the password it was sealed with, whichever kind. */
    async unlock(password: string): Promise<void> {
      const sealed = await sealedItem.get()
      if (sealed === null) throw new WalletError('bad_input', 'No wallet is connected.')
      let uri: string
      try {
        uri = openSecret(sealed.sealed, password)
      } catch (e) {
        if (e instanceof WalletError && e.code === 'wrong_password') {
          throw wrongPassword(sealed.password, e)
        }
        throw e
      }
      await openItem.set(uri)
    },

    /** The stored key was unlocked with `password`: a wallet sealed with the key's password opens too. */
    async keyUnlocked(password: string): Promise<void> {
      const sealed = await sealedItem.get()
      if (sealed?.password !== 'key') return
      try {
        await openItem.set(openSecret(sealed.sealed, password))
      } catch (e) {
        d.warn(
          `tseed: the NWC wallet did not open with the key's password: ${(e as Error).message}`,
        )
      }
    },

    lock: (): Promise<void> => openItem.remove(),

    async forget(): Promise<void> {
      await Promise.all([sealedItem.remove(), openItem.remove()])
    },
  }
}

export type NwcConnection = ReturnType<typeof createNwcConnection>
