/**
 * Announce answers (BEP 3) built from peers the tracker did not list
 * itself: the answer a replaced announce gets, and the merge of a tracker's
 * own answer with extra peers. Peers go in compact form, IPv4 in `peers`
 * (BEP 23) and IPv6 in `peers6` (BEP 7).
 */
import { decode, encodeDict, encodeFailure, type BValue } from './bencode'
import { compactIpv4, compactIpv6, readPeers4, readPeers6, type TrackerPeer } from './compact-peers'

export interface AnnounceAnswerInput {
  /** Seconds until the client should announce again. */
  interval: number
  complete: number
  incomplete: number
  peers: readonly TrackerPeer[]
}

/** Concatenated compact entries of each family; peers that are neither are left out. */
export function compactPeers(peers: readonly TrackerPeer[]): { v4: Uint8Array; v6: Uint8Array } {
  const v4: Uint8Array[] = []
  const v6: Uint8Array[] = []
  for (const p of peers) {
    const four = compactIpv4(p.ip, p.port)
    if (four !== undefined) v4.push(four)
    else {
      const six = compactIpv6(p.ip, p.port)
      if (six !== undefined) v6.push(six)
    }
  }
  return { v4: concat(v4), v6: concat(v6) }
}

/** `d8:completei…e10:incompletei…e8:intervali…e5:peers…6:peers6…e`. */
export function encodeAnnounceAnswer(a: AnnounceAnswerInput): Uint8Array {
  const { v4, v6 } = compactPeers(a.peers)
  const dict: Record<string, BValue> = {
    interval: a.interval,
    complete: a.complete,
    incomplete: a.incomplete,
    peers: v4,
  }
  // Only when there is one: `peers6` is optional, and older clients never look for it.
  if (v6.length > 0) dict.peers6 = v6
  return encodeDict(dict)
}

/** A tracker answer as read back: its dictionary, and its peers in either form. */
export interface ReadAnswer {
  dict: Record<string, unknown>
  failure?: string
  peers: TrackerPeer[]
}

/**
 * Reads a bencoded announce answer: compact or dictionary `peers`, and
 * `peers6`. Undefined for anything that is not a bencoded dictionary with
 * readable peers, so a caller never forwards half of something.
 */
export function readAnnounceAnswer(bytes: Uint8Array): ReadAnswer | undefined {
  let raw: unknown
  try {
    raw = decode(bytes)
  } catch {
    return undefined
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array) {
    return undefined
  }
  const dict = raw as Record<string, unknown>
  const reason = dict['failure reason']
  if (reason instanceof Uint8Array) {
    return { dict, failure: new TextDecoder().decode(reason), peers: [] }
  }
  try {
    return { dict, peers: [...peerList(dict.peers, 4), ...peerList(dict.peers6, 6)] }
  } catch {
    return undefined
  }
}

function peerList(v: unknown, family: 4 | 6): TrackerPeer[] {
  if (v === undefined) return []
  if (v instanceof Uint8Array) return family === 4 ? readPeers4(v) : readPeers6(v)
  if (!Array.isArray(v)) throw new TypeError('peers is neither a string nor a list')
  return v.map((e: unknown) => {
    const entry = e as Record<string, unknown> | null
    const ip = entry?.ip
    const port = entry?.port
    if (!(ip instanceof Uint8Array) || typeof port !== 'number') {
      throw new TypeError('a peer needs ip and port')
    }
    return { ip: new TextDecoder().decode(ip), port }
  })
}

/**
 * The tracker's own answer with `extra` peers added: every key the tracker
 * sent is kept, its peers are written back in compact form followed by the
 * extra ones not already listed, and `complete`/`incomplete` are the larger
 * of the two counts (the swarms overlap, so a sum could count a peer twice).
 */
export function mergeAnnounceAnswers(own: ReadAnswer, extra: AnnounceAnswerInput): Uint8Array {
  const seen = new Set<string>()
  const peers: TrackerPeer[] = []
  for (const p of [...own.peers, ...extra.peers]) {
    const key = `${p.ip}|${p.port}`
    if (seen.has(key)) continue
    seen.add(key)
    peers.push(p)
  }
  const { v4, v6 } = compactPeers(peers)
  const dict: Record<string, BValue> = {}
  for (const [k, v] of Object.entries(own.dict)) {
    if (isBValue(v)) dict[k] = v
  }
  dict.peers = v4
  if (v6.length > 0) dict.peers6 = v6
  else delete dict.peers6
  dict.complete = Math.max(count(own.dict.complete), extra.complete)
  dict.incomplete = Math.max(count(own.dict.incomplete), extra.incomplete)
  if (typeof own.dict.interval !== 'number') dict.interval = extra.interval
  return encodeDict(dict)
}

/** A `failure reason` answer: what a client shows when no peers could be had. */
export { encodeFailure }

/** `data:text/plain;base64,…` holding `bytes`, for a redirect that answers without a server. */
export function dataUrl(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return `data:text/plain;base64,${btoa(bin)}`
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0
}

function isBValue(v: unknown): v is BValue {
  if (typeof v === 'number') return Number.isSafeInteger(v)
  if (typeof v === 'string' || v instanceof Uint8Array) return true
  if (Array.isArray(v)) return v.every(isBValue)
  return typeof v === 'object' && v !== null && Object.values(v).every(isBValue)
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
