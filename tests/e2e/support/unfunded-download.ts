import { expect, type BrowserContext, type Page } from '@playwright/test'
import { announceQuery } from '../../../scripts/demo-site'
import { trickyInfoHash } from './fixtures'
import { playwrightDriver } from './playwright-driver'
import { answerPrompt, byId } from './popup-actions'

/**
 * The start of every top-up test: a page on `origin` announces a 5 MB
 * download for a key with no TSEED, the user allows the site, and the relay
 * refuses for lack of funds, which the popup shows as 5 TSEED missing.
 * Returns the page (still open) and the torrent.
 */
export async function announceUnfundedDownload(
  context: BrowserContext,
  popup: Page,
  origin: string,
): Promise<{ page: Page; hash: ReturnType<typeof trickyInfoHash> }> {
  const page = await context.newPage()
  await page.goto(origin)
  const hash = trickyInfoHash()
  await page.evaluate(
    (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
    announceQuery({ infoHash: hash.bytes, uploaded: 0n, downloaded: 5_000_000n, left: 1n }),
  )
  await answerPrompt(playwrightDriver(popup), origin, 'allow-site')
  await expect(popup.locator(byId('funds-missing'))).toHaveAttribute('data-tseed', '5')
  return { page, hash }
}
