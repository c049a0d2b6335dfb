/**
 * Reads the torrent behind a link: a `magnet:` URI (BEP 9: `xt=urn:btih:`
 * as 40 hex or 32 base32, `xl=` exact length, `dn=` name) or a `.torrent`
 * URL that names its info hash. Pure string work, cheap enough to run on
 * every link of a large page.
 */

import { HTTP_SCHEMES, parseUrlWithScheme } from '../nostr/url-scheme'

export interface TorrentLink {
  /** 40 lowercase hex: the v1 info hash, or a v2 one truncated to 20 bytes (BEP 52) as trackers see it. */
  infoHash: string
  /** `xl=`: the exact length in bytes, decimal. */
  bytes?: string
  /** `dn=`: the display name. */
  name?: string
}

const HEX40 = /^[0-9a-f]{40}$/i
const BASE32_32 = /^[A-Z2-7]{32}$/i
/** A BEP 52 multihash: sha2-256 (0x12), 32 bytes (0x20). */
const BTMH = /^1220([0-9a-f]{64})$/i
const DIGITS = /^(0|[1-9][0-9]{0,19})$/
const MAX_BYTES = (1n << 64n) - 1n
const MAX_HREF_CHARS = 8192
const MAX_NAME_CHARS = 300
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * @example
 * parseMagnet('magnet:?xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A&xl=1024&dn=a+b')
 * // { infoHash: 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a', bytes: '1024', name: 'a b' }
 */
export function parseMagnet(href: string): TorrentLink | null {
  if (href.length > MAX_HREF_CHARS || !/^magnet:\?/i.test(href)) return null
  let v1: string | undefined
  let v2: string | undefined
  let bytes: string | undefined
  let name: string | undefined
  for (const pair of href.slice(href.indexOf('?') + 1).split('&')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    // `xt.1`, `xt.2`… carry further exact topics (BEP 9); the first usable one wins.
    const key = pair
      .slice(0, eq)
      .toLowerCase()
      .replace(/\.\d+$/, '')
    const value = decode(pair.slice(eq + 1))
    if (value === undefined) continue
    if (key === 'xt') {
      const lower = value.toLowerCase()
      if (lower.startsWith('urn:btih:')) v1 ??= btih(value.slice(9))
      else if (lower.startsWith('urn:btmh:'))
        v2 ??= BTMH.exec(value.slice(9))?.[1]?.slice(0, 40).toLowerCase()
    } else if (
      key === 'xl' &&
      bytes === undefined &&
      DIGITS.test(value) &&
      BigInt(value) <= MAX_BYTES
    ) {
      bytes = value
    } else if (key === 'dn' && name === undefined) {
      name = value.slice(0, MAX_NAME_CHARS)
    }
  }
  // A hybrid magnet carries both; the v1 hash is what v1 and hybrid clients announce.
  const infoHash = v1 ?? v2
  if (infoHash === undefined) return null
  const out: TorrentLink = { infoHash }
  if (bytes !== undefined) out.bytes = bytes
  if (name !== undefined && name.trim() !== '') out.name = name.trim()
  return out
}

/**
 * A `.torrent` URL whose path or query names the info hash (`…/<40 hex>.torrent`,
 * `/torrent/<40 hex>/name.torrent`, `?info_hash=<40 hex>`), as torrent caches and
 * many indexes build them. Other `.torrent` links cannot be looked up without
 * downloading the file, and get no badge.
 */
export function parseTorrentUrl(href: string): TorrentLink | null {
  if (href.length > MAX_HREF_CHARS) return null
  const u = parseUrlWithScheme(href, HTTP_SCHEMES)
  if (u === undefined) return null
  if (!/\.torrent$/i.test(u.pathname)) return null
  for (const key of ['info_hash', 'infohash', 'hash', 'btih', 'ih']) {
    const v = u.searchParams.get(key)
    if (v !== null && HEX40.test(v)) return { infoHash: v.toLowerCase() }
  }
  const segments = u.pathname.split('/')
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = (segments[i] ?? '').replace(/\.torrent$/i, '')
    if (HEX40.test(seg)) return { infoHash: seg.toLowerCase() }
  }
  return null
}

/** Either kind of link, from an anchor's `href` attribute (magnet) or resolved URL (.torrent). */
export function parseTorrentHref(rawHref: string, resolvedHref: string): TorrentLink | null {
  return /^\s*magnet:/i.test(rawHref) ? parseMagnet(rawHref.trim()) : parseTorrentUrl(resolvedHref)
}

function btih(value: string): string | undefined {
  if (HEX40.test(value)) return value.toLowerCase()
  if (BASE32_32.test(value)) return base32ToHex(value.toUpperCase())
  return undefined
}

/** 32 base32 characters are exactly 160 bits: 20 bytes, 40 hex digits. */
function base32ToHex(s: string): string {
  let hex = ''
  let bits = 0
  let acc = 0
  for (const c of s) {
    acc = (acc << 5) | BASE32.indexOf(c)
    bits += 5
    while (bits >= 4) {
      bits -= 4
      hex += ((acc >> bits) & 0xf).toString(16)
    }
    acc &= (1 << bits) - 1
  }
  return hex
}

/** Magnets are often form-encoded (`+` for space); a broken `%` escape makes the value unusable. */
function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}
