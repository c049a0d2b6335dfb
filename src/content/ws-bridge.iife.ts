// ISOLATED world, document_start, every frame (manifest.json); also injected
// by the background into tabs that were open before install. Built as a
// synchronous IIFE: an async loader would start after page scripts and lose
// the secret exchange with the MAIN-world hook.
import { startWsBridge, type BridgeRuntime } from './ws-bridge'

const api = globalThis as unknown as {
  browser?: { runtime?: BridgeRuntime }
  chrome?: { runtime?: BridgeRuntime }
}
const runtime = api.browser?.runtime ?? api.chrome?.runtime
if (runtime !== undefined) {
  startWsBridge({
    window,
    CustomEvent,
    globals: globalThis,
    runtime,
    now: () => Date.now(),
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  })
}
