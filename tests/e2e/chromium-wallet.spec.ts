import { expect, test } from '@playwright/test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { nip19 } from 'nostr-tools'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { announceQuery, startTrackerSite } from '../../scripts/demo-site'
import { tseedBalance } from '../../scripts/dev-top-up'
import { startRelayProcess } from '../../scripts/relay-process'
import { launchChromiumWithExtension, openPopup } from './support/chromium'
import { trickyInfoHash } from './support/fixtures'
import { playwrightDriver } from './support/playwright-driver'
import { answerPrompt, byId, importKey, showView, useOnlyRelay } from './support/popup-actions'
import { tagValue, waitForAnnounces } from './support/relay-client'
import { assertAuditZero } from './support/relay-audit'
import { expectAccessible, expectFitsPopup } from './support/axe'
import { foreignInvoice } from '../support/tseed-relay'

type ChromeApis = {
  action: { getBadgeText(details: object): Promise<string> }
  notifications: { getAll(): Promise<Record<string, boolean>> }
}

test('a refusal for funds prompts a top-up; the waiting announce is then published, the balance matches the relay, and a cash-out pays an invoice', async () => {
  const relay = await startRelayProcess()
  const site = await startTrackerSite()
  const browser = await launchChromiumWithExtension()
  const sk = generateSecretKey()
  // Each runs in the service worker, so it names `chrome` itself.
  const badge = () =>
    browser.worker.evaluate(() =>
      (globalThis as unknown as { chrome: ChromeApis }).chrome.action.getBadgeText({}),
    )
  const notifications = () =>
    browser.worker.evaluate(() =>
      (globalThis as unknown as { chrome: ChromeApis }).chrome.notifications.getAll(),
    )
  try {
    const popup = await openPopup(browser)
    const d = playwrightDriver(popup)
    await importKey(d, nip19.nsecEncode(sk), nip19.npubEncode(getPublicKey(sk)))
    await useOnlyRelay(d, relay.url)
    await showView(d, 'wallet')
    await expect(popup.locator(byId('balance-tseed'))).toHaveText('0 TSEED')
    await expect(popup.locator(byId('test-mode'))).toBeVisible()

    // A 5 MB download on an empty balance: the relay refuses it for lack of funds.
    const page = await browser.context.newPage()
    await page.goto(site.origin)
    const hash = trickyInfoHash()
    await page.evaluate(
      (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
      announceQuery({ infoHash: hash.bytes, uploaded: 0n, downloaded: 5_000_000n, left: 1n }),
    )
    await answerPrompt(d, site.origin, 'allow-site')
    const missing = popup.locator(byId('funds-missing'))
    await expect(missing).toHaveAttribute('data-tseed', '5')
    await expect.poll(badge).toBe('!')
    expect(Object.keys(await notifications())).toContain('tseed-held')
    mkdirSync('test-results', { recursive: true })
    await popup.screenshot({ path: 'test-results/funds-missing-chromium.png' })
    await expectAccessible(popup, 'balance with missing funds')
    await expectFitsPopup(popup, 'balance with missing funds')

    // The top-up screen opens pre-filled with what 5 TSEED cost, quoted by the shared AMM code.
    await popup.locator(byId('top-up-missing')).click()
    const quote = popup.locator(byId('top-up-quote'))
    await expect(quote).toBeVisible()
    expect(BigInt((await quote.getAttribute('data-tseed'))!)).toBeGreaterThanOrEqual(5n)
    await popup.screenshot({ path: 'test-results/top-up-quote-chromium.png' })
    await expectAccessible(popup, 'top-up')
    await expectFitsPopup(popup, 'top-up')
    await popup.locator(byId('create-invoice')).click()
    // The dev backend credits at once; the invoice screen may be brief.
    await expect(popup.locator(byId('top-up-done'))).toHaveAttribute('data-state', 'credited')
    await popup.screenshot({ path: 'test-results/top-up-done-chromium.png' })

    // The waiting announce goes out by itself, signed again, and is charged.
    const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length === 1)
    expect(tagValue(events[0]!, 'downloaded')).toBe('5000000')
    await popup.locator(byId('top-up-finish')).click()
    await expect(missing).toHaveCount(0)
    const onRelay = await tseedBalance(relay.url, sk)
    await popup.locator(byId('refresh-balance')).click()
    await expect(popup.locator(byId('balance-tseed'))).toHaveAttribute(
      'data-tseed',
      onRelay.toString(),
    )
    await expect.poll(badge).toBe('')
    // What the TSEED did: 5 spent on that torrent in the last 24 hours.
    await expect(popup.locator(byId('flow-24h'))).toContainText('spent 5 TSEED')
    await popup.locator(`${byId('flow-torrents')} summary`).click()
    await expect(
      popup.locator(`${byId('flow-torrent')}[data-info-hash="${hash.hex}"]`),
    ).toContainText('↓ 5')
    await popup.screenshot({ path: 'test-results/balance-chromium.png' })

    // A larger top-up by the amount typed, then a cash-out to an invoice.
    await popup.locator(byId('top-up')).click()
    await popup.locator(byId('top-up-amount')).fill('1000')
    await expect(popup.locator(byId('top-up-quote'))).toContainText('You get about')
    await popup.locator(byId('create-invoice')).click()
    await expect(popup.locator(byId('top-up-done'))).toHaveAttribute('data-state', 'credited')
    await popup.locator(byId('top-up-finish')).click()
    await popup.locator(byId('cash-out')).click()
    await popup.locator(byId('cash-out-amount')).fill('1000')
    const plan = popup.locator(byId('cash-out-plan'))
    await expect(plan).toBeVisible()
    const arrives = BigInt((await plan.getAttribute('data-arrives'))!)
    expect(arrives).toBeGreaterThan(0n)
    await popup.locator(byId('cash-out-destination')).fill(foreignInvoice(arrives).invoice)
    await popup.screenshot({ path: 'test-results/cash-out-chromium.png' })
    await expectAccessible(popup, 'cash-out')
    await expectFitsPopup(popup, 'cash-out')
    await popup.locator(byId('confirm-cash-out')).click()
    await expect(popup.locator(byId('cash-out-done'))).toHaveAttribute('data-state', 'completed')
    await popup.locator(byId('cash-out-finish')).click()
    const after = await tseedBalance(relay.url, sk)
    await expect(popup.locator(byId('balance-tseed'))).toHaveAttribute(
      'data-tseed',
      after.toString(),
    )

    // How soon a freshly opened popup shows the balance from cache (reported, not asserted:
    // speed belongs to measurements, not to pass/fail of a loaded CI machine).
    const fresh = await browser.context.newPage()
    await fresh.goto(browser.popupUrl)
    const shownAtMs = await fresh.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const check = (): void => {
            if (document.querySelector('[data-testid="balance-tseed"]') !== null) {
              resolve(performance.now())
            } else requestAnimationFrame(check)
          }
          check()
        }),
    )
    writeFileSync('test-results/popup-first-render.json', JSON.stringify({ shownAtMs }))
    console.info(`popup first render with the balance from cache: ${shownAtMs.toFixed(1)} ms`)
    await fresh.close()
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
  assertAuditZero(relay.dbPath)
})
