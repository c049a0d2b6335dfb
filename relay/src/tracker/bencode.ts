/**
 * Bencoded tracker answers (BEP 3) through the `bencode` library. One case
 * is assembled here: a dict whose keys are raw bytes (BEP 48's `files`,
 * keyed by 20-byte info hashes). The library sorts such keys by their
 * comma-joined decimal text, not by their bytes as bencode requires, and
 * would UTF-8 encode them if given as strings; so those keys are sorted and
 * framed here, and every value still goes through the library.
 */
import bencode from 'bencode'
import * as shared from '../../../src/nostr/bencode'

export type { BValue } from '../../../src/nostr/bencode'
type BValue = shared.BValue

/** Encodes a dict with text keys (sorted by the library, which matches byte order for ASCII keys). */
export function encodeDict(dict: Readonly<Record<string, BValue>>): Buffer {
  return toBuffer(shared.encodeDict(dict))
}

/** `d14:failure reason<len>:<text>e`: what every refusal is, with HTTP 200 so clients read it. */
export function encodeFailure(reason: string): Buffer {
  return toBuffer(shared.encodeFailure(reason))
}

/**
 * A dict keyed by raw bytes, sorted bytewise as bencode requires, each
 * value encoded by the library. Duplicate keys keep the first entry.
 */
export function encodeBinaryKeyDict(
  entries: readonly { key: Uint8Array; value: BValue }[],
): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.key, b.key))
  const parts: Uint8Array[] = [D]
  let last: Uint8Array | undefined
  for (const { key, value } of sorted) {
    if (last !== undefined && Buffer.compare(last, key) === 0) continue
    last = key
    parts.push(bencode.encode(key), bencode.encode(value))
  }
  parts.push(E)
  return Buffer.concat(parts)
}

/**
 * A dict with text keys where some values are already bencoded (the output
 * of {@link encodeBinaryKeyDict}); `raw` values are spliced in as they are.
 */
export function encodeDictWithRaw(
  dict: Readonly<Record<string, BValue>>,
  raw: Readonly<Record<string, Uint8Array>>,
): Buffer {
  const keys = [...Object.keys(dict), ...Object.keys(raw)].sort()
  const parts: Uint8Array[] = [D]
  for (const k of keys) {
    parts.push(bencode.encode(k))
    const r = raw[k]
    parts.push(r ?? bencode.encode(dict[k]))
  }
  parts.push(E)
  return Buffer.concat(parts)
}

/** Decodes a tracker answer (tests and the make-torrent command read what they wrote). */
export function decode(data: Uint8Array): unknown {
  return shared.decode(data)
}

const D = Uint8Array.of(0x64)
const E = Uint8Array.of(0x65)

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength)
}
