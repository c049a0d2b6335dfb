/**
 * BEP 3 HTTP tracker announces (with the BEP 7, 21 and 23 extras clients send),
 * read byte-exactly from the raw request URL.
 */
import {
  AnnounceParseError,
  bytesToHex,
  MAX_COUNTER,
  type AnnounceEventName,
  type TrackerAnnounce,
} from './tracker-announce'
import { HTTP_SCHEMES, parseUrlWithScheme } from './url-scheme'

/** Longest announce URL we parse; real announces are a few hundred chars. */
export const MAX_ANNOUNCE_URL_LENGTH = 4096

/** BEP 7 asks for at least 32 bits of entropy; nothing sane needs more than this. */
export const MAX_KEY_BYTES = 64

const INFO_HASH_BYTES = 20
const PEER_ID_BYTES = 20
const MAX_PORT = 65535
const MAX_NUMWANT = 0xffffffff

/** Parameters whose repetition makes the announce ambiguous. */
const SINGLE_VALUED = [
  'info_hash',
  'peer_id',
  'uploaded',
  'downloaded',
  'left',
  'port',
  'event',
  'key',
  'numwant',
] as const

/**
 * Whether a URL looks like a tracker announce: http(s), with a last path
 * segment starting with `announce` (BEP 48 derives the scrape URL from that
 * same segment). Case-sensitive, as trackers route it.
 *
 * @example isAnnounceUrl('https://t.example/a/0123abcd/announce?info_hash=…') // true
 */
export function isAnnounceUrl(url: string): boolean {
  if (url.length > MAX_ANNOUNCE_URL_LENGTH) return false
  const u = parseUrlWithScheme(url, HTTP_SCHEMES)
  if (u === undefined) return false
  const last = u.pathname.slice(u.pathname.lastIndexOf('/') + 1)
  return last.startsWith('announce')
}

/**
 * Splits a raw query string (the part after `?`, without a fragment) into
 * parameters, decoding every value to the exact bytes the client sent.
 * `%XX` (either hex case) is one byte and any other character is its own
 * code; `+` stays 0x2B, because trackers never applied form encoding to
 * binary params. Parameter names are decoded the same way and read as latin1.
 *
 * @throws AnnounceParseError on a malformed escape or a character that is not
 *   printable ASCII.
 */
export function decodeQueryBytes(rawQuery: string): Map<string, Uint8Array[]> {
  if (rawQuery.length > MAX_ANNOUNCE_URL_LENGTH) {
    throw new AnnounceParseError(`query longer than ${MAX_ANNOUNCE_URL_LENGTH} chars`)
  }
  const params = new Map<string, Uint8Array[]>()
  for (const part of rawQuery.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawName = eq === -1 ? part : part.slice(0, eq)
    const rawValue = eq === -1 ? '' : part.slice(eq + 1)
    const name = latin1(percentDecode(rawName, 'a parameter name'))
    const value = percentDecode(rawValue, printableName(name))
    const list = params.get(name)
    if (list === undefined) params.set(name, [value])
    else list.push(value)
  }
  return params
}

/**
 * Reads the announce carried in an HTTP tracker URL. The path is not checked
 * (see {@link isAnnounceUrl}); tracker-specific params such as a passkey are
 * ignored and never copied into the result.
 *
 * @throws AnnounceParseError naming the parameter and the problem, e.g.
 *   `info_hash must be 20 bytes, got 19`.
 */
export function parseHttpAnnounce(url: string): TrackerAnnounce {
  if (url.length > MAX_ANNOUNCE_URL_LENGTH) {
    throw new AnnounceParseError(`URL longer than ${MAX_ANNOUNCE_URL_LENGTH} chars`)
  }
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new AnnounceParseError('not a valid URL')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AnnounceParseError('not an http(s) URL')
  }
  // The query is cut from the raw string, not taken from URL.search: the URL
  // parser re-escapes some chars and would UTF-8 encode non-ASCII ones, which
  // would turn input we must reject into different, plausible bytes.
  const hashAt = url.indexOf('#')
  const noFragment = hashAt === -1 ? url : url.slice(0, hashAt)
  const q = noFragment.indexOf('?')
  if (q === -1) throw new AnnounceParseError('URL has no query')
  return parseAnnounceQuery(noFragment.slice(q + 1))
}

/**
 * Reads an announce from the raw query string alone, for servers that get an
 * origin-form request target (`/announce?…`) rather than an absolute URL.
 *
 * @throws AnnounceParseError as {@link parseHttpAnnounce}.
 */
export function parseAnnounceQuery(rawQuery: string): TrackerAnnounce {
  return parseAnnounceParams(decodeQueryBytes(rawQuery))
}

/**
 * Reads an announce from parameters already decoded by
 * {@link decodeQueryBytes}, for a tracker that also reads its own params
 * (a credential, `compact`) from the same query: it is decoded once.
 *
 * @throws AnnounceParseError as {@link parseHttpAnnounce}.
 */
