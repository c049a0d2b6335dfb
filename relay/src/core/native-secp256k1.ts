import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * The N-API addon in relay/native/secp256k1-verify: BIP-340 verification on
 * the system libsecp256k1, a batch per call.
 */
export interface NativeSecp256k1 {
  /**
   * `records` holds `count` records of 128 bytes: the 32-byte message (for
   * an event, its id), the 32-byte x-only pubkey, the 64-byte signature.
   * Returns one byte per record, 1 where the signature is valid. A pubkey
   * that is not on the curve is simply invalid.
   */
  verify(records: Uint8Array, count: number): Uint8Array
}

/** Bytes per record of {@link NativeSecp256k1.verify}. */
export const NATIVE_RECORD_BYTES = 128

/** Where `npm run build:native` puts the addon. */
export const DEFAULT_ADDON_PATH = fileURLToPath(
  new URL('../../native/secp256k1-verify/build/Release/secp256k1_verify.node', import.meta.url),
)

/** The command that builds the addon, for messages. */
export const BUILD_COMMAND = 'npm run build:native'

export type NativeLoad = { ok: true; addon: NativeSecp256k1 } | { ok: false; cause: string }

const loads = new Map<string, NativeLoad>()

/**
 * Loads the addon at `path`, once per path and thread: a failure is kept and
 * reported the same way every time, never retried. `cause` says in a few
 * words why it did not load (not built, wrong Node ABI, libsecp256k1
 * missing) so the relay can tell the operator what to do.
 */
export function loadNativeSecp256k1(path: string = DEFAULT_ADDON_PATH): NativeLoad {
  let load = loads.get(path)
  if (load === undefined) {
    load = tryLoad(path)
    loads.set(path, load)
  }
  return load
}

function tryLoad(path: string): NativeLoad {
  if (!existsSync(path)) return { ok: false, cause: `the addon is not built (${path} is missing)` }
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<NativeSecp256k1>
    if (typeof addon.verify !== 'function') {
      return { ok: false, cause: `${path} does not export verify()` }
    }
    return { ok: true, addon: addon as NativeSecp256k1 }
  } catch (err) {
    return { ok: false, cause: describeLoadError(err) }
  }
}

/** The loader's error, with the usual causes named in plain words. */
export function describeLoadError(err: unknown): string {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  if (message === undefined) return 'it could not be loaded'
  if (/NODE_MODULE_VERSION|was compiled against a different Node/.test(message)) {
    return `it was built for another Node version (${message})`
  }
  if (/libsecp256k1/.test(message)) {
    return `the system libsecp256k1 is missing (${message}); install libsecp256k1-dev`
  }
  return `it could not be loaded (${message})`
}
