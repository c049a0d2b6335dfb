/**
 * BEP 7 (IPv6 tracker extension): which address a peer is listed under and
 * the 18-byte `peers6` entries. The address is the one the connection came
 * from. A client-supplied `ip=` (BEP 3) is used only where the operator
 * allows it, because it lets anyone list a third party's address and point
 * a swarm's connections at it. The BEP 7 `ipv4=`/`ipv6=` parameters are
 * ignored for the same reason (BEP 7 itself discourages them).
 */
import { isIPv4, isIPv6 } from 'node:net'

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

/** The 18-byte `peers6` entry (16 address bytes, then the port), or undefined for a non-IPv6 address. */
export function compactIpv6(ip: string, port: number): Uint8Array | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined
  const bytes = isIPv6(ip) ? parseIpv6(ip) : undefined
  if (bytes === undefined) return undefined
  const out = new Uint8Array(18)
  out.set(bytes)
  out[16] = port >> 8
  out[17] = port & 0xff
  return out
}

/** Reads a `peers6` string back into `[ip]:port` strings. */
export function readCompactIpv6(bytes: Uint8Array): string[] {
  if (bytes.length % 18 !== 0) throw new RangeError('peers6 is a multiple of 18 bytes')
  const out: string[] = []
  for (let o = 0; o < bytes.length; o += 18) {
    const port = ((bytes[o + 16] ?? 0) << 8) | (bytes[o + 17] ?? 0)
    out.push(`[${formatIpv6(bytes.subarray(o, o + 16))}]:${port}`)
  }
  return out
}

/** The 16 bytes of an IPv6 literal (`::` compression and a trailing dotted quad allowed). */
export function parseIpv6(text: string): Uint8Array | undefined {
  // Node checks the syntax; what is left is turning valid text into bytes.
  if (!isIPv6(text)) return undefined
  let s = text
  const quad: number[] = []
  const lastColon = s.lastIndexOf(':')
  const last = s.slice(lastColon + 1)
  if (last.includes('.')) {
    const q = last.split('.').map(Number)
    quad.push(((q[0] ?? 0) << 8) | (q[1] ?? 0), ((q[2] ?? 0) << 8) | (q[3] ?? 0))
    s = s.slice(0, lastColon + 1)
    if (!s.endsWith('::')) s = s.slice(0, -1)
  }
  const [l, r] = s.split('::')
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((h) => parseInt(h, 16))
  const left = groups(l)
  const right = groups(r)
  const missing = 8 - left.length - right.length - quad.length
  if (r === undefined ? missing !== 0 : missing < 0) return undefined
  const all = [
    ...left,
    ...new Array<number>(r === undefined ? 0 : missing).fill(0),
    ...right,
    ...quad,
  ]
  const out = new Uint8Array(16)
  all.forEach((g, i) => {
    out[i * 2] = g >> 8
    out[i * 2 + 1] = g & 0xff
  })
  return out
}

/** RFC 5952 text of 16 address bytes: lowercase, the longest run of zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0))
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}
