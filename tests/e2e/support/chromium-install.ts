import { chromium, type BrowserContext, type Worker } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHROMIUM } from '../../../scripts/chromium'
import { CHROME_DIST } from './chromium'

/**
 * Chromium with no extension at first, so a test can open tabs and then
 * install TSEED into the running browser, as a user does. Installing goes
 * through the DevTools protocol (`Extensions.loadUnpacked`, which needs
 * `--enable-unsafe-extension-debugging`); loading the same directory again
 * is an update. `chrome.runtime.reload()` is no substitute here: it unloads
 * an extension loaded from the command line and never brings it back.
 */
export interface InstallableChromium {
  context: BrowserContext
  /** Installs, or with the extension present updates, dist/chrome; resolves with the new worker. */
  install(): Promise<{ worker: Worker; extensionId: string; popupUrl: string }>
  close(): Promise<void>
}

export async function launchChromiumForInstall(): Promise<InstallableChromium> {
  const context = await chromium.launchPersistentContext(
    mkdtempSync(join(tmpdir(), 'tseed-chromium-install-')),
    {
      executablePath: CHROMIUM,
      headless: true,
      // Playwright disables extensions by default; this browser gets one later.
      ignoreDefaultArgs: ['--disable-extensions'],
      args: [
        '--enable-unsafe-extension-debugging',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    },
  )
  const browser = context.browser()
  if (browser === null) throw new Error('no browser behind the persistent context')
  const cdp = await browser.newBrowserCDPSession()
  return {
    context,
    install: async () => {
      const started = context.waitForEvent('serviceworker', {
        predicate: (w) => w.url().startsWith('chrome-extension://'),
        timeout: 30_000,
      })
      const { id } = (await cdp.send(
        'Extensions.loadUnpacked' as never,
        {
          path: CHROME_DIST,
        } as never,
      )) as { id: string }
      const worker = await started
      return {
        worker,
        extensionId: id,
        popupUrl: `chrome-extension://${id}/src/popup/index.html`,
      }
    },
    close: () => context.close(),
  }
}
