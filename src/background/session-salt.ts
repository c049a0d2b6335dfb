import { bytesToHex } from '../nostr/tracker-announce'
import { createStorageItem, type StorageAreaLike } from './storage-item'

export const SESSION_SALT_BYTES = 32
const HEX64 = /^[0-9a-f]{64}$/

/**
 * Returns this install's session salt, creating it on first use. The salt
 * keeps the published `session` tag from being recomputed by anyone who
 * knows the peer_id (kind21000.ts `sessionTag`), so it must stay stable per
 * install and never leave `storage.local`.
 */
export async function loadSessionSalt(
  area: StorageAreaLike,
  randomBytes: (n: number) => Uint8Array,
): Promise<Uint8Array> {
  const item = createStorageItem<string | null>(area, 'sessionSalt', {
    defaultValue: null,
    parse: (raw) => (typeof raw === 'string' && HEX64.test(raw) ? raw : undefined),
  })
  const stored = await item.get()
  if (stored !== null) return hexToBytes(stored)
  const salt = randomBytes(SESSION_SALT_BYTES)
  if (salt.length !== SESSION_SALT_BYTES) throw new Error('random source returned a short salt')
  await item.set(bytesToHex(salt))
  return salt
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}
