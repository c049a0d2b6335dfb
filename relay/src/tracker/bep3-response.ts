/**
 * The BEP 3 announce answer: `interval`, `min interval`, `complete`,
 * `incomplete`, the peers (compact per BEP 23 and BEP 7, or the dictionary
 * form of BEP 3) and an optional `warning message`.
 */
import { encodeDict, type BValue } from './bencode'
import type { SwarmCounts, SwarmPeer } from './swarm'

export interface AnnounceAnswer {
  interval: number
  minInterval: number
  counts: SwarmCounts
  peers: readonly SwarmPeer[]
  /** BEP 23 compact strings (`peers` IPv4, `peers6` IPv6), else BEP 3 dictionaries. */
  compact: boolean
  /** `no_peer_id=1`: leave `peer id` out of dictionary entries. */
  noPeerId: boolean
  warnings: readonly string[]
}

/** Encodes an announce answer. */
export function announceBody(a: AnnounceAnswer): Buffer {
  const dict: Record<string, BValue> = {
    interval: a.interval,
    'min interval': a.minInterval,
    complete: a.counts.complete,
    incomplete: a.counts.incomplete,
  }
  if (a.compact) {
    const v4: Uint8Array[] = []
    const v6: Uint8Array[] = []
    for (const p of a.peers) {
      if (p.v4 !== undefined) v4.push(p.v4.compact)
      if (p.v6 !== undefined) v6.push(p.v6.compact)
    }
    dict.peers = Buffer.concat(v4)
    // Only when there is one: `peers6` is optional, and older clients never look for it.
    if (v6.length > 0) dict.peers6 = Buffer.concat(v6)
  } else {
    const list: Record<string, BValue>[] = []
    for (const p of a.peers) {
      // BEP 7: in the dictionary form both families share the one list.
      for (const addr of [p.v4, p.v6]) {
        if (addr === undefined) continue
        const entry: Record<string, BValue> = { ip: addr.ip, port: addr.port }
        if (!a.noPeerId) entry['peer id'] = p.peerId
        list.push(entry)
      }
    }
    dict.peers = list
  }
  if (a.warnings.length > 0) dict['warning message'] = a.warnings.join('; ')
  return encodeDict(dict)
}
