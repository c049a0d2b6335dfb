/**
 * BEP 23 compact peer lists: 6 bytes per IPv4 peer (address, then port, both
 * big-endian). Trackers may ignore `compact`, and BEP 23 recommends the
 * compact form, so it is the default; only `compact=0` asks for the BEP 3
 * dictionary form.
 */
import { isIPv4 } from 'node:net'

/** The 6-byte compact entry for an IPv4 address, or undefined for anything else. */
export function compactIpv4(ip: string, port: number): Uint8Array | undefined {
  if (!isIPv4(ip) || !Number.isInteger(port) || port < 1 || port > 65535) return undefined
  const out = new Uint8Array(6)
  const parts = ip.split('.')
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i])
  out[4] = port >> 8
  out[5] = port & 0xff
  return out
}

/** Reads a compact IPv4 list back into `ip:port` strings (tests, and anyone checking an answer). */
export function readCompactIpv4(bytes: Uint8Array): string[] {
  if (bytes.length % 6 !== 0) throw new RangeError('a compact peer list is a multiple of 6 bytes')
  const out: string[] = []
  for (let o = 0; o < bytes.length; o += 6) {
    const b = bytes.subarray(o, o + 6)
    out.push(`${b[0]}.${b[1]}.${b[2]}.${b[3]}:${((b[4] ?? 0) << 8) | (b[5] ?? 0)}`)
  }
  return out
}

/** False only for `compact=0`: every other value, and no value, gets the compact form. */
export function wantsCompact(params: ReadonlyMap<string, readonly Uint8Array[]>): boolean {
  const v = params.get('compact')?.[0]
  return !(v?.length === 1 && v[0] === 0x30)
}
