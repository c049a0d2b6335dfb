import type { Page, Worker } from '@playwright/test'
import { hexToBytes } from '@noble/hashes/utils.js'
import { build } from 'esbuild'
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { nip19 } from 'nostr-tools'
import { getPublicKey } from 'nostr-tools/pure'
import {
  OTHER_SECRET_KEY_HEX,
  TEST_SECRET_KEY_HEX,
  type SignerMode,
} from '../fixtures/nip07-signer/keys'

export { SIGNER_MODES, type SignerMode } from '../fixtures/nip07-signer/keys'

/**
 * The test-only NIP-07 signer extension (tests/e2e/fixtures/nip07-signer),
 * a nos2x look-alike: `window.nostr` in http(s) pages, requests relayed by a
 * content script to its service worker, which signs with a fixed key.
 */
const FIXTURE = resolve('tests/e2e/fixtures/nip07-signer')
const STATIC_FILES = ['manifest.json', 'content-script.js', 'nostr-provider.js']

/** The pubkey the signer reports (and signs with in `good` mode). */
export const SIGNER_PUBKEY = getPublicKey(hexToBytes(TEST_SECRET_KEY_HEX))
export const SIGNER_NPUB = nip19.npubEncode(SIGNER_PUBKEY)
/** The key it secretly signs with in `other-pubkey` mode. */
export const SIGNER_OTHER_PUBKEY = getPublicKey(hexToBytes(OTHER_SECRET_KEY_HEX))

/**
 * Builds the unpacked extension into a new temporary directory and returns
 * it: the static files copied, background.ts bundled by esbuild with
 * nostr-tools inside. `defaultMode` applies until the test stores a mode
 * with {@link setSignerMode}.
 */
export async function buildNip07Signer(defaultMode: SignerMode = 'good'): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'tseed-nip07-signer-'))
  for (const f of STATIC_FILES) copyFileSync(join(FIXTURE, f), join(out, f))
  await build({
    entryPoints: [join(FIXTURE, 'background.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outfile: join(out, 'background.js'),
    define: { __SIGNER_DEFAULT_MODE__: JSON.stringify(defaultMode) },
    logLevel: 'warning',
  })
  return out
}

/** Switches the running signer's mode; takes effect with its next request. */
export async function setSignerMode(signerWorker: Worker, mode: SignerMode): Promise<void> {
  type Storage = { storage: { local: { set(items: object): Promise<void> } } }
  await signerWorker.evaluate(
    (m) => (globalThis as unknown as { chrome: Storage }).chrome.storage.local.set({ mode: m }),
    mode,
  )
}

/** Waits until the signer has put `window.nostr` into the page (it does at document_end, late). */
export async function waitForNostr(page: Page): Promise<void> {
  await page.waitForFunction(
    () => typeof (window as unknown as { nostr?: unknown }).nostr === 'object',
    undefined,
    { timeout: 10_000 },
  )
}
