/**
 * Valid signed events for the fuzzers to send and mutate: kind 21000
 * announces and ephemeral events, from many keys, signed by nostr-tools.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { toEventTemplate } from '../../../src/nostr/kind21000'
import type { Random } from './prng'

/** An ephemeral kind the relay forwards (NIP-46 signer traffic). */
export const EPHEMERAL_KIND = 24133

/**
 * `count` events dated `now` (unix seconds): announces of both seeders and
 * downloaders, and ephemeral events. Keys are fresh; the shapes follow `r`.
 */
export function signedPool(count: number, now: number, r: Random): NostrEvent[] {
  const keys = Array.from({ length: Math.max(1, Math.ceil(count / 4)) }, () => generateSecretKey())
  const hex = (bytes: number): string => {
    const b = new Uint8Array(bytes)
    for (let i = 0; i < bytes; i++) b[i] = r.int(256)
    return bytesToHex(b)
  }
  return Array.from({ length: count }, (_, i) => {
    const sk = keys[i % keys.length] as Uint8Array
    if (i % 2 === 0) {
      const template = toEventTemplate(
        {
          infoHash: hex(20),
          uploaded: BigInt(r.int(1_000_000)),
          downloaded: BigInt(r.int(1_000_000)),
          left: r.chance(0.5) ? 0n : BigInt(1 + r.int(1_000_000)),
          event: 'started',
          session: hex(16),
        },
        now,
      )
      return finalizeEvent(template, sk)
    }
    return finalizeEvent(
      {
        kind: EPHEMERAL_KIND,
        created_at: now,
        tags: [['p', hex(32)]],
        content: hex(1 + r.int(64)),
      },
      sk,
    )
  })
}
