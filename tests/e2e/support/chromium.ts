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

export interface ExtensionsBrowser extends ExtensionBrowser {
  /** The service workers of the extra extensions, in the order given. */
  extraWorkers: Worker[]
}

/**
 * Debian's Chromium, headless, with the built extension loaded unpacked.
 * `extraArgs` are appended to the command line.
 */
export async function launchChromiumWithExtension(
  extraArgs: string[] = [],
): Promise<ExtensionBrowser> {
  return launchChromiumWithExtensions([], extraArgs)
}

/**
 * Like {@link launchChromiumWithExtension}, with more unpacked extensions
 * (test fixtures) loaded next to TSEED. `worker` and `extensionId` stay
 * TSEED's, found by its service worker's URL.
 */
export async function launchChromiumWithExtensions(
  extraExtensionDirs: string[],
  extraArgs: string[] = [],
): Promise<ExtensionsBrowser> {
  const { context, worker, extensionId, extraWorkers } = await launchExtensionContext({
    extensionDir: CHROME_DIST,
    extraExtensionDirs,
    profileDir: mkdtempSync(join(tmpdir(), 'tseed-chromium-')),
    headless: true,
    extraArgs: ['--no-sandbox', '--disable-gpu', '--disable-quic', ...extraArgs],
  })
  return {
    context,
    worker,
    extensionId,
    extraWorkers,
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
