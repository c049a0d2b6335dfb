import { expect, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { startRelayProcess } from '../../scripts/relay-process'
import { useOnlyRelay, waitFor } from './support/popup-actions'
import { launchFirefox, welcomeTab } from './support/firefox'
import { puppeteerDriver } from './support/puppeteer-driver'
import { startTorrentIndexSite } from './support/torrent-index-site'

test('Firefox: the content script badges magnet links through the background, in closed shadow roots', async () => {
  const relay = await startRelayProcess()
  const site = await startTorrentIndexSite()
  const browser = await launchFirefox()
  try {
    await browser.installExtension(resolve('dist/firefox'))
    const welcome = await welcomeTab(browser)
    await useOnlyRelay(puppeteerDriver(welcome), relay.url)
    site.page('/list', 'Firefox index', [
      { name: 'sized', href: `magnet:?xt=urn:btih:${'a'.repeat(40)}&xl=5000000` },
      { name: 'late', href: `magnet:?xt=urn:btih:${'b'.repeat(40)}`, late: true },
    ])
    const page = await browser.newPage()
    await page.goto(`${site.origin}/list`)
    const hosts = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('tseed-badge')].map((h) => ({
          after: h.previousElementSibling?.getAttribute('href')?.slice(20, 60),
          // Closed: the page cannot look inside.
          open: h.shadowRoot !== null,
        })),
      )
    await waitFor('both badges', async () => ((await hosts()).length === 2 ? true : undefined))
    const found = await hosts()
    expect(found.map((h) => [h.after, h.open])).toEqual([
      ['a'.repeat(40), false],
      ['b'.repeat(40), false],
    ])
    await page.locator('tseed-badge').click()
    mkdirSync('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/site-badges-firefox.png' })
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
})
