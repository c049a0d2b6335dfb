/**
 * Bencode (BEP 3) for tracker answers, through the maintained `bencode`
 * package, shared by the relay's tracker and the extension's replace mode.
 * Browser-safe: bytes are Uint8Array, never Node's Buffer.
 */
import bencode from 'bencode'

/** A bencodable value as trackers build them: integers are JS safe integers. */
export type BValue = number | string | Uint8Array | readonly BValue[] | { [key: string]: BValue }

/** Encodes a dict with text keys (sorted by the library, which matches byte order for ASCII keys). */
export function encodeDict(dict: Readonly<Record<string, BValue>>): Uint8Array {
  return bencode.encode(dict)
}

/** `d14:failure reason<len>:<text>e`: what every refusal is, with HTTP 200 so clients read it. */
export function encodeFailure(reason: string): Uint8Array {
  return encodeDict({ 'failure reason': reason })
}

/** Decodes bencoded bytes; byte strings come back as Uint8Array. @throws on malformed input */
export function decode(data: Uint8Array): unknown {
  return bencode.decode(data)
}
