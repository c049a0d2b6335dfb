import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { waitFor } from './popup-actions'

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

/** Headless Firefox ESR through WebDriver BiDi: no driver to download. */
export function launchFirefox(): Promise<Browser> {
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true })
}

/**
 * Firefox automation cannot open moz-extension:// pages itself, so the tests
 * use the welcome tab the extension opens on install: it is the popup page.
 */
export function welcomeTab(browser: Browser): Promise<Page> {
  return waitFor('the extension welcome tab', async () => {
    for (const p of await browser.pages()) {
      // The BiDi page URL can stay about:blank for extension tabs; ask the page itself.
      const href = await p.evaluate(() => location.href).catch(() => '')
      if (href.startsWith('moz-extension://')) return p
    }
    return undefined
  })
}
