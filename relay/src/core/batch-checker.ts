import type { NostrEvent } from 'nostr-tools/core'
import type { RelayLogger } from './client'
import { computeEventId } from './event-validation'
import {
  BUILD_COMMAND,
  DEFAULT_ADDON_PATH,
  loadNativeSecp256k1,
  NATIVE_RECORD_BYTES,
  type NativeSecp256k1,
} from './native-secp256k1'
import {
  checkEventWith,
  keyAndSigWellFormed,
  loadNostrWasm,
  OUTCOME_CODE,
  OUTCOMES,
  type Verifier,
  type VerifyOutcome,
} from './verifier'

/** The secp256k1 behind the verifier: the system library through the addon, or nostr-wasm. */
export type VerifierImplementation = 'native' | 'wasm'

/** What an operator or a test asks for; `auto` is native when the addon loads, else nostr-wasm. */
export type VerifierChoice = VerifierImplementation | 'auto'

export const VERIFIER_CHOICES: readonly VerifierChoice[] = ['auto', 'native', 'wasm']

/** The environment variable that picks the implementation when no option does. */
export const VERIFIER_ENV = 'TSEED_VERIFIER'

/**
 * Checks a batch of events: for each, its id against the NIP-01
 * serialisation, then its Schnorr signature. Returns one code per event, an
 * index into {@link OUTCOMES}.
 */
export interface BatchChecker {
  readonly implementation: VerifierImplementation
  check(events: readonly NostrEvent[]): Uint8Array<ArrayBuffer>
}

/**
 * The native checker. The id is hashed here, in JavaScript, with node:crypto
 * (OpenSSL): measured against a SHA-256 in the addon over the same packed
 * serialisations, it cost slightly less per event (docs/relay.md), and it
 * keeps the id rule in one place for both implementations. Only the
 * signatures cross into C, all of a batch in one call.
 */
export function nativeBatchChecker(addon: NativeSecp256k1): BatchChecker {
  return {
    implementation: 'native',
    check(events) {
      const out = new Uint8Array(events.length)
      const records = Buffer.allocUnsafe(events.length * NATIVE_RECORD_BYTES)
      const pending: number[] = []
      events.forEach((ev, i) => {
        if (computeEventId(ev) !== ev.id) {
          out[i] = OUTCOME_CODE['bad-id']
        } else if (!keyAndSigWellFormed(ev)) {
          out[i] = OUTCOME_CODE['bad-signature']
        } else {
          const at = pending.length * NATIVE_RECORD_BYTES
          records.write(ev.id, at, 32, 'hex')
          records.write(ev.pubkey, at + 32, 32, 'hex')
          records.write(ev.sig, at + 64, 64, 'hex')
          pending.push(i)
        }
      })
      const valid = addon.verify(records, pending.length)
      pending.forEach((i, k) => {
        out[i] = valid[k] === 1 ? OUTCOME_CODE.valid : OUTCOME_CODE['bad-signature']
      })
      return out
    },
  }
}

/** The nostr-wasm checker: one event at a time, as its API verifies whole events. */
export async function wasmBatchChecker(): Promise<BatchChecker> {
  const nw = await loadNostrWasm()
  return {
    implementation: 'wasm',
    check(events) {
      return Uint8Array.from(events, (ev) => OUTCOME_CODE[checkEventWith(nw, ev)])
    },
  }
}

/** The checker for an implementation already chosen; throws if the addon does not load. */
export async function loadBatchChecker(
  implementation: VerifierImplementation,
  addonPath: string = DEFAULT_ADDON_PATH,
): Promise<BatchChecker> {
  if (implementation === 'wasm') return wasmBatchChecker()
  const load = loadNativeSecp256k1(addonPath)
  if (!load.ok) throw new Error(`native signature verification is unavailable: ${load.cause}`)
  return nativeBatchChecker(load.addon)
}

/**
 * Turns a choice into an implementation, at relay start. `auto` without a
 * loadable addon logs one warning, naming the cause and the build command, and
 * falls back to nostr-wasm; `native` without one throws, so a test or a
 * benchmark that asked for it cannot silently measure the other.
 */
export function chooseImplementation(
  choice: VerifierChoice,
  logger: RelayLogger,
  addonPath: string = DEFAULT_ADDON_PATH,
): VerifierImplementation {
  if (choice === 'wasm') return 'wasm'
  const load = loadNativeSecp256k1(addonPath)
  if (load.ok) return 'native'
  const fix = `install libsecp256k1-dev, then run ${BUILD_COMMAND} (docs/relay.md)`
  if (choice === 'native') {
    throw new Error(`native signature verification was required, but ${load.cause}; ${fix}`)
  }
  logger.warn(
    `relay: native signature verification is off: ${load.cause}. ` +
      `Verifying with nostr-wasm, several times slower. To enable it, ${fix}.`,
  )
  return 'wasm'
}

/** The choice named by TSEED_VERIFIER, if set; throws on a value it does not know. */
export function verifierChoiceFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): VerifierChoice | undefined {
  const value = env[VERIFIER_ENV]
  if (value === undefined || value === '') return undefined
  const choice = VERIFIER_CHOICES.find((c) => c === value)
  if (choice === undefined) {
    throw new Error(`${VERIFIER_ENV} must be one of ${VERIFIER_CHOICES.join(', ')}, got ${value}`)
  }
  return choice
}

/** A verifier on the calling thread over `checker`: one event per call. */
export function inThreadVerifier(checker: BatchChecker): Verifier {
  const check = (ev: NostrEvent): VerifyOutcome => {
    const outcome = OUTCOMES[checker.check([ev])[0] ?? -1]
    if (outcome === undefined) throw new Error('the checker returned no verdict')
    return outcome
  }
  return {
    verify: (ev) => Promise.resolve(check(ev) === 'valid'),
    check: (ev) => Promise.resolve(check(ev)),
  }
}
