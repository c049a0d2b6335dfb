/**
 * Announces a WebTorrent client sends to a WebSocket tracker (the
 * bittorrent-tracker JSON protocol). The messages come from web pages, so
 * every field is checked for type and size before it is used.
 */
import {
  AnnounceParseError,
  bytesToHex,
  type AnnounceEventName,
  type TrackerAnnounce,
} from './tracker-announce'

/**
 * Largest text frame worth parsing. A real announce carries at most ten SDP
 * offers of a few kB each; longer frames are some other traffic.
 */
export const MAX_WS_FRAME_CHARS = 256 * 1024

const ID_CHARS = 20
const MAX_NUMWANT = 0xffffffff

/**
 * Converts a "binary string" (one char per byte, as bittorrent-tracker sends
 * info_hash and peer_id) to bytes.
 *
 * @throws AnnounceParseError if a char code is above 255, i.e. the string was
 *   never a byte string.
 */
export function binaryStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) throw new AnnounceParseError(`char code ${c} at ${i} is not a byte`)
    out[i] = c
  }
  return out
}

/**
 * Reads a client announce from a parsed WebSocket tracker message.
 *
 * Returns null for anything that is not a client announce with counters:
 * non-objects, scrapes, tracker replies, relayed offers and WebRTC answers.
 * SDP offers are never read, so no candidate address can leak from here.
 *
 * Code running in a page's MAIN world shares that page's globals, so the
 * receiving side must parse again whatever was forwarded to it.
 *
 * @throws AnnounceParseError for a message that claims to be an announce but
 *   is malformed.
 * @example parseWsAnnounce(JSON.parse(frame))
 */
export function parseWsAnnounce(msg: unknown): TrackerAnnounce | null {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return null
  // Each field is read exactly once: a page can pass an object whose getters
  // answer differently on every read.
  const action = own(msg, 'action')
  if (action !== 'announce') return null
  if (own(msg, 'answer') !== undefined || own(msg, 'to_peer_id') !== undefined) return null
  const uploadedRaw = own(msg, 'uploaded')
  const downloadedRaw = own(msg, 'downloaded')
  const leftRaw = own(msg, 'left')
  // Tracker replies and relayed offers share `action: announce` but carry no counters.
  if (uploadedRaw === undefined && downloadedRaw === undefined && leftRaw === undefined) {
    return null
  }

  const infoHash = binaryId(own(msg, 'info_hash'), 'info_hash')
  const peerId = binaryId(own(msg, 'peer_id'), 'peer_id')
  const announce: TrackerAnnounce = {
    infoHash: bytesToHex(infoHash),
    peerId,
    uploaded: BigInt(count(uploadedRaw, 'uploaded')),
    downloaded: BigInt(count(downloadedRaw, 'downloaded')),
    // A client without metadata sends NaN, which JSON turns into null: unknown, not zero.
    left: leftRaw === null || leftRaw === undefined ? null : BigInt(count(leftRaw, 'left')),
  }
  const event = eventName(own(msg, 'event'))
  if (event !== undefined) announce.event = event
  const numwant = own(msg, 'numwant')
  if (numwant !== undefined) {
    const n = count(numwant, 'numwant')
    if (n > MAX_NUMWANT) throw new AnnounceParseError(`numwant must be at most ${MAX_NUMWANT}`)
    announce.numwant = n
  }
  return announce
}

/**
 * Reads a client announce from a raw WebSocket frame as passed to
 * `WebSocket.prototype.send`. Binary, oversized and non-JSON frames are other
 * traffic and give null.
 *
 * @throws AnnounceParseError as {@link parseWsAnnounce}.
 */
export function parseWsAnnounceFrame(data: unknown): TrackerAnnounce | null {
  if (typeof data !== 'string' || data.length > MAX_WS_FRAME_CHARS) return null
  let msg: unknown
  try {
    msg = JSON.parse(data)
  } catch {
    return null
  }
  return parseWsAnnounce(msg)
}

function own(o: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key)
    ? (o as Record<string, unknown>)[key]
    : undefined
}

function binaryId(v: unknown, name: string): Uint8Array {
  if (v === undefined) throw new AnnounceParseError(`missing ${name}`)
  if (typeof v !== 'string') throw new AnnounceParseError(`${name} must be a string`)
  if (v.length !== ID_CHARS) {
    throw new AnnounceParseError(`${name} must be ${ID_CHARS} chars, got ${v.length}`)
  }
  try {
    return binaryStringToBytes(v)
  } catch {
    throw new AnnounceParseError(`${name} must be a binary string (char codes 0-255)`)
  }
}

/** A JSON counter: a non-negative safe integer, so it is exact. */
function count(v: unknown, name: string): number {
  if (v === undefined) throw new AnnounceParseError(`missing ${name}`)
  if (typeof v !== 'number') throw new AnnounceParseError(`${name} must be a number`)
  if (!Number.isSafeInteger(v)) {
    throw new AnnounceParseError(`${name} must be an integer below 2^53`)
  }
  if (v < 0) throw new AnnounceParseError(`${name} must not be negative`)
  return v
}

function eventName(v: unknown): AnnounceEventName | undefined {
  if (v === undefined) return undefined
  if (v === 'started' || v === 'completed' || v === 'stopped') return v
  // Same rule as HTTP: empty and BEP 21 `paused` are periodic updates.
  if (v === '' || v === 'paused') return undefined
  throw new AnnounceParseError('event must be started, completed, stopped, paused or empty')
}

// The MAIN-world hook forwards these fields as they were sent; the background
// reads them with the same rules as a whole frame (background/ws-hook-report.ts).
export { count as wsCounter, eventName as wsEventName }
