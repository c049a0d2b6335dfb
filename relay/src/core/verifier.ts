import type { NostrEvent } from 'nostr-tools/core'
import { setNostrWasm, verifyEvent } from 'nostr-tools/wasm'
import { initNostrWasm, type Nostr } from 'nostr-wasm'
import { computeEventId } from './event-validation'

/**
 * What a full check of a signed event found. The relay words its OK reply
 * from it: `invalid: id is not the sha256…` or `invalid: bad signature`.
 */
export type VerifyOutcome = 'valid' | 'bad-id' | 'bad-signature'

/** Verdict codes, in index order: how batches of verdicts travel between threads. */
export const OUTCOMES: readonly VerifyOutcome[] = ['valid', 'bad-id', 'bad-signature']
export const OUTCOME_CODE = { valid: 0, 'bad-id': 1, 'bad-signature': 2 } as const

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/

/**
 * True when pubkey and sig are lowercase hex of the right length. The relay's
 * shape check already requires it; both implementations check again because
 * nostr-wasm would otherwise decode a longer key into its fixed-size buffer
 * and verify the first 32 bytes, where the native path refuses it.
 */
export function keyAndSigWellFormed(ev: Pick<NostrEvent, 'pubkey' | 'sig'>): boolean {
  return HEX64.test(ev.pubkey) && HEX128.test(ev.sig)
}

/**
 * Checks an event's id and Schnorr signature. Behind an interface because
 * verification is most of the relay's CPU per event, and a pool of worker
 * threads can take its place without touching the relay.
 */
export interface Verifier {
  /** True when the signature is valid for the event's id and pubkey. */
  verify(ev: NostrEvent): Promise<boolean>
  /**
   * Recomputes the id and checks the signature in one step. When a verifier
   * has it the relay skips its own id hash and leaves both to the verifier,
   * which lets a worker pool take the hashing off the main thread too.
   * Rejects only when the verifier itself failed (never for a bad event).
   */
  check?(ev: NostrEvent): Promise<VerifyOutcome>
  /** Releases threads or other resources; the verifier is unusable afterwards. */
  close?(): Promise<void>
}

let wasmReady: Promise<Nostr> | undefined

/** The secp256k1 WASM module, instantiated once per thread. */
export function loadNostrWasm(): Promise<Nostr> {
  wasmReady ??= initNostrWasm().then((nw) => {
    setNostrWasm(nw)
    return nw
  })
  return wasmReady
}

/**
 * Checks id and signature with the WASM secp256k1. The id is hashed here with
 * node:crypto, so a mismatch is told apart from a bad signature without
 * reading nostr-wasm's error text. nostr-wasm keeps no verdict on the object,
 * so every call really verifies.
 */
export function checkEventWith(nw: Nostr, ev: NostrEvent): VerifyOutcome {
  if (computeEventId(ev) !== ev.id) return 'bad-id'
  if (!keyAndSigWellFormed(ev)) return 'bad-signature'
  try {
    nw.verifyEvent(ev)
    return 'valid'
  } catch {
    // Its only failures are a bad id (excluded above), an off-curve pubkey and a bad signature.
    return 'bad-signature'
  }
}

/**
 * A verifier on the nostr-tools WASM backend (secp256k1 compiled to WASM, about
 * six times the pure-JS rate), running on the calling thread. The WASM module
 * is loaded once per process.
 */
export async function createWasmVerifier(): Promise<Verifier> {
  const nw = await loadNostrWasm()
  return {
    verify(ev) {
      // nostr-tools marks the object it verified as verified; a copy keeps a
      // caller's object, and any later edit to it, out of that cache.
      const copy: NostrEvent = {
        id: ev.id,
        pubkey: ev.pubkey,
        created_at: ev.created_at,
        kind: ev.kind,
        tags: ev.tags,
        content: ev.content,
        sig: ev.sig,
      }
      return Promise.resolve(verifyEvent(copy))
    },
    check(ev) {
      return Promise.resolve(checkEventWith(nw, ev))
    },
  }
}
