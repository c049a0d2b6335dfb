/**
 * BEP 23 compact peer lists: 6 bytes per IPv4 peer (address, then port, both
 * big-endian). Trackers may ignore `compact`, and BEP 23 recommends the
 * compact form, so it is the default; only `compact=0` asks for the BEP 3
 * dictionary form.
 */
// Shared with the extension's replace mode, which builds the same answers.
export { compactIpv4, readCompactIpv4 } from '../../../src/nostr/compact-peers'

/** False only for `compact=0`: every other value, and no value, gets the compact form. */
export function wantsCompact(params: ReadonlyMap<string, readonly Uint8Array[]>): boolean {
  const v = params.get('compact')?.[0]
  return !(v?.length === 1 && v[0] === 0x30)
}
