import { expect, test } from '@playwright/test'
import { startRelayProcess } from '../../scripts/relay-process'
import { announceQuery, startTrackerSite } from '../../scripts/demo-site'
import { launchChromiumWithExtension, openPopup } from './support/chromium'
import { answerPrompt, generateKey, showView, useOnlyRelay } from './support/popup-actions'
import { playwrightDriver } from './support/playwright-driver'
import { tagValue, waitForAnnounces } from './support/relay-client'
import { trickyInfoHash } from './support/fixtures'

test('announces made while the relay is down, with the worker killed, all arrive after restart', async () => {
  let relay = await startRelayProcess()
  const site = await startTrackerSite()
  const browser = await launchChromiumWithExtension()
  try {
    const popup = await openPopup(browser)
    const pubkey = await generateKey(playwrightDriver(popup))
    await useOnlyRelay(playwrightDriver(popup), relay.url)

    // The user allows the site on its first announce, as the prompt asks.
    const page = await browser.context.newPage()
    await page.goto(site.origin)
    const opening = trickyInfoHash()
    await page.evaluate(
      (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
      announceQuery({ infoHash: opening.bytes, uploaded: 1n, downloaded: 0n, left: 10n }),
    )
    await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')
    await waitForAnnounces(relay.url, opening.hex, (es) => es.length > 0)
    await popup.close()

    const { port, dbPath } = relay
    await relay.stop()

    const hashes = [trickyInfoHash(), trickyInfoHash(), trickyInfoHash()]
    for (const [i, h] of hashes.entries()) {
      await page.evaluate(
        (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
        announceQuery({ infoHash: h.bytes, uploaded: BigInt(100 + i), downloaded: 0n, left: 10n }),
      )
    }

    // The popup must show them as not delivered yet.
    const watcher = await openPopup(browser)
    await showView(playwrightDriver(watcher), 'activity')
    for (const h of hashes) {
      const result = watcher
        .locator(`[data-testid="announce-row"][data-info-hash="${h.hex}"]`)
        .locator('[data-testid="relay-result"]')
      await expect(result).toBeVisible()
      await expect(result).not.toHaveText(/^OK/)
    }
    await watcher.close()

    // Kill the service worker: the queue must live in IndexedDB, not in memory.
    const cdp = await browser.context.newCDPSession(page)
    await cdp.send('ServiceWorker.enable')
    await cdp.send('ServiceWorker.stopAllWorkers')

    relay = await startRelayProcess({ port, dbPath })
    // Opening the popup wakes the worker, which drains the outbox at start.
    const popup2 = await openPopup(browser)
    await showView(playwrightDriver(popup2), 'activity')
    for (const [i, h] of hashes.entries()) {
      const events = await waitForAnnounces(relay.url, h.hex, (es) => es.length > 0, 60_000)
      expect(events[0]!.pubkey).toBe(pubkey)
      expect(tagValue(events[0]!, 'uploaded')).toBe(String(100 + i))
    }
    for (const h of hashes) {
      await expect(
        popup2
          .locator(`[data-testid="announce-row"][data-info-hash="${h.hex}"]`)
          .locator('[data-testid="relay-result"]'),
      ).toHaveText(/^OK/, { timeout: 30_000 })
    }
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
})
