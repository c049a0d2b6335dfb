import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { announceQuery, startTrackerSite, type TrackerSite } from '../../scripts/demo-site'
import { startRelayProcess, type RelayProcess } from '../../scripts/relay-process'
import { TestBunker } from '../../src/background/testing/test-bunker'
import { expectAccessible, expectFitsPopup } from './support/axe'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from './support/chromium'
import { trickyInfoHash } from './support/fixtures'
import { playwrightDriver } from './support/playwright-driver'
import { answerPrompt, byId, showView, useOnlyRelay } from './support/popup-actions'
import { measureAnnounceLatency, verifiesFresh, waitForAnnounces } from './support/relay-client'

/**
 * Signing with a signer app over NIP-46, connected the way a phone app is:
 * the popup shows a nostrconnect:// address, the app (a NIP-46 signer built
 * from nostr-tools, in this process) accepts it through the relay, and from
 * then on every announce is signed by the app.
 */
let relay: RelayProcess
let site: TrackerSite
let browser: ExtensionBrowser
let bunker: TestBunker
const userSk = generateSecretKey()
const userPubkey = getPublicKey(userSk)

test.beforeAll(async () => {
  relay = await startRelayProcess()
  site = await startTrackerSite()
  browser = await launchChromiumWithExtension()
  bunker = await TestBunker.start(relay.url, { userSk })
  mkdirSync('test-results', { recursive: true })
})

test.afterAll(async () => {
  await bunker.close()
  await browser.close()
  await site.close()
  await relay.stop()
})

async function announceFrom(page: Page, hash: ReturnType<typeof trickyInfoHash>): Promise<void> {
  await page.evaluate(
    (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
    announceQuery({ infoHash: hash.bytes, uploaded: 1n, downloaded: 0n, left: 1n }),
  )
}

test('a signer app connected by nostrconnect:// signs the announces that reach the relay', async () => {
  const popup = await openPopup(browser)
  const d = playwrightDriver(popup)
  await useOnlyRelay(d, relay.url)
  await showView(d, 'wallet')
  await popup.locator(byId('nostrconnect-relay')).fill(relay.url)
  await popup.locator(byId('start-nostrconnect')).click()
  const uri = await popup.locator(byId('nostrconnect-uri')).inputValue()
  expect(new URL(uri).protocol).toBe('nostrconnect:')
  await expect(popup.locator(byId('nostrconnect-qr'))).toBeVisible()
  await popup.screenshot({ path: 'test-results/nostrconnect-chromium.png', fullPage: true })
  await expectAccessible(popup, 'nostrconnect address')
  await expectFitsPopup(popup, 'nostrconnect address')

  // The app scans the address and answers with its secret: the popup switches by itself.
  await bunker.acceptNostrConnect(uri)
  await expect(popup.locator(byId('balance'))).toBeVisible()
  await showView(d, 'settings')
  await expect(popup.locator(byId('npub'))).toHaveText(nip19.npubEncode(userPubkey))
  await expect(popup.locator(byId('external-signer'))).toContainText('NIP-46')

  const page = await browser.context.newPage()
  await page.goto(site.origin)
  const first = trickyInfoHash()
  await announceFrom(page, first)
  await answerPrompt(d, site.origin, 'allow-site')
  const events = await waitForAnnounces(relay.url, first.hex, (es) => es.length === 1)
  expect(events[0]!.pubkey).toBe(userPubkey)
  expect(verifiesFresh(events[0]!)).toBe(true)
  expect(bunker.methods).toContain('sign_event')

  // Latency through the signer app, one announce at a time, page call to relay broadcast.
  const latency = await measureAnnounceLatency(
    relay.url,
    'nip46',
    (h) => announceFrom(page, h),
    trickyInfoHash,
  )
  expect(latency.announces).toBe(10)
})
