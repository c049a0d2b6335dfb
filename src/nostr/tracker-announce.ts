/**
 * A tracker announce as a BitTorrent client sent it, normalised from either
 * transport (HTTP query, BEP 3/23; WebTorrent WebSocket JSON). Nothing here is
 * published as is: peer_id and key stay local and only feed the session hash.
 */
export type AnnounceEventName = 'started' | 'completed' | 'stopped'

export interface TrackerAnnounce {
  /** 40 lowercase hex: a v1 SHA-1, or a v2 SHA-256 truncated to 20 bytes (BEP 52). */
  infoHash: string
  /** The raw 20-byte peer_id. */
  peerId: Uint8Array
  uploaded: bigint
  downloaded: bigint
  /** null when the client does not know it yet (WebTorrent before metadata). */
  left: bigint | null
  port?: number
  /** Absent for periodic announces; BEP 21 `paused` and empty values map to absent. */
  event?: AnnounceEventName
  /** The BEP 7 key as sent, raw bytes. */
  key?: Uint8Array
  numwant?: number
}

/** Thrown for any announce that cannot be understood; `message` is safe to log. */
export class AnnounceParseError extends Error {
  override name = 'AnnounceParseError'
}

/** Largest counter a tracker protocol can carry (unsigned 64-bit). */
export const MAX_COUNTER = (1n << 64n) - 1n

export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return hex
}
