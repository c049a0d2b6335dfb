import { randomBytes } from 'node:crypto'
import { bytesToHex } from '../../../src/nostr/tracker-announce'

/**
 * A 20-byte info hash that contains the bytes most likely to be mangled on the
 * way: 0xFF (lost by UTF-8 decoding) and 0x2B '+' (turned into a space by
 * form decoding), plus random bytes so tests never collide.
 */
export function trickyInfoHash(): { bytes: Uint8Array; hex: string } {
  const bytes = new Uint8Array(randomBytes(20))
  bytes[0] = 0xff
  bytes[1] = 0x2b
  bytes[2] = 0x20
  bytes[3] = 0x00
  return { bytes, hex: bytesToHex(bytes) }
}
