import type { NostrEvent } from 'nostr-tools/core'
import { setNostrWasm, verifyEvent } from 'nostr-tools/wasm'
import { initNostrWasm } from 'nostr-wasm'

/**
 * Checks an event's id and Schnorr signature. Behind an interface because
 * verification is most of the relay's CPU per event, and a pool of worker
 * threads can take its place without touching the relay.
 */
export interface Verifier {
  verify(ev: NostrEvent): Promise<boolean>
}

let wasmReady: Promise<void> | undefined

/**
 * A verifier on the nostr-tools WASM backend (secp256k1 compiled to WASM, about
 * six times the pure-JS rate). The WASM module is loaded once per process.
 */
export async function createWasmVerifier(): Promise<Verifier> {
  wasmReady ??= initNostrWasm().then(setNostrWasm)
  await wasmReady
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
  }
}
