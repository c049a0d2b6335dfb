import { sha256 } from '@noble/hashes/sha2.js'
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { TORRENT_ANNOUNCE } from './kinds'
import {
  bytesToHex,
  MAX_COUNTER,
  type AnnounceEventName,
  type TrackerAnnounce,
} from './tracker-announce'
import { parseUrlWithScheme, WS_SCHEMES } from './url-scheme'

/**
 * The announce as it travels in a kind 21000 event (docs/kind-21000.md).
 * Counters are cumulative since `started` of one client session.
 */
export interface Kind21000Announce {
  infoHash: string
  uploaded: bigint
  downloaded: bigint
  left: bigint
  port?: number
  relay?: string
  event?: AnnounceEventName
  /** 32 hex chars: a salted hash of peer_id + key, never the raw peer_id. */
  session?: string
  /** NIP-40 expiration, unix seconds. */
  expiration?: number
}

/** Why an event is not a valid announce; the message follows `invalid: ` on the wire. */
export class AnnounceEventError extends Error {
  override name = 'AnnounceEventError'
}

const HEX40 = /^[0-9a-f]{40}$/
const HEX32 = /^[0-9a-f]{32}$/
const DIGITS = /^(0|[1-9][0-9]{0,19})$/
const EVENTS: readonly string[] = ['started', 'completed', 'stopped']
const MAX_RELAY_URL = 256
const MAX_TAGS = 16
/** One byte carries each length prefix in the session hash input. */
const MAX_SESSION_PART_BYTES = 255

export const SESSION_HEX_LENGTH = 32

/**
 * A session id that tells one client session apart from another without
 * revealing the peer_id, which peers see and could link to the pubkey. The
 * salt is a local secret, so even a peer that knows the peer_id cannot
 * recompute it.
 */
export function sessionTag(
  peerId: Uint8Array,
  key: Uint8Array | undefined,
  salt: Uint8Array,
): string {
  const k = key ?? new Uint8Array(0)
  if (peerId.length > MAX_SESSION_PART_BYTES || k.length > MAX_SESSION_PART_BYTES) {
    throw new AnnounceEventError(`peer_id and key must be at most ${MAX_SESSION_PART_BYTES} bytes`)
  }
  const buf = new Uint8Array(salt.length + 2 + peerId.length + k.length)
  let o = 0
  buf.set(salt, o)
  o += salt.length
  // Length prefixes keep (peer_id, key) pairs from colliding by concatenation.
  buf[o++] = peerId.length
  buf.set(peerId, o)
  o += peerId.length
  buf[o++] = k.length
  buf.set(k, o)
  return bytesToHex(sha256(buf)).slice(0, SESSION_HEX_LENGTH)
}

export interface FromTrackerOptions {
  sessionSalt: Uint8Array
  relay?: string
}

/** Turns an observed tracker announce into the publishable form, dropping what is private. */
export function fromTrackerAnnounce(
  t: TrackerAnnounce,
  opts: FromTrackerOptions,
): Kind21000Announce {
  if (t.left === null) {
    throw new AnnounceEventError('left is unknown; the client has no metadata yet')
  }
  const a: Kind21000Announce = {
    infoHash: t.infoHash,
    uploaded: t.uploaded,
    downloaded: t.downloaded,
    left: t.left,
    session: sessionTag(t.peerId, t.key, opts.sessionSalt),
  }
  if (t.port !== undefined && t.port > 0) a.port = t.port
  if (t.event !== undefined) a.event = t.event
  if (opts.relay !== undefined) a.relay = opts.relay
  return a
}

/** Builds the unsigned event. Tag values are strings, as NIP-01 requires. */
export function toEventTemplate(a: Kind21000Announce, createdAt: number): EventTemplate {
  checkAnnounce(a)
  const tags: string[][] = [
    ['i', a.infoHash],
    ['uploaded', a.uploaded.toString()],
    ['downloaded', a.downloaded.toString()],
    ['left', a.left.toString()],
  ]
  if (a.port !== undefined) tags.push(['port', String(a.port)])
  if (a.event !== undefined) tags.push(['event', a.event])
  if (a.session !== undefined) tags.push(['session', a.session])
  if (a.relay !== undefined) tags.push(['relay', a.relay])
  if (a.expiration !== undefined) tags.push(['expiration', String(a.expiration)])
  return { kind: TORRENT_ANNOUNCE, created_at: createdAt, tags, content: '' }
}

/**
 * Reads and strictly validates the announce carried by a kind 21000 event.
 * It does not check the signature; callers verify before trusting the pubkey.
 */
