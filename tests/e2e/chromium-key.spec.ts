import { expect, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { nip19 } from 'nostr-tools'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { bytesToHex } from '../../src/nostr/tracker-announce'
import { announceQuery, startTrackerSite } from '../../scripts/demo-site'
import { startRelayProcess } from '../../scripts/relay-process'
import { launchChromiumWithExtension, openPopup } from './support/chromium'
import { trickyInfoHash } from './support/fixtures'
import { playwrightDriver } from './support/playwright-driver'
import {
  answerPrompt,
  byId,
  importKey,
  showView,
  TEST_PASSWORD,
  useOnlyRelay,
} from './support/popup-actions'
import { fetchAnnounces, waitForAnnounces } from './support/relay-client'
import { expectAccessible, expectFitsPopup } from './support/axe'

type StorageArea = { get(keys: null): Promise<Record<string, unknown>> }
type ChromeStorage = { storage: { local: StorageArea; session: StorageArea } }

test('the key rests encrypted; a locked key publishes nothing until the password unlocks it', async () => {
  const relay = await startRelayProcess()
  const site = await startTrackerSite()
  const browser = await launchChromiumWithExtension()
  const sk = generateSecretKey()
  const nsec = nip19.nsecEncode(sk)
  try {
    const popup = await openPopup(browser)
    const d = playwrightDriver(popup)
    await popup.locator(byId('no-key')).waitFor()
    // No website is open yet, so there is no tab a signer extension could show in.
    await expect(popup.locator(byId('nip07-presence'))).toHaveAttribute('data-presence', 'no-tab')
    await popup.screenshot({ path: 'test-results/first-run-chromium.png', fullPage: true })
    await expectAccessible(popup, 'first run (no key)')
    await expectFitsPopup(popup, 'first run')
    await importKey(d, nsec, nip19.npubEncode(getPublicKey(sk)))
    await useOnlyRelay(d, relay.url)

    const areas = await browser.worker.evaluate(async () => {
      const { storage } = (globalThis as unknown as { chrome: ChromeStorage }).chrome
      return { local: await storage.local.get(null), session: await storage.session.get(null) }
    })
    const local = JSON.stringify(areas.local)
    expect(local).toContain('ncryptsec1')
    expect(local).not.toContain(bytesToHex(sk))
    expect(local).not.toContain(nsec)
    expect(areas.session.secretKey).toBe(bytesToHex(sk))

    // A web page cannot reach the background: no content script, no externally_connectable.
    const hostile = await browser.context.newPage()
    await hostile.goto(site.origin)
    const reached = await hostile.evaluate(async (id) => {
      const rt = (
        globalThis as {
          chrome?: { runtime?: { sendMessage?: (...a: unknown[]) => Promise<unknown> } }
        }
      ).chrome?.runtime
      if (rt?.sendMessage === undefined) return 'no runtime'
      try {
        return JSON.stringify(
          await rt.sendMessage(id, { type: 'exportKey', params: { password: 'x' } }),
        )
      } catch (e) {
        return `refused: ${(e as Error).message}`
      }
    }, browser.extensionId)
    expect(reached === 'no runtime' || reached.startsWith('refused')).toBe(true)
    await hostile.close()

    // The site is allowed first, so only the lock stands between the announce and the relay.
    const page = await browser.context.newPage()
    await page.goto(site.origin)
    const announce = (h: ReturnType<typeof trickyInfoHash>) =>
      page.evaluate(
        (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
        announceQuery({ infoHash: h.bytes, uploaded: 1n, downloaded: 0n, left: 1n }),
      )
    const first = trickyInfoHash()
    await announce(first)
    await answerPrompt(d, site.origin, 'allow-site')
    await waitForAnnounces(relay.url, first.hex, (es) => es.length === 1)

    await showView(d, 'settings')
    await popup.locator(byId('lock-key')).click()
    await expect(popup.locator(byId('key-locked'))).toBeVisible()
    const locked = await browser.worker.evaluate(async () =>
      (globalThis as unknown as { chrome: ChromeStorage }).chrome.storage.session.get(null),
    )
    expect(locked.secretKey).toBeUndefined()

    const second = trickyInfoHash()
    await announce(second)
    await showView(d, 'activity')
    await expect(popup.locator(byId('waiting-for-key'))).toBeVisible()
    mkdirSync('test-results', { recursive: true })
    await popup.screenshot({ path: 'test-results/key-locked-chromium.png' })
    await expectAccessible(popup, 'activity, key locked')
    await expectFitsPopup(popup, 'activity')
    // Unlocking is the wallet view's main action while the key is locked.
    await showView(d, 'wallet')
    await expect(popup.locator(byId('key-locked'))).toBeVisible()
    await popup.screenshot({ path: 'test-results/wallet-locked-chromium.png' })
    await expectAccessible(popup, 'locked key')
    await expectFitsPopup(popup, 'locked key')
    await popup.waitForTimeout(2_000)
    expect(await fetchAnnounces(relay.url, second.hex)).toEqual([])

    await popup.locator(byId('unlock-password')).fill('not the password')
    await popup.locator(byId('unlock-key')).click()
    await expect(popup.locator(byId('error'))).toHaveText('Wrong password')
    await popup.locator(byId('unlock-password')).fill(TEST_PASSWORD)
    await popup.locator(byId('unlock-key')).click()
    await waitForAnnounces(relay.url, second.hex, (es) => es.length === 1)

    // Export needs the password again, and gives back the very key.
    await showView(d, 'settings')
    await expectAccessible(popup, 'settings')
    await expectFitsPopup(popup, 'settings')
    await popup.screenshot({ path: 'test-results/settings-chromium.png', fullPage: true })
    await popup.locator(`${byId('export')} summary`).click()
    await popup.locator(byId('export-password')).fill(TEST_PASSWORD)
    await popup.locator(byId('export-key')).click()
    await expect(popup.locator(byId('export-nsec'))).toHaveText(nsec)
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
})
