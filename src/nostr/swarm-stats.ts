/**
 * Who is in a swarm, counted the way the relay's ledger counts it for
 * pricing (relay/src/ledger/announce-accounting.ts `swarmStats`): the
 * latest announce of each (pubkey, info hash, session) counts while it is
 * at most an hour old and not `stopped`; every pubkey with such an announce
 * is one peer, a seeder if any of its sessions reports `left` = 0, else a
 * leecher. The extension counts REQ answers with this, and the relay's tests
 * check the ledger against it.
 */
import type { NostrEvent } from 'nostr-tools/core'
import type { SwarmStats } from '../balance/pricing'
import { parseAnnounceEvent } from './kind21000'

/** A peer counts while its latest announce is at most this old (the ledger's `peerTtlSeconds`). */
export const PEER_TTL_SECONDS = 3600

/** The part of a kind 21000 announce that decides whether and how its author counts. */
export interface PeerAnnounce {
  pubkey: string
  infoHash: string
  /** The `session` tag, '' when absent (as the relay keys it). */
  session: string
  createdAt: number
  /** The event id: breaks `created_at` ties the NIP-01 way, lowest id wins. */
  id: string
  left: bigint
  stopped: boolean
}

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Reads what counting needs from a kind 21000 event, validating every tag
 * with the announce codec; throws on anything malformed. The signature is
 * not checked here.
 */
export function peerAnnounce(ev: NostrEvent): PeerAnnounce {
  const a = parseAnnounceEvent(ev)
  if (typeof ev.pubkey !== 'string' || !HEX64.test(ev.pubkey)) {
    throw new TypeError('pubkey must be 64 lowercase hex chars')
  }
  if (typeof ev.id !== 'string' || !HEX64.test(ev.id)) {
    throw new TypeError('id must be 64 lowercase hex chars')
  }
  if (!Number.isSafeInteger(ev.created_at) || ev.created_at < 0) {
    throw new TypeError('created_at must be unix seconds')
  }
  return {
    pubkey: ev.pubkey,
    infoHash: a.infoHash,
    session: a.session ?? '',
    createdAt: ev.created_at,
    id: ev.id,
    left: a.left,
    stopped: a.event === 'stopped',
  }
}

/**
 * Seeders and leechers per info hash at `now` (unix seconds). Only the
 * latest announce of each session counts, so older ones in the input (from a
 * second relay, say) change nothing. Info hashes without a live peer are
 * absent from the result.
 *
 * @example
 * countSwarms(events.map(peerAnnounce), Math.floor(Date.now() / 1000)).get(infoHash)
 * // { seeders: 2, leechers: 1 }
 */
export function countSwarms(
  announces: Iterable<PeerAnnounce>,
  now: number,
  ttlSeconds: number = PEER_TTL_SECONDS,
): Map<string, SwarmStats> {
  const latest = new Map<string, PeerAnnounce>()
  for (const a of announces) {
    // NUL cannot occur in hex, so the joined key cannot collide.
    const key = `${a.pubkey}\u0000${a.infoHash}\u0000${a.session}`
    const prev = latest.get(key)
    if (prev === undefined || isNewer(a, prev)) latest.set(key, a)
  }
  const seeding = new Map<string, Map<string, boolean>>()
  const floor = now - ttlSeconds
  for (const a of latest.values()) {
    if (a.stopped || a.createdAt < floor) continue
    let peers = seeding.get(a.infoHash)
    if (peers === undefined) seeding.set(a.infoHash, (peers = new Map<string, boolean>()))
    peers.set(a.pubkey, peers.get(a.pubkey) === true || a.left === 0n)
  }
  const out = new Map<string, SwarmStats>()
  for (const [infoHash, peers] of seeding) {
    let seeders = 0
    for (const s of peers.values()) if (s) seeders++
    out.set(infoHash, { seeders, leechers: peers.size - seeders })
  }
  return out
}

/** NIP-01 replaceable order, as the relay's store keeps one announce per session. */
function isNewer(a: PeerAnnounce, b: PeerAnnounce): boolean {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt
  return a.id < b.id
}
