/** The parts of `bencode` 4 the relay uses; the package ships no types. */
declare module 'bencode' {
  interface Bencode {
    /** Integers, byte strings (Uint8Array), UTF-8 strings, lists and dicts (keys sorted). */
    encode(data: unknown): Uint8Array
    /** Byte strings come back as Uint8Array, dict keys as strings. */
    decode(data: Uint8Array): unknown
    byteLength(data: unknown): number
  }
  const bencode: Bencode
  export default bencode
}
