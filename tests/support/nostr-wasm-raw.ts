/**
 * nostr-wasm's secp256k1 WASM binary, driven through its raw exports, so that
 * BIP-340 test vectors (arbitrary 32-byte messages) reach the very code the
 * relay's WASM verifier runs. nostr-wasm's own API only verifies whole
 * events, whose message is always their id, so no vector fits through it.
 *
 * The export and import names are nostr-wasm 0.1.0's (dist/nostr.js,
 * `map_wasm_exports` and `map_wasm_imports`); a different version fails here
 * loudly rather than testing something else.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export interface RawSchnorr {
  /** BIP-340 verify of `sig` (64 bytes) on `msg` (32 bytes) by x-only `pubkey` (32 bytes). */
  verify(pubkey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean
}

type Fn = (...args: number[]) => number

const SECP256K1_CONTEXT_VERIFY = 257
const SECP256K1_CONTEXT_SIGN = 513

export async function loadNostrWasmRaw(): Promise<RawSchnorr> {
  const require = createRequire(import.meta.url)
  const main = require.resolve('nostr-wasm')
  const pkg = JSON.parse(readFileSync(join(dirname(main), '../package.json'), 'utf8')) as {
    version: string
  }
  if (pkg.version !== '0.1.0') {
    throw new Error(`nostr-wasm-raw knows nostr-wasm 0.1.0's exports, found ${pkg.version}`)
  }
  const base64 = /const sb64_data = "([A-Za-z0-9+/=]+)"/.exec(readFileSync(main, 'utf8'))?.[1]
  if (base64 === undefined) throw new Error(`no WASM binary found in ${main}`)

  let heap = new Uint8Array(0)
  const fail = (what: string) => (): never => {
    throw new Error(`nostr-wasm: ${what}`)
  }
  const imports = {
    a: {
      a: fail('abort'),
      b: fail('libsecp256k1 wrote to a file descriptor (an illegal argument)'),
      c: () => 70,
      d: fail('out of memory'),
      e: () => 52,
      f: (dst: number, src: number, n: number) => heap.copyWithin(dst, src, src + n),
    },
  }
  const { instance } = await WebAssembly.instantiate(Buffer.from(base64, 'base64'), imports)
  const x = instance.exports as Record<string, unknown>
  const fn = (name: string): Fn => {
    const f = x[name]
    if (typeof f !== 'function') throw new Error(`nostr-wasm export ${name} is missing`)
    return f as Fn
  }
  const memory = x.g
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('nostr-wasm memory is missing')
  heap = new Uint8Array(memory.buffer)
  fn('h')() // init
  const malloc = fn('i')
  const ctx = fn('o')(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY)
  const xonlyParse = fn('p')
  const schnorrVerify = fn('u')
  const pubIn = malloc(32)
  const msgIn = malloc(32)
  const sigIn = malloc(64)
  const xonly = malloc(64)
  return {
    verify(pubkey, msg, sig) {
      if (pubkey.length !== 32 || msg.length !== 32 || sig.length !== 64) {
        throw new RangeError('expected a 32-byte pubkey and message and a 64-byte signature')
      }
      heap.set(pubkey, pubIn)
      heap.set(msg, msgIn)
      heap.set(sig, sigIn)
      if (xonlyParse(ctx, xonly, pubIn) !== 1) return false
      return schnorrVerify(ctx, sigIn, msgIn, 32, xonly) === 1
    },
  }
}
