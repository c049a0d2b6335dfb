/**
 * One HTTP announce (BEP 3), end to end: read the query (decoded once, by
 * the extension's own parser), derive the session the way the extension
 * does, account for it in the same ledger as a kind 21000 event, then list
 * the peer and answer with others.
 */
import { parseAnnounceParams } from '../../../src/nostr/bep3-http-announce'
import { sessionTag, type Kind21000Announce } from '../../../src/nostr/kind21000'
import { AnnounceParseError, type TrackerAnnounce } from '../../../src/nostr/tracker-announce'
import type { AnnounceOutcome, VerifiedAnnounce } from '../ledger/announce-accounting'
import { compactIpv4, wantsCompact } from './bep23-compact'
import { announceBody } from './bep3-response'
import { compactIpv6, listedAddress } from './bep7-addresses'
import type { CredentialOwner } from './credentials'
import { ledgerRefusal, malformed, type Failure } from './failures'
import type { Swarms } from './swarm'

export interface AnnounceSettings {
  intervalSeconds: number
  minIntervalSeconds: number
  /** Peers sent when the client gives no `numwant`. */
  defaultNumwant: number
  /** The most peers one answer carries, whatever `numwant` asks. */
  maxNumwant: number
  /** List peers under a client-given `ip=` (BEP 3) rather than the address the request came from. */
  allowIpParam: boolean
  /** The relay's Lightning backend is `dev`: balances are play money, and every answer says so. */
  testMode: boolean
}

export interface AnnounceServices {
  swarms: Swarms
  /**
   * The ledger's announce accounting (`Ledger.applyAnnounce`) and the
   * leecher coverage rule (coverage.ts), in the tracker's group commit.
   */
  account(input: VerifiedAnnounce, now: number): Promise<AnnounceOutcome>
  /** Where a user tops up, for the insufficient-balance answer. */
  topUpAt(): string
  /** A fresh 64-hex id, standing in for the event id a kind 21000 announce has. */
  announceId(): string
}

export interface AnnounceInput {
  owner: CredentialOwner
  /** The credential from the URL: the session salt (see {@link httpSession}). */
  credential: string
  params: ReadonlyMap<string, readonly Uint8Array[]>
  /** The address the request came from. */
  observed: string
  /** Unix seconds. */
  now: number
}

export type AnnounceResult = { ok: true; body: Buffer } | { ok: false; failure: Failure }

/**
 * The session of an HTTP announce, derived exactly as the extension derives
 * a kind 21000 `session` tag (docs/kind-21000.md): SHA-256 over a salt and
 * the length-prefixed peer_id and key. The salt is the credential, a secret
 * the relay never stores, so the stored tag cannot be recomputed from a
 * peer_id that other peers see, not even by someone holding the database.
 */
export function httpSession(credential: string, t: TrackerAnnounce): string {
  return sessionTag(t.peerId, t.key, Buffer.from(credential, 'latin1'))
}

/** Handles one announce; never throws for anything the client sent. */
export async function announce(
  s: AnnounceServices,
  settings: AnnounceSettings,
  input: AnnounceInput,
): Promise<AnnounceResult> {
  let t: TrackerAnnounce
  try {
    t = parseAnnounceParams(input.params)
  } catch (err) {
    if (err instanceof AnnounceParseError) return { ok: false, failure: malformed(err.message) }
    throw err
  }
  // Kind 21000 requires `left`; only a client without metadata leaves it out.
  if (t.left === null) {
    return { ok: false, failure: malformed('missing left (the bytes still to download)') }
  }
  const left = t.left
  const session = httpSession(input.credential, t)
  const ih = t.infoHash
  const k: Kind21000Announce = {
    infoHash: ih,
    uploaded: t.uploaded,
    downloaded: t.downloaded,
    left,
    session,
  }
  if (t.event !== undefined) k.event = t.event
  if (t.port !== undefined) k.port = t.port

  const { now, owner } = input
  const outcome = await s.account(
    { pubkey: owner.pubkey, eventId: s.announceId(), createdAt: now, announce: k },
    now,
  )
  if (!outcome.accept) {
    // As on the Nostr side: a refused announce is not listed, so others stop finding it.
    s.swarms.remove(ih, session)
    return { ok: false, failure: ledgerRefusal(outcome.message, s.topUpAt()) }
  }

  const warnings: string[] = []
  const { address, ignoredIp } = listedAddress(
    input.observed,
    input.params.get('ip')?.[0],
    settings.allowIpParam,
  )
  if (ignoredIp)
    warnings.push('ip= ignored: peers are listed under the address a request comes from')
  if (t.event === 'stopped') {
    s.swarms.remove(ih, session)
  } else if (t.port !== undefined && address !== undefined) {
    const compact =
      address.family === 4 ? compactIpv4(address.ip, t.port) : compactIpv6(address.ip, t.port)
    if (compact !== undefined) {
      const listed = s.swarms.upsert(
        ih,
        session,
        { peerId: t.peerId, address, port: t.port, compact, seeder: left === 0n },
        now,
      )
      if (!listed) warnings.push('the tracker is full: you get peers but are not listed yourself')
    }
  }
  if (t.event === 'completed') s.swarms.completed(ih, now)

  const numwant =
    t.event === 'stopped' ? 0 : Math.min(t.numwant ?? settings.defaultNumwant, settings.maxNumwant)
  const peers = s.swarms.select(ih, session, numwant, left === 0n, now)
  if (settings.testMode) warnings.push('TEST MODE relay: balances are play money')
  const noPeerId = input.params.get('no_peer_id')?.[0]
  return {
    ok: true,
    body: announceBody({
      interval: settings.intervalSeconds,
      minInterval: settings.minIntervalSeconds,
      counts: s.swarms.counts(ih, now),
      peers,
      compact: wantsCompact(input.params),
      noPeerId: noPeerId?.length === 1 && noPeerId[0] === 0x31,
      warnings,
    }),
  }
}
