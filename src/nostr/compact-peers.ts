/**
 * Compact peer lists of tracker answers: 6 bytes per IPv4 peer (BEP 23) and
 * 18 bytes per IPv6 peer (BEP 7), address then port, big-endian. Shared by
 * the relay's tracker and the extension's replace mode, so it parses
 * address text itself rather than through Node's `net`.
 */

/** A peer as trackers list it: an address literal and a port. */
export interface TrackerPeer {
  ip: string
  port: number
}

const QUAD = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/

/** The 4 bytes of a dotted quad, or undefined for anything else (no leading zeros). */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => QUAD.test(p))) return undefined
  return Uint8Array.from(parts, Number)
}

const GROUP = /^[0-9a-fA-F]{1,4}$/

/** The 16 bytes of an IPv6 literal (`::` compression and a trailing dotted quad allowed), no zone. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > 45 || !text.includes(':')) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (part: string, last: boolean): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    const items = part.split(':')
    for (let i = 0; i < items.length; i++) {
      const item = items[i] ?? ''
      if (last && i === items.length - 1 && item.includes('.')) {
        const q = parseIpv4(item)
        if (q === undefined) return undefined
        out.push(((q[0] ?? 0) << 8) | (q[1] ?? 0), ((q[2] ?? 0) << 8) | (q[3] ?? 0))
      } else if (GROUP.test(item)) out.push(parseInt(item, 16))
      else return undefined
    }
    return out
  }
  const compressed = halves.length === 2
  const left = groups(halves[0] ?? '', !compressed)
  const right = compressed ? groups(halves[1] ?? '', true) : []
  if (left === undefined || right === undefined) return undefined
  const missing = 8 - left.length - right.length
  if (compressed ? missing < 1 : missing !== 0) return undefined
  const all = [...left, ...new Array<number>(missing).fill(0), ...right]
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

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535
}

/** The 6-byte compact entry for an IPv4 address, or undefined for anything else. */
export function compactIpv4(ip: string, port: number): Uint8Array | undefined {
  return validPort(port) ? withPort(parseIpv4(ip), port) : undefined
}

/** The 18-byte `peers6` entry (16 address bytes, then the port), or undefined for a non-IPv6 address. */
export function compactIpv6(ip: string, port: number): Uint8Array | undefined {
  return validPort(port) ? withPort(parseIpv6(ip), port) : undefined
}

/** The address bytes followed by the port, big-endian: one compact entry. */
function withPort(address: Uint8Array | undefined, port: number): Uint8Array | undefined {
  if (address === undefined) return undefined
  const out = new Uint8Array(address.length + 2)
  out.set(address)
  out[address.length] = port >> 8
  out[address.length + 1] = port & 0xff
  return out
}

/** Reads a compact IPv4 list back into peers. @throws RangeError unless a multiple of 6 bytes */
export function readPeers4(bytes: Uint8Array): TrackerPeer[] {
  if (bytes.length % 6 !== 0) throw new RangeError('a compact peer list is a multiple of 6 bytes')
  const out: TrackerPeer[] = []
  for (let o = 0; o < bytes.length; o += 6) {
    const b = bytes.subarray(o, o + 6)
    out.push({ ip: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, port: ((b[4] ?? 0) << 8) | (b[5] ?? 0) })
  }
  return out
}

/** Reads a `peers6` string back into peers. @throws RangeError unless a multiple of 18 bytes */
export function readPeers6(bytes: Uint8Array): TrackerPeer[] {
  if (bytes.length % 18 !== 0) throw new RangeError('peers6 is a multiple of 18 bytes')
  const out: TrackerPeer[] = []
  for (let o = 0; o < bytes.length; o += 18) {
    const port = ((bytes[o + 16] ?? 0) << 8) | (bytes[o + 17] ?? 0)
    out.push({ ip: formatIpv6(bytes.subarray(o, o + 16)), port })
  }
  return out
}

/** Reads a compact IPv4 list back into `ip:port` strings. */
export function readCompactIpv4(bytes: Uint8Array): string[] {
  return readPeers4(bytes).map((p) => `${p.ip}:${p.port}`)
}

/** Reads a `peers6` string back into `[ip]:port` strings. */
export function readCompactIpv6(bytes: Uint8Array): string[] {
  return readPeers6(bytes).map((p) => `[${p.ip}]:${p.port}`)
}
