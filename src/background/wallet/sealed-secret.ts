import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { scrypt } from '@noble/hashes/scrypt.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import { WalletError } from './wallet-error'

/**
 * Password sealing for secrets kept in extension storage (the NWC URI can
 * spend from the user's wallet), in the manner of NIP-49: scrypt(password
 * NFKC, 16-byte salt, N = 2^logN, r = 8, p = 1) → 32-byte key, then
 * XChaCha20-Poly1305 with a random 24-byte nonce. NIP-49 itself only
 * carries a 32-byte key; this carries any text, so its format is its own:
 * `tseed-sealed:v1:<logN>:<base64 salt>:<base64 nonce>:<base64 ciphertext>`.
 * The header is the AEAD's associated data, so no part of it can be altered.
 */

const PREFIX = 'tseed-sealed:v1'
/** NIP-49's own recommendation; about a quarter second in a browser. */
export const DEFAULT_LOG_N = 16
const MIN_LOG_N = 10
const MAX_LOG_N = 20

export function sealSecret(text: string, password: string, opts: { logN?: number } = {}): string {
  const logN = opts.logN ?? DEFAULT_LOG_N
  if (!Number.isInteger(logN) || logN < MIN_LOG_N || logN > MAX_LOG_N) {
    throw new WalletError(
      'bad_input',
      `logN must be a whole number from ${MIN_LOG_N} to ${MAX_LOG_N}`,
    )
  }
  if (password.length === 0) throw new WalletError('bad_input', 'Choose a password.')
  const salt = randomBytes(16)
  const nonce = randomBytes(24)
  const header = `${PREFIX}:${logN}`
  const key = deriveKey(password, salt, logN)
  const sealed = xchacha20poly1305(key, nonce, new TextEncoder().encode(header)).encrypt(
    new TextEncoder().encode(text),
  )
  key.fill(0)
  return `${header}:${base64.encode(salt)}:${base64.encode(nonce)}:${base64.encode(sealed)}`
}

/** The text sealed with `password`; a wrong password or any alteration is `wrong_password`. */
export function openSecret(sealed: string, password: string): string {
  const parts = sealed.split(':')
  const [p1, p2, logText, saltText, nonceText, ctText] = parts
  if (parts.length !== 6 || `${p1}:${p2}` !== PREFIX || logText === undefined) {
    throw new WalletError('bad_input', 'This is not a sealed secret.')
  }
  const logN = Number(logText)
  if (!/^[0-9]{2}$/.test(logText) || logN < MIN_LOG_N || logN > MAX_LOG_N) {
    throw new WalletError('bad_input', 'This sealed secret has an unsupported cost setting.')
  }
  let salt: Uint8Array, nonce: Uint8Array, ct: Uint8Array
  try {
    salt = base64.decode(saltText ?? '')
    nonce = base64.decode(nonceText ?? '')
    ct = base64.decode(ctText ?? '')
  } catch {
    throw new WalletError('bad_input', 'This sealed secret is damaged.')
  }
  if (salt.length !== 16 || nonce.length !== 24) {
    throw new WalletError('bad_input', 'This sealed secret is damaged.')
  }
  const key = deriveKey(password, salt, logN)
  try {
    const plain = xchacha20poly1305(
      key,
      nonce,
      new TextEncoder().encode(`${PREFIX}:${logN}`),
    ).decrypt(ct)
    return new TextDecoder('utf-8', { fatal: true }).decode(plain)
  } catch {
    throw new WalletError('wrong_password', 'Wrong password (or the sealed secret was altered).')
  } finally {
    key.fill(0)
  }
}

function deriveKey(password: string, salt: Uint8Array, logN: number): Uint8Array {
  return scrypt(new TextEncoder().encode(password.normalize('NFKC')), salt, {
    N: 2 ** logN,
    r: 8,
    p: 1,
    dkLen: 32,
  })
}