export function parseAnnounceEvent(
  ev: Pick<NostrEvent, 'kind' | 'tags' | 'content'>,
): Kind21000Announce {
  if (ev.kind !== TORRENT_ANNOUNCE) throw new AnnounceEventError(`kind ${ev.kind} is not 21000`)
  if (ev.content !== '') throw new AnnounceEventError('content must be empty')
  // The event may come straight from JSON.parse, so the declared type is not trusted.
  const tags: unknown = ev.tags
  if (!Array.isArray(tags)) throw new AnnounceEventError('tags must be an array')
  if (tags.length > MAX_TAGS) throw new AnnounceEventError(`more than ${MAX_TAGS} tags`)
  const seen = new Map<string, string>()
  for (const tag of tags as unknown[]) {
    if (!isStringArray(tag) || tag.length === 0) {
      throw new AnnounceEventError('tags must be arrays of strings')
    }
    // One-element tags such as NIP-70 `["-"]` are valid; only known names need a value.
    const [name, value] = tag as [string, ...string[]]
    if (!KNOWN_TAGS.has(name)) continue
    if (tag.length !== 2 || value === undefined) {
      throw new AnnounceEventError(`tag ${name} must have exactly one value`)
    }
    if (seen.has(name)) throw new AnnounceEventError(`duplicate ${name} tag`)
    seen.set(name, value)
  }
  const infoHash = seen.get('i')
  if (infoHash === undefined) throw new AnnounceEventError('missing i tag (info hash)')
  const a: Kind21000Announce = {
    infoHash,
    uploaded: counter(seen, 'uploaded'),
    downloaded: counter(seen, 'downloaded'),
    left: counter(seen, 'left'),
  }
  const port = seen.get('port')
  if (port !== undefined) a.port = portNumber(port)
  const event = seen.get('event')
  if (event !== undefined) a.event = event as AnnounceEventName
  const session = seen.get('session')
  if (session !== undefined) a.session = session
  const relay = seen.get('relay')
  if (relay !== undefined) a.relay = relay
  const expiration = seen.get('expiration')
  if (expiration !== undefined) {
    const seconds = Number(expiration)
    if (!DIGITS.test(expiration) || !Number.isSafeInteger(seconds)) {
      throw new AnnounceEventError('expiration must be unix seconds')
    }
    a.expiration = seconds
  }
  checkAnnounce(a)
  return a
}

/** The tags of a kind 21000 event; any other tag is ignored. */
export const ANNOUNCE_TAG_NAMES: readonly string[] = [
  'i',
  'uploaded',
  'downloaded',
  'left',
  'port',
  'event',
  'session',
  'relay',
  'expiration',
]
const KNOWN_TAGS = new Set(ANNOUNCE_TAG_NAMES)

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

function counter(tags: Map<string, string>, name: string): bigint {
  const v = tags.get(name)
  if (v === undefined) throw new AnnounceEventError(`missing ${name} tag`)
  if (!DIGITS.test(v)) throw new AnnounceEventError(`${name} must be a decimal integer string`)
  const n = BigInt(v)
  if (n > MAX_COUNTER) throw new AnnounceEventError(`${name} exceeds 2^64-1`)
  return n
}

function portNumber(v: string): number {
  if (!DIGITS.test(v)) throw new AnnounceEventError('port must be a decimal integer string')
  const n = Number(v)
  if (n < 1 || n > 65535) throw new AnnounceEventError('port must be 1-65535')
  return n
}

function checkAnnounce(a: Kind21000Announce): void {
  if (!HEX40.test(a.infoHash)) throw new AnnounceEventError('i must be 40 lowercase hex chars')
  for (const [name, v] of [
    ['uploaded', a.uploaded],
    ['downloaded', a.downloaded],
    ['left', a.left],
  ] as const) {
    // A number slipped in by untyped code would serialise as "1.5" or "1e+21".
    if (typeof v !== 'bigint') throw new AnnounceEventError(`${name} must be a bigint`)
    if (v < 0n || v > MAX_COUNTER) throw new AnnounceEventError(`${name} out of range`)
  }
  if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535)) {
    throw new AnnounceEventError('port must be 1-65535')
  }
  if (a.event !== undefined && !EVENTS.includes(a.event)) {
    throw new AnnounceEventError('event must be started, completed or stopped')
  }
  if (a.session !== undefined && !HEX32.test(a.session)) {
    throw new AnnounceEventError(`session must be ${SESSION_HEX_LENGTH} lowercase hex chars`)
  }
  if (a.relay !== undefined) checkRelayUrl(a.relay)
  if (a.expiration !== undefined && (!Number.isSafeInteger(a.expiration) || a.expiration < 0)) {
    throw new AnnounceEventError('expiration must be unix seconds')
  }
}

function checkRelayUrl(url: string): void {
  if (url.length > MAX_RELAY_URL) throw new AnnounceEventError('relay URL too long')
  // The URL parser trims spaces and punycodes hosts; what is published must be what was checked.
  if (!/^[\x21-\x7e]+$/.test(url)) throw new AnnounceEventError('relay URL must be printable ASCII')
  const u = parseUrlWithScheme(url, WS_SCHEMES)
  if (u === undefined) throw new AnnounceEventError('relay must be a ws:// or wss:// URL')
  // A relay URL must never smuggle a tracker passkey or credentials (DESIGN §5a).
  // The raw string is checked too: URL.search and URL.hash are empty for a bare `?` or `#`.
  if (u.username !== '' || u.password !== '' || url.includes('?') || url.includes('#')) {
    throw new AnnounceEventError('relay URL must not carry credentials, a query or a fragment')
  }
}
