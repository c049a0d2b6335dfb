import { expect, test } from '@playwright/test'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { startRelayProcess } from '../../scripts/relay-process'
import { announceQuery, startTrackerSite } from '../../scripts/demo-site'
import { generateKey, useOnlyRelay, waitFor } from './support/popup-actions'
import { puppeteerDriver } from './support/puppeteer-driver'
import { tagValue, verifiesFresh, waitForAnnounces } from './support/relay-client'
import { trickyInfoHash } from './support/fixtures'

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

/**
 * Firefox automation cannot open moz-extension:// pages itself, so the test
 * uses the welcome tab the extension opens on install.
 */
async function welcomeTab(browser: Browser): Promise<Page> {
  return waitFor('the extension welcome tab', async () => {
    for (const p of await browser.pages()) {
      // The BiDi page URL can stay about:blank for extension tabs; ask the page itself.
      const href = await p.evaluate(() => location.href).catch(() => '')
      if (href.startsWith('moz-extension://')) return p
    }
    return undefined
  })
}

test('Firefox: a page announce reaches the relay as a signed kind 21000', async () => {
  const relay = await startRelayProcess()
  const site = await startTrackerSite()
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
  })
  try {
    await browser.installExtension(resolve('dist/firefox'))
    const popup = await welcomeTab(browser)
    const pubkey = await generateKey(puppeteerDriver(popup))
    await useOnlyRelay(puppeteerDriver(popup), relay.url)

    const hash = trickyInfoHash()
    const page = await browser.newPage()
    await page.goto(site.origin)
    await page.evaluate(
      (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
      announceQuery({
        infoHash: hash.bytes,
        uploaded: 42n,
        downloaded: 7n,
        left: 1000n,
        event: 'started',
      }),
    )
    const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length > 0)
    const ev = events[0]!
    expect(ev.pubkey).toBe(pubkey)
    expect(verifiesFresh(ev)).toBe(true)
    expect(tagValue(ev, 'i')).toBe(hash.hex)
    expect(tagValue(ev, 'uploaded')).toBe('42')
    expect(tagValue(ev, 'downloaded')).toBe('7')
    expect(tagValue(ev, 'left')).toBe('1000')

    await popup.bringToFront()
    await waitFor('the OK in the Firefox popup', async () => {
      const text = await popup
        .$eval(
          `[data-testid="announce-row"][data-info-hash="${hash.hex}"] [data-testid="relay-result"]`,
          (e) => e.textContent,
        )
        .catch(() => '')
      return text.startsWith('OK') ? true : undefined
    })
    mkdirSync('test-results', { recursive: true })
    await popup.screenshot({ path: 'test-results/popup-firefox.png', fullPage: true })
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
})
