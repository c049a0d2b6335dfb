/**
 * BEP 48 scrape: `complete`, `incomplete` and `downloaded` for each
 * requested info hash, keyed by the raw 20 bytes. A scrape charges nothing
 * and lists nobody, but it still needs a credential: this is a private
 * tracker, and which torrents it tracks is nobody else's business.
 */
import { bytesToHex } from '../../../src/nostr/tracker-announce'
import { encodeBinaryKeyDict, encodeDictWithRaw } from './bencode'
import { malformed, type Failure } from './failures'
import type { Swarms } from './swarm'

/** Most info hashes in one scrape; a full-length query holds about 55. */
export const MAX_SCRAPE_HASHES = 64

export type ScrapeResult = { ok: true; body: Buffer } | { ok: false; failure: Failure }

/** Answers a scrape; never throws for anything the client sent. */
export function scrape(
  swarms: Swarms,
  params: ReadonlyMap<string, readonly Uint8Array[]>,
  minIntervalSeconds: number,
  now: number,
): ScrapeResult {
  const hashes = params.get('info_hash') ?? []
  // Scraping every torrent (no info_hash) would list what this private tracker tracks.
  if (hashes.length === 0) {
    return { ok: false, failure: malformed('scrape needs at least one info_hash') }
  }
  if (hashes.length > MAX_SCRAPE_HASHES) {
    return {
      ok: false,
      failure: malformed(`at most ${MAX_SCRAPE_HASHES} info_hash per scrape, got ${hashes.length}`),
    }
  }
  const entries: { key: Uint8Array; value: { [k: string]: number } }[] = []
  for (const h of hashes) {
    if (h.length !== 20) {
      return { ok: false, failure: malformed(`info_hash must be 20 bytes, got ${h.length}`) }
    }
    const c = swarms.counts(bytesToHex(h), now)
    entries.push({
      key: h,
      value: { complete: c.complete, incomplete: c.incomplete, downloaded: c.downloaded },
    })
  }
  return {
    ok: true,
    body: encodeDictWithRaw(
      { flags: { min_request_interval: minIntervalSeconds } },
      { files: encodeBinaryKeyDict(entries) },
    ),
  }
}
