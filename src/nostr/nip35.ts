/**
 * NIP-35 torrent events (kind 2003): what a torrent is called and how big it
 * is. The relay validates them on the way in with this parser, and the
 * extension reads them with it, so both agree on what a valid one is.
 */
import { TORRENT_METADATA } from './kinds'
import { MAX_COUNTER } from './tracker-announce'

/** What the extension shows of a kind 2003 event. */
export interface TorrentMetadata {
  /** 40 lowercase hex: the `x` tag. */
  infoHash: string
  /** The `title` tag with control and direction-override characters removed; absent when empty. */
  title?: string
  /**
   * Total bytes: the `size` tag when present (NIP-94 style, which some
   * publishers add), else the sum of the `file` tags when every one gives a
   * size; absent otherwise.
   */
  size?: bigint
  /** How many `file` tags the event has. */
  files: number
}

/** Why an event is not a usable NIP-35 torrent; the message follows `invalid: ` on the wire. */
export class TorrentEventError extends Error {
  override name = 'TorrentEventError'
}

/** Long enough for any real title; a longer one is refused rather than cut, so nothing is stored half. */
export const MAX_TITLE_CHARS = 512
const MAX_PATH_CHARS = 1024
const MAX_TAGS = 1000
const HEX40 = /^[0-9a-f]{40}$/
const DIGITS = /^(0|[1-9][0-9]{0,19})$/
// Control characters and bidi overrides would let a title disguise itself in the badge panel.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Reads and validates a kind 2003 event: exactly one `x` tag with a
 * lowercase hex v1 info hash (the form `#x` filters match), at most one
 * `title`, well-formed `file` and `size` tags. Other tags (`tracker`, `i`,
 * `t`, …) are allowed and ignored. It does not check the signature.
 *
 * @example
 * parseTorrentEvent({ kind: 2003, content: '', tags: [['x', ih], ['title', 'Ubuntu'], ['file', 'a.iso', '4096']] })
 * // { infoHash: ih, title: 'Ubuntu', size: 4096n, files: 1 }
 */
export function parseTorrentEvent(ev: { kind: unknown; tags: unknown }): TorrentMetadata {
  if (ev.kind !== TORRENT_METADATA) throw new TorrentEventError(`kind is not ${TORRENT_METADATA}`)
  const tags = ev.tags
  if (!Array.isArray(tags)) throw new TorrentEventError('tags must be an array')
  if (tags.length > MAX_TAGS) throw new TorrentEventError(`more than ${MAX_TAGS} tags`)
  let infoHash: string | undefined
  let title: string | undefined
  let sizeTag: bigint | undefined
  let fileSum: bigint | undefined = 0n
  let files = 0
  for (const tag of tags as unknown[]) {
    if (!Array.isArray(tag) || tag.length === 0 || !tag.every((x) => typeof x === 'string')) {
      throw new TorrentEventError('tags must be arrays of strings')
    }
    const [name, value, third] = tag as [string, string?, string?]
    switch (name) {
      case 'x':
        if (infoHash !== undefined) throw new TorrentEventError('more than one x tag')
        if (value === undefined || !HEX40.test(value)) {
          throw new TorrentEventError('x must be a 40-char lowercase hex info hash')
        }
        infoHash = value
        break
      case 'title':
        if (title !== undefined) throw new TorrentEventError('more than one title tag')
        if (value === undefined) throw new TorrentEventError('title needs a value')
        if (value.length > MAX_TITLE_CHARS) {
          throw new TorrentEventError(`title is longer than ${MAX_TITLE_CHARS} characters`)
        }
        title = value
        break
      case 'size':
        if (sizeTag !== undefined) throw new TorrentEventError('more than one size tag')
        sizeTag = bytes(value, 'size')
        break
      case 'file':
        if (value === undefined || value.length > MAX_PATH_CHARS) {
          throw new TorrentEventError(`file needs a path of at most ${MAX_PATH_CHARS} characters`)
        }
        files++
        if (third === undefined || third === '') fileSum = undefined
        else {
          const n = bytes(third, 'file size')
          if (fileSum !== undefined) fileSum = fileSum + n
        }
        break
      default:
    }
  }
  if (infoHash === undefined) throw new TorrentEventError('missing x tag (info hash)')
  const out: TorrentMetadata = { infoHash, files }
  const clean = title?.replace(UNSAFE_CHARS, '').trim()
  if (clean !== undefined && clean !== '') out.title = clean
  const size = sizeTag ?? (files > 0 ? fileSum : undefined)
  if (size !== undefined && size <= MAX_COUNTER) out.size = size
  return out
}

function bytes(value: string | undefined, what: string): bigint {
  if (value === undefined || !DIGITS.test(value)) {
    throw new TorrentEventError(`${what} must be a decimal number of bytes`)
  }
  const n = BigInt(value)
  if (n > MAX_COUNTER) throw new TorrentEventError(`${what} exceeds 2^64-1`)
  return n
}
