import { expect, test } from '@playwright/test'
import type { Page } from 'puppeteer-core'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess } from '../../scripts/relay-process'
import { announceQuery, startTrackerSite } from '../../scripts/demo-site'
import { topUp, tseedBalance } from '../../scripts/dev-top-up'
import {
  answerPrompt,
  byId,
  importKey,
  setRelayLimits,
  showView,
  useOnlyRelay,
  waitFor,
} from './support/popup-actions'
import { launchFirefox, welcomeTab } from './support/firefox'
import { puppeteerDriver } from './support/puppeteer-driver'
import { fetchAnnounces, tagValue, verifiesFresh, waitForAnnounces } from './support/relay-client'
import { trickyInfoHash } from './support/fixtures'
import { assertAuditZero } from './support/relay-audit'

async function announceFrom(page: Page, query: string): Promise<void> {
  await page.evaluate(
    (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
    query,
  )
}

test('Firefox: nothing is signed without consent; consented announces reach the relay signed; balance and top-up', async () => {
  const relay = await startRelayProcess()
  const site = await startTrackerSite()
  const other = await startTrackerSite()
  const browser = await launchFirefox()
  const secretKey = generateSecretKey()
  const pubkey = getPublicKey(secretKey)
  try {
    await browser.installExtension(resolve('dist/firefox'))
    const popup = await welcomeTab(browser)
    const d = puppeteerDriver(popup)
    await importKey(d, nip19.nsecEncode(secretKey), nip19.npubEncode(pubkey))
    await useOnlyRelay(d, relay.url)
    const funded = await topUp(relay.url, secretKey, 10_000n)
    // The relay's default limit for a new key (200 TSEED an hour) is below this test's spend.
    await setRelayLimits(d, relay.url, '', '100000')

    // A page fakes a 900 MB download: a prompt, no signature, no charge.
    const page = await browser.newPage()
    await page.goto(site.origin)
    const faked = trickyInfoHash()
    await announceFrom(
      page,
      announceQuery({
        infoHash: faked.bytes,
        uploaded: 0n,
        downloaded: 900_000_000n,
        left: 0n,
        event: 'started',
      }),
    )
    await popup.bringToFront()
    const prompt = `${byId('consent-prompt')}[data-origin="${site.origin}"]`
    await waitFor('the consent prompt', async () =>
      (await d.count(prompt)) === 1 ? true : undefined,
    )
    expect(await d.text(`${prompt} ${byId('prompt-cost')}`)).toBe('900 TSEED')
    mkdirSync('test-results', { recursive: true })
    await popup.screenshot({ path: 'test-results/consent-prompt-firefox.png' })
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await fetchAnnounces(relay.url, faked.hex)).toEqual([])
    expect(await tseedBalance(relay.url, secretKey)).toBe(funded)

    // "Allow once": exactly that announce is published and charged.
    expect(await answerPrompt(d, site.origin, 'allow-once')).toBe(900n)
    const charged = await waitForAnnounces(relay.url, faked.hex, (es) => es.length > 0)
    expect(tagValue(charged[0]!, 'downloaded')).toBe('900000000')
    await expect.poll(() => tseedBalance(relay.url, secretKey)).toBe(funded - 900n)

    // The site's next announce asks again; allowing the site publishes it, signed.
    const hash = trickyInfoHash()
    await announceFrom(
      page,
      announceQuery({ infoHash: hash.bytes, uploaded: 42n, downloaded: 7n, left: 1000n }),
    )
    await answerPrompt(d, site.origin, 'allow-site')
    const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length > 0)
    const ev = events[0]!
    expect(ev.pubkey).toBe(pubkey)
    expect(verifiesFresh(ev)).toBe(true)
    expect(tagValue(ev, 'i')).toBe(hash.hex)
    expect(tagValue(ev, 'uploaded')).toBe('42')
    expect(tagValue(ev, 'downloaded')).toBe('7')
    expect(tagValue(ev, 'left')).toBe('1000')
    await showView(d, 'activity')
    await waitFor('the OK in the Firefox popup', async () => {
      const text = await d
        .text(
          `[data-testid="announce-row"][data-info-hash="${hash.hex}"] [data-testid="relay-result"]`,
        )
        .catch(() => '')
      return text.startsWith('OK') ? true : undefined
    })
    await popup.screenshot({ path: 'test-results/popup-firefox.png', fullPage: true })

    // A blocked site is never published.
    const otherPage = await browser.newPage()
    await otherPage.goto(other.origin)
    const blocked = [trickyInfoHash(), trickyInfoHash()]
    await announceFrom(
      otherPage,
      announceQuery({ infoHash: blocked[0]!.bytes, uploaded: 0n, downloaded: 1n, left: 1n }),
    )
    await popup.bringToFront()
    await answerPrompt(d, other.origin, 'block')
    await announceFrom(
      otherPage,
      announceQuery({ infoHash: blocked[1]!.bytes, uploaded: 0n, downloaded: 2n, left: 1n }),
    )
    await new Promise((r) => setTimeout(r, 3_000))
    for (const h of blocked) expect(await fetchAnnounces(relay.url, h.hex)).toEqual([])
    expect(await d.count(`${byId('consent-prompt')}[data-origin="${other.origin}"]`)).toBe(0)
    // The 7-byte download is below one token: the relay carries it instead of charging it.
    expect(await tseedBalance(relay.url, secretKey)).toBe(funded - 900n)

    // The popup's balance is the relay's, to the unit.
    await showView(d, 'wallet')
    await d.click(byId('refresh-balance'))
    await waitFor('the balance in the Firefox popup', async () =>
      (await d.attributes(byId('balance-tseed'), 'data-tseed'))[0] === (funded - 900n).toString()
        ? true
        : undefined,
    )
    await popup.screenshot({ path: 'test-results/balance-firefox.png' })

    // Top-up from the popup: amount, live quote, invoice, credited (the dev backend pays itself).
    await d.click(byId('top-up'))
    await d.fill(byId('top-up-amount'), '1000')
    await waitFor('the top-up quote', async () =>
      (await d.count(byId('top-up-quote'))) > 0 ? true : undefined,
    )
    await d.click(byId('create-invoice'))
    await waitFor('the credited top-up', async () =>
      (await d.attributes(byId('top-up-done'), 'data-state'))[0] === 'credited' ? true : undefined,
    )
    await d.click(byId('top-up-finish'))
    const toppedUp = await tseedBalance(relay.url, secretKey)
    expect(toppedUp).toBeGreaterThan(funded - 900n)
    await waitFor('the new balance in the Firefox popup', async () =>
      (await d.attributes(byId('balance-tseed'), 'data-tseed'))[0] === toppedUp.toString()
        ? true
        : undefined,
    )
  } finally {
    await browser.close()
    await site.close()
    await other.close()
    await relay.stop()
  }
  assertAuditZero(relay.dbPath)
})