export function parseAnnounceParams(
  params: ReadonlyMap<string, readonly Uint8Array[]>,
): TrackerAnnounce {
  for (const name of SINGLE_VALUED) {
    const values = params.get(name)
    // A multi-hash announce does not exist (only scrape repeats info_hash),
    // and two different counters cannot both be credited.
    if (values !== undefined && values.length > 1) {
      throw new AnnounceParseError(`duplicate ${name} parameter`)
    }
  }
  const one = (name: string): Uint8Array | undefined => params.get(name)?.[0]

  // 20 bytes is either a v1 SHA-1 or a BEP 52 v2 SHA-256 truncated to 20
  // bytes; the two cannot be told apart here, and need not be.
  const infoHash = fixedBytes(one('info_hash'), 'info_hash', INFO_HASH_BYTES)
  const peerId = fixedBytes(one('peer_id'), 'peer_id', PEER_ID_BYTES)

  const uploaded = requiredCounter(one('uploaded'), 'uploaded')
  const downloaded = requiredCounter(one('downloaded'), 'downloaded')
  // Some clients leave `left` out until they know the torrent's size.
  const leftBytes = one('left')
  const left = leftBytes === undefined ? null : counter(leftBytes, 'left')

  const announce: TrackerAnnounce = {
    infoHash: bytesToHex(infoHash),
    peerId,
    uploaded,
    downloaded,
    left,
  }

  const portBytes = one('port')
  if (portBytes !== undefined) {
    const port = boundedNumber(portBytes, 'port', MAX_PORT)
    // Port 0 means "not listening" (e.g. a WebTorrent page over HTTP).
    if (port !== 0) announce.port = port
  }
  const eventBytes = one('event')
  if (eventBytes !== undefined) {
    const event = eventName(eventBytes)
    if (event !== undefined) announce.event = event
  }
  const key = one('key')
  if (key !== undefined && key.length > 0) {
    if (key.length > MAX_KEY_BYTES) {
      throw new AnnounceParseError(`key must be at most ${MAX_KEY_BYTES} bytes, got ${key.length}`)
    }
    announce.key = key
  }
  const numwant = one('numwant')
  if (numwant !== undefined) announce.numwant = boundedNumber(numwant, 'numwant', MAX_NUMWANT)
  return announce
}

/** `where` names the parameter in errors, so a bad announce can be diagnosed from logs. */
function percentDecode(s: string, where: string): Uint8Array {
  const out = new Uint8Array(s.length)
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x25) {
      const hi = hexValue(s.charCodeAt(i + 1))
      const lo = hexValue(s.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) {
        throw new AnnounceParseError(`malformed percent escape in ${where}`)
      }
      out[n++] = (hi << 4) | lo
      i += 2
    } else if (c > 0x20 && c < 0x7f) {
      out[n++] = c
    } else {
      // A raw URL from the network is ASCII; anything else was decoded or
      // mangled on the way and no longer tells us the client's bytes.
      throw new AnnounceParseError(`char code ${c} in ${where} is not printable ASCII`)
    }
  }
  return out.slice(0, n)
}

/** Hex digit value, or -1 (also for NaN past the end of the string). */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/** Parameter names come from the page; only short plain ones are echoed into messages. */
function printableName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,32}$/.test(name) ? name : 'a parameter value'
}

function latin1(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return s
}

function fixedBytes(v: Uint8Array | undefined, name: string, size: number): Uint8Array {
  if (v === undefined) throw new AnnounceParseError(`missing ${name}`)
  if (v.length !== size) {
    throw new AnnounceParseError(`${name} must be ${size} bytes, got ${v.length}`)
  }
  return v
}

/** Plain ASCII digits, without leading zeros; null if there are none or any other byte. */
function digits(v: Uint8Array): string | null {
  if (v.length === 0) return null
  let start = 0
  // Leading zeros are sent by some clients; they change nothing.
  while (start < v.length - 1 && v[start] === 0x30) start++
  let s = ''
  for (let i = start; i < v.length; i++) {
    const b = v[i]
    if (b === undefined || b < 0x30 || b > 0x39) return null
    s += String.fromCharCode(b)
  }
  return s
}

function requiredCounter(v: Uint8Array | undefined, name: string): bigint {
  if (v === undefined) throw new AnnounceParseError(`missing ${name}`)
  return counter(v, name)
}

function counter(v: Uint8Array, name: string): bigint {
  const d = digits(v)
  if (d === null) throw new AnnounceParseError(`${name} must be a decimal integer`)
  // 2^64-1 has 20 digits; checking the length first keeps BigInt() cheap.
  if (d.length > 20 || BigInt(d) > MAX_COUNTER) {
    throw new AnnounceParseError(`${name} exceeds 2^64-1`)
  }
  return BigInt(d)
}

function boundedNumber(v: Uint8Array, name: string, max: number): number {
  const d = digits(v)
  if (d === null) throw new AnnounceParseError(`${name} must be a decimal integer`)
  if (d.length > String(max).length || Number(d) > max) {
    throw new AnnounceParseError(`${name} must be at most ${max}`)
  }
  return Number(d)
}

function eventName(v: Uint8Array): AnnounceEventName | undefined {
  const s = latin1(v)
  if (s === 'started' || s === 'completed' || s === 'stopped') return s
  // BEP 21 `paused` is sent on every announce of a partial seed: a periodic update.
  if (s === '' || s === 'paused') return undefined
  throw new AnnounceParseError('event must be started, completed, stopped, paused or empty')
}
