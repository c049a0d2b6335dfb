/**
 * Reads what a content script reports about a page's WebSocket tracker
 * traffic (src/content/ws-protocol.ts). The sender is a web page's content
 * script, so every field is parsed again here, with the rules the whole-frame
 * parser applies (webtorrent-ws-announce.ts).
 */
import { hexToBytes } from '@noble/hashes/utils.js'
import { AnnounceParseError, type TrackerAnnounce } from '../nostr/tracker-announce'
import { wsCounter, wsEventName } from '../nostr/webtorrent-ws-announce'

export const MAX_TRACKER_URL_CHARS = 2048
/** The tracker's announce interval in seconds; bittorrent-tracker sends 120. */
const MAX_INTERVAL_S = 7 * 24 * 3600
const ANNOUNCE_KEYS = [
  'kind',
  'tracker',
  'infoHash',
  'peer',
  'uploaded',
  'downloaded',
  'left',
  'event',
]
const ANSWER_KEYS = ['kind', 'tracker', 'infoHash', 'interval', 'complete', 'incomplete']

export interface HookAnnounceReport {
  kind: 'announce'
  /**
   * `peerId` holds SHA-256 of the client's peer_id, never the raw one: it
   * only feeds the salted session tag, where a hash serves as well.
   */
  announce: TrackerAnnounce
  trackerHost: string
}

export interface TrackerAnswer {
  infoHash: string
  interval?: number
  complete?: number
  incomplete?: number
}

export interface HookAnswerReport {
  kind: 'answer'
  answer: TrackerAnswer
  trackerHost: string
}

export type HookReportParsed = HookAnnounceReport | HookAnswerReport

/**
 * @throws AnnounceParseError with a message safe to log (no URL, no id).
 */
export function parseHookReport(params: unknown): HookReportParsed {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new AnnounceParseError('report must be an object')
  }
  const r = params as Record<string, unknown>
  const kind = r.kind
  const expected = kind === 'announce' ? ANNOUNCE_KEYS : kind === 'answer' ? ANSWER_KEYS : null
  if (expected === null) throw new AnnounceParseError('report kind must be announce or answer')
  const keys = Object.keys(r)
  if (keys.length !== expected.length || !keys.every((k) => expected.includes(k))) {
    throw new AnnounceParseError('report has unexpected fields')
  }
  const trackerHost = wsHost(r.tracker)
  const infoHash = hex(r.infoHash, 40, 'infoHash')
  if (kind === 'answer') {
    const answer: TrackerAnswer = { infoHash }
    const interval = optionalCount(r.interval, 'interval')
    if (interval !== undefined) {
      if (interval > MAX_INTERVAL_S) throw new AnnounceParseError('interval is implausible')
      answer.interval = interval
    }
    const complete = optionalCount(r.complete, 'complete')
    if (complete !== undefined) answer.complete = complete
    const incomplete = optionalCount(r.incomplete, 'incomplete')
    if (incomplete !== undefined) answer.incomplete = incomplete
    return { kind: 'answer', answer, trackerHost }
  }
  const announce: TrackerAnnounce = {
    infoHash,
    peerId: hexToBytes(hex(r.peer, 64, 'peer')),
    uploaded: BigInt(wsCounter(r.uploaded, 'uploaded')),
    downloaded: BigInt(wsCounter(r.downloaded, 'downloaded')),
    left: r.left === null ? null : BigInt(wsCounter(r.left, 'left')),
  }
  if (typeof r.event !== 'string') throw new AnnounceParseError('event must be a string')
  const event = wsEventName(r.event)
  if (event !== undefined) announce.event = event
  return { kind: 'announce', announce, trackerHost }
}

function wsHost(v: unknown): string {
  if (typeof v !== 'string' || v.length > MAX_TRACKER_URL_CHARS) {
    throw new AnnounceParseError('tracker must be a URL')
  }
  let url: URL
  try {
    url = new URL(v)
  } catch {
    throw new AnnounceParseError('tracker must be a URL')
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new AnnounceParseError('tracker must be a ws: or wss: URL')
  }
  return url.host
}

function hex(v: unknown, length: number, name: string): string {
  if (typeof v !== 'string' || v.length !== length || !/^[0-9a-f]+$/.test(v)) {
    throw new AnnounceParseError(`${name} must be ${length} lowercase hex characters`)
  }
  return v
}

function optionalCount(v: unknown, name: string): number | undefined {
  return v === null ? undefined : wsCounter(v, name)
}
