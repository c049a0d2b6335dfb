import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess } from '../../scripts/relay-process'
import { announceQuery, startTrackerSite, type TrackerSite } from '../../scripts/demo-site'
import { devApi, topUp, tseedBalance } from '../../scripts/dev-top-up'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from './support/chromium'
import { trickyInfoHash } from './support/fixtures'
import { playwrightDriver } from './support/playwright-driver'
import {
  answerPrompt,
  byId,
  importKey,
  showView,
  setRelayLimits,
  useOnlyRelay,
} from './support/popup-actions'
import { fetchAnnounces, tagValue, waitForAnnounces } from './support/relay-client'
import { assertAuditZero } from './support/relay-audit'
import { expectAccessible } from './support/axe'

/**
 * The attack the consent model exists for: a page the user merely visits
 * makes a request that looks like a huge download announce. Nothing may be
 * signed, published or charged until the user says so in the popup.
 */
let relay: Awaited<ReturnType<typeof startRelayProcess>>
let browser: ExtensionBrowser
let popup: Page
const secretKey = generateSecretKey()
const pubkey = getPublicKey(secretKey)
const sites: TrackerSite[] = []

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  relay = await startRelayProcess()
  browser = await launchChromiumWithExtension()
  popup = await openPopup(browser)
  await importKey(playwrightDriver(popup), nip19.nsecEncode(secretKey), nip19.npubEncode(pubkey))
  await useOnlyRelay(playwrightDriver(popup), relay.url)
  await topUp(relay.url, secretKey, 10_000n)
  // A new key gets the relay's default limit (200 TSEED an hour); these tests spend more.
  await expect(
    popup.locator(
      `${byId('relay-limit-row')}[data-relay="${relay.url}"] ${byId('relay-limit-text')}`,
    ),
  ).toHaveText('200 TSEED per hour, 1000 TSEED per day')
  await setRelayLimits(playwrightDriver(popup), relay.url, '', '100000')
})

test.afterAll(async () => {
  await browser.close()
  for (const s of sites) await s.close()
  await relay.stop()
  assertAuditZero(relay.dbPath)
})

async function newSite(): Promise<{ site: TrackerSite; page: Page }> {
  const site = await startTrackerSite()
  sites.push(site)
  const page = await browser.context.newPage()
  await page.goto(site.origin)
  return { site, page }
}

async function announceFrom(page: Page, query: string): Promise<void> {
  await page.evaluate(
    (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
    query,
  )
}

async function badgeText(): Promise<string> {
  type ChromeAction = { action: { getBadgeText(details: object): Promise<string> } }
  return browser.worker.evaluate(() =>
    (globalThis as unknown as { chrome: ChromeAction }).chrome.action.getBadgeText({}),
  )
}

async function setLineSpeed(mbps: string): Promise<void> {
  await showView(playwrightDriver(popup), 'settings')
  await popup.locator(byId('default-line')).fill(mbps)
  await popup.locator(byId('save-defaults')).click()
  await expect(popup.locator(byId('error'))).toHaveCount(0)
}

/** Long enough for an announce that was going to be published to reach the relay. */
const SETTLE_MS = 3_000

test('a page faking a 900 MB download gets a prompt, not a signature; "allow once" publishes exactly it', async () => {
  const before = await tseedBalance(relay.url, secretKey)
  const { site, page } = await newSite()
  const hash = trickyInfoHash()
  await announceFrom(
    page,
    announceQuery({
      infoHash: hash.bytes,
      uploaded: 0n,
      downloaded: 900_000_000n,
      left: 0n,
      event: 'started',
    }),
  )

  const prompt = popup.locator(`${byId('consent-prompt')}[data-origin="${site.origin}"]`)
  await expect(prompt).toBeVisible()
  await expect(prompt.locator(byId('prompt-site'))).toHaveText(new URL(site.origin).host)
  await expect(prompt.locator(byId('prompt-info-hash'))).toHaveText(hash.hex)
  await expect(prompt.locator(byId('prompt-cost'))).toHaveText('900 TSEED')
  await expect(prompt.locator('[data-reason="started-with-download"]')).toBeVisible()
  await expect(prompt.locator('[data-reason="over-budget"]')).toBeVisible()
  expect(await badgeText()).toBe('1')
  mkdirSync('test-results', { recursive: true })
  await popup.screenshot({ path: 'test-results/consent-prompt-chromium.png' })
  await prompt.screenshot({ path: 'test-results/consent-prompt-card.png' })
  await expectAccessible(popup, 'consent prompt')

  // Without a click: nothing published, nothing charged.
  await popup.waitForTimeout(SETTLE_MS)
  expect(await fetchAnnounces(relay.url, hash.hex)).toEqual([])
  expect(await tseedBalance(relay.url, secretKey)).toBe(before)

  expect(await answerPrompt(playwrightDriver(popup), site.origin, 'allow-once')).toBe(900n)
  const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length > 0)
  expect(events).toHaveLength(1)
  expect(events[0]!.pubkey).toBe(pubkey)
  expect(tagValue(events[0]!, 'downloaded')).toBe('900000000')
  await expect.poll(() => tseedBalance(relay.url, secretKey)).toBe(before - 900n)
  expect(await badgeText()).toBe('')
  await page.close()
})

