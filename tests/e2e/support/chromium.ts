import type { BrowserContext, Page, Worker } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { launchExtensionContext } from '../../../scripts/chromium'

export const CHROME_DIST = resolve('dist/chrome')

export interface ExtensionBrowser {
  context: BrowserContext
  worker: Worker
  extensionId: string
  popupUrl: string
  close(): Promise<void>
}

/** Debian's Chromium, headless, with the built extension loaded unpacked. */
export async function launchChromiumWithExtension(): Promise<ExtensionBrowser> {
  const { context, worker, extensionId } = await launchExtensionContext({
    extensionDir: CHROME_DIST,
    profileDir: mkdtempSync(join(tmpdir(), 'tseed-chromium-')),
    headless: true,
    extraArgs: ['--no-sandbox', '--disable-gpu', '--disable-quic'],
  })
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
