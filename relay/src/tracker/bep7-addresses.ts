/**
 * BEP 7 (IPv6 tracker extension): which address a peer is listed under and
 * the 18-byte `peers6` entries. The address is the one the connection came
 * from. A client-supplied `ip=` (BEP 3) is used only where the operator
 * allows it, because it lets anyone list a third party's address and point
 * a swarm's connections at it. The BEP 7 `ipv4=`/`ipv6=` parameters are
 * ignored for the same reason (BEP 7 itself discourages them).
 */
import { isIPv4, isIPv6 } from 'node:net'
import { formatIpv6, parseIpv6 } from '../../../src/nostr/compact-peers'

// Shared with the extension's replace mode, which builds the same answers.
export {
  compactIpv6,
  formatIpv6,
  parseIpv6,
  readCompactIpv6,
} from '../../../src/nostr/compact-peers'

export interface PeerAddress {
  family: 4 | 6
  /** Canonical text: dotted quad, or IPv6 as Node prints it, without brackets or zone. */
  ip: string
}

/**
 * An address as a socket or a client reports it, canonicalised. IPv4-mapped
 * IPv6 (`::ffff:1.2.3.4`) is IPv4. Undefined for anything that is not a
 * literal address (host names are never listed).
 */
export function normalizeAddress(raw: string): PeerAddress | undefined {
  let a = raw.trim()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  const zone = a.indexOf('%')
  if (zone !== -1) a = a.slice(0, zone)
  if (isIPv4(a)) return { family: 4, ip: a }
  if (!isIPv6(a)) return undefined
  const bytes = parseIpv6(a)
  if (bytes === undefined) return undefined
  if (isMapped(bytes))
    return { family: 4, ip: `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}` }
  return { family: 6, ip: formatIpv6(bytes) }
}

/**
 * The address a peer is listed under: the observed one, or the `ip=`
 * parameter when `allowIpParam` is on and it is a literal address.
 * `ignoredIp` is set when the client sent an `ip=` that was not used, so the
 * answer can warn about it.
 */
export function listedAddress(
  observed: string,
  ipParam: Uint8Array | undefined,
  allowIpParam: boolean,
): { address: PeerAddress | undefined; ignoredIp: boolean } {
  const own = normalizeAddress(observed)
  if (ipParam === undefined || ipParam.length === 0) return { address: own, ignoredIp: false }
  const given = allowIpParam ? normalizeAddress(Buffer.from(ipParam).toString('latin1')) : undefined
  return given === undefined
    ? { address: own, ignoredIp: true }
    : { address: given, ignoredIp: false }
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}