test('a blocked site is never published again, and is not even asked about', async () => {
  const before = await tseedBalance(relay.url, secretKey)
  const { site, page } = await newSite()
  const first = trickyInfoHash()
  await announceFrom(
    page,
    announceQuery({ infoHash: first.bytes, uploaded: 0n, downloaded: 1_000_000n, left: 5n }),
  )
  await answerPrompt(playwrightDriver(popup), site.origin, 'block')
  await showView(playwrightDriver(popup), 'settings')
  const row = popup.locator(`${byId('site-row')}[data-origin="${site.origin}"]`)
  await expect(row).toHaveAttribute('data-decision', 'block')

  const later = trickyInfoHash()
  await announceFrom(
    page,
    announceQuery({ infoHash: later.bytes, uploaded: 0n, downloaded: 2_000_000n, left: 5n }),
  )
  await showView(playwrightDriver(popup), 'activity')
  await expect(popup.locator(byId('activity-entry')).first()).toContainText(
    'not published: you blocked announces from this site',
  )
  await popup.waitForTimeout(SETTLE_MS)
  await expect(
    popup.locator(`${byId('consent-prompt')}[data-origin="${site.origin}"]`),
  ).toHaveCount(0)
  expect(await fetchAnnounces(relay.url, first.hex)).toEqual([])
  expect(await fetchAnnounces(relay.url, later.hex)).toEqual([])
  expect(await tseedBalance(relay.url, secretKey)).toBe(before)
  await page.close()
})

test('a download faster than the line speed the user set is asked about', async () => {
  const { site, page } = await newSite()
  const hash = trickyInfoHash()
  const step = (mb: bigint, event?: string): string =>
    announceQuery({
      infoHash: hash.bytes,
      uploaded: 0n,
      downloaded: mb * 1_000_000n,
      left: 100_000_000n - mb * 1_000_000n,
      ...(event !== undefined ? { event } : {}),
    })
  await announceFrom(page, step(0n, 'started'))
  await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')
  await waitForAnnounces(relay.url, hash.hex, (es) => es.length === 1)

  // On a 1 Mbit/s line, 10 MB within seconds is not a measured download.
  await setLineSpeed('1')
  await announceFrom(page, step(10n))
  const prompt = popup.locator(`${byId('consent-prompt')}[data-origin="${site.origin}"]`)
  await expect(prompt.locator('[data-reason="too-fast"]')).toBeVisible()
  await expect(prompt.locator('[data-reason="too-fast"]')).toContainText(
    'faster than your 1 Mbit/s line',
  )
  await popup.waitForTimeout(SETTLE_MS)
  expect(tagValue((await fetchAnnounces(relay.url, hash.hex))[0]!, 'downloaded')).toBe('0')

  await answerPrompt(playwrightDriver(popup), site.origin, 'allow-once')
  await waitForAnnounces(relay.url, hash.hex, (es) => tagValue(es[0]!, 'downloaded') === '10000000')
  await setLineSpeed('1000')
  await page.close()
})

