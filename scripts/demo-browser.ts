import type { BrowserContext, Locator, Page } from '@playwright/test'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { nip19 } from 'nostr-tools'
import { getPublicKey } from 'nostr-tools/pure'
import { launchExtensionContext } from './chromium'

/**
 * One person of the demo (`npm start`): a Chromium profile of their own with
 * the extension, their own seeding key imported in the popup, and the popup
 * open in a tab. The demo drives the popup the way that person would.
 */
export interface DemoBrowser {
  context: BrowserContext
  /** The popup page, in a tab. */
  popup: Page
  npub: string
  close(): Promise<void>
}

/** The extension's default relay; the demo changes it only when its relay runs elsewhere. */
const DEFAULT_RELAY = 'ws://127.0.0.1:7447'

const byId = (popup: Page, id: string): Locator => popup.locator(`[data-testid="${id}"]`)

export async function openDemoBrowser(opts: {
  /** Wiped first: each run starts with a fresh profile, so the popup asks about the site again. */
  profileDir: string
  headless: boolean
  key: Uint8Array
  /** The key's password in the extension; a demo, not a secret. */
  password: string
  relayUrl: string
  /** Where the window goes on the screen, so two of them sit side by side. */
  window: { x: number; width: number; height: number }
}): Promise<DemoBrowser> {
  rmSync(opts.profileDir, { recursive: true, force: true })
  const { context, extensionId } = await launchExtensionContext({
    extensionDir: resolve('dist/chrome'),
    profileDir: opts.profileDir,
    headless: opts.headless,
    windowSized: true,
    extraArgs: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      // Two browsers on one machine reach each other over WebRTC by their host
      // candidates; as mDNS names those need a responder that not every machine runs.
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      `--window-position=${opts.window.x},0`,
      `--window-size=${opts.window.width},${opts.window.height}`,
    ],
  })
  try {
    const popup = context.pages()[0] ?? (await context.newPage())
    await popup.goto(`chrome-extension://${extensionId}/src/popup/index.html`)
    const npub = nip19.npubEncode(getPublicKey(opts.key))
    await byId(popup, 'import-key-input').fill(nip19.nsecEncode(opts.key))
    await byId(popup, 'import-key-password').fill(opts.password)
    await byId(popup, 'import-key-confirm').fill(opts.password)
    await byId(popup, 'import-key').click()
    await byId(popup, 'balance').waitFor()
    await byId(popup, 'view-settings').click()
    await popup.locator('[data-testid="npub"]', { hasText: npub }).waitFor()
    if (opts.relayUrl !== DEFAULT_RELAY) await useOnlyRelay(popup, opts.relayUrl)
    await byId(popup, 'view-wallet').click()
    return { context, popup, npub, close: () => context.close() }
  } catch (err) {
    await context.close()
    throw err
  }
}

/** Lists `relayUrl` under Settings and removes the others. */
async function useOnlyRelay(popup: Page, relayUrl: string): Promise<void> {
  await byId(popup, 'relay-input').fill(relayUrl)
  await byId(popup, 'add-relay').click()
  await popup.locator(`[data-testid="relay-row"][data-url="${relayUrl}"]`).waitFor()
  await popup
    .locator(`[data-testid="relay-row"][data-url="${DEFAULT_RELAY}"] [data-testid="remove-relay"]`)
    .click()
  await popup
    .locator(`[data-testid="relay-row"][data-url="${DEFAULT_RELAY}"]`)
    .waitFor({ state: 'detached' })
}

/**
 * Waits for the popup to ask about `origin` and clicks "Allow this site", as
 * the person would; returns the question the popup asked.
 */
export async function allowSite(b: DemoBrowser, origin: string): Promise<string> {
  const prompt = b.popup.locator(`[data-testid="consent-prompt"][data-origin="${origin}"]`)
  await b.popup.bringToFront()
  await prompt.waitFor({ timeout: 60_000 })
  const question = (await prompt.locator('h2').textContent()) ?? ''
  const allow = prompt.locator('[data-testid="prompt-allow-site"]')
  await allow.click()
  // Once the site is allowed, no prompt of it offers "Allow this site" again.
  await allow.waitFor({ state: 'detached' })
  return question
}

/**
 * Clicks Refresh in the Wallet view and returns the TSEED the popup shows
 * once it shows `expected`, or whatever it shows after a while (null: no
 * balance at all).
 */
export async function popupBalance(b: DemoBrowser, expected: bigint): Promise<bigint | null> {
  await b.popup.bringToFront()
  await byId(b.popup, 'view-wallet').click()
  await byId(b.popup, 'refresh-balance').click()
  const shown = b.popup.locator(`[data-testid="balance-tseed"][data-tseed="${expected}"]`)
  await shown.waitFor({ timeout: 15_000 }).catch(() => undefined)
  const tseed = await byId(b.popup, 'balance-tseed')
    .getAttribute('data-tseed', { timeout: 1_000 })
    .catch(() => null)
  return tseed === null ? null : BigInt(tseed)
}
