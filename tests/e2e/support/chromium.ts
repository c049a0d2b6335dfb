import { chromium, type BrowserContext, type Page, type Worker } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const CHROME_DIST = resolve('dist/chrome')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface ExtensionBrowser {
  context: BrowserContext
  worker: Worker
  extensionId: string
  popupUrl: string
  close(): Promise<void>
}

/** Debian's Chromium, headless, with the built extension loaded unpacked. */
export async function launchChromiumWithExtension(): Promise<ExtensionBrowser> {
  const context = await chromium.launchPersistentContext(
    mkdtempSync(join(tmpdir(), 'tseed-chromium-')),
    {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        `--disable-extensions-except=${CHROME_DIST}`,
        `--load-extension=${CHROME_DIST}`,
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    },
  )
  let [worker] = context.serviceWorkers()
  worker ??= await context.waitForEvent('serviceworker')
  const extensionId = new URL(worker.url()).host
  return {
    context,
    worker,
    extensionId,
    popupUrl: `chrome-extension://${extensionId}/src/popup/index.html`,
    close: () => context.close(),
  }
}

/** Opens the popup page in a tab, as the toolbar button would show it. */
export async function openPopup(browser: ExtensionBrowser): Promise<Page> {
  const page = await browser.context.newPage()
  await page.goto(browser.popupUrl)
  return page
}