test('an allowed site past its daily budget is held; the balance never drops below the budget line without a click', async () => {
  const before = await tseedBalance(relay.url, secretKey)
  const { site, page } = await newSite()
  // Five downloads of 20 MB (20 TSEED each, under the 25 TSEED confirmation threshold).
  const torrents = Array.from({ length: 6 }, () => trickyInfoHash())
  const announce = (i: number): Promise<void> =>
    announceFrom(
      page,
      announceQuery({
        infoHash: torrents[i]!.bytes,
        uploaded: 0n,
        downloaded: 20_000_000n,
        left: 1_000_000n,
      }),
    )
  await announce(0)
  expect(await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')).toBe(20n)
  await waitForAnnounces(relay.url, torrents[0]!.hex, (es) => es.length === 1)
  for (let i = 1; i < 5; i++) {
    await announce(i)
    await waitForAnnounces(relay.url, torrents[i]!.hex, (es) => es.length === 1)
  }
  await expect.poll(() => tseedBalance(relay.url, secretKey)).toBe(before - 100n)
  await showView(playwrightDriver(popup), 'settings')
  await expect(
    popup.locator(`${byId('site-row')}[data-origin="${site.origin}"] ${byId('site-spent')}`),
  ).toContainText('100 of 100 TSEED')

  await announce(5)
  const prompt = popup.locator(`${byId('consent-prompt')}[data-origin="${site.origin}"]`)
  await expect(prompt.locator('[data-reason="over-budget"]')).toBeVisible()
  await expect(prompt.locator(byId('prompt-cost'))).toHaveText('20 TSEED')
  await popup.screenshot({ path: 'test-results/consent-budget-chromium.png' })
  await popup.waitForTimeout(SETTLE_MS)
  expect(await fetchAnnounces(relay.url, torrents[5]!.hex)).toEqual([])
  expect(await tseedBalance(relay.url, secretKey)).toBe(before - 100n)

  await answerPrompt(playwrightDriver(popup), site.origin, 'allow-once')
  await waitForAnnounces(relay.url, torrents[5]!.hex, (es) => es.length === 1)
  await expect.poll(() => tseedBalance(relay.url, secretKey)).toBe(before - 120n)
  await page.close()
})

test("the relay's own spending limit refuses an announce the user allowed, and charges nothing", async () => {
  const { site, page } = await newSite()
  // The limit sits 5 TSEED above what was charged today; this site then asks for 20.
  const { chargedLastDay } = await (await devApi(relay.url, secretKey)).getLimits()
  await setRelayLimits(playwrightDriver(popup), relay.url, '', (chargedLastDay + 5n).toString())
  const before = await tseedBalance(relay.url, secretKey)
  const hash = trickyInfoHash()
  await announceFrom(
    page,
    announceQuery({ infoHash: hash.bytes, uploaded: 0n, downloaded: 20_000_000n, left: 1n }),
  )
  await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')
  await showView(playwrightDriver(popup), 'activity')
  const result = popup
    .locator(`[data-testid="announce-row"][data-info-hash="${hash.hex}"]`)
    .locator(`[data-testid="relay-result"][data-relay="${relay.url}"]`)
  await expect(result).toHaveText(/^blocked: spending limit: /)
  await popup.screenshot({ path: 'test-results/relay-limit-chromium.png', fullPage: true })
  expect(await fetchAnnounces(relay.url, hash.hex)).toEqual([])
  expect(await tseedBalance(relay.url, secretKey)).toBe(before)
  await page.close()
})
