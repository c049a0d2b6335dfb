import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { startRelayProcess, type RelayProcess } from '../../scripts/relay-process'
import { announceQuery, startTrackerSite, type TrackerSite } from '../../scripts/demo-site'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from './support/chromium'
import {
  answerPrompt,
  importKey,
  setSiteBudget,
  showView,
  useOnlyRelay,
} from './support/popup-actions'
import { topUp } from '../../scripts/dev-top-up'
import { playwrightDriver } from './support/playwright-driver'
import { tagValue, verifiesFresh, waitForAnnounces } from './support/relay-client'
import { trickyInfoHash } from './support/fixtures'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'

let relay: RelayProcess
let site: TrackerSite
let browser: ExtensionBrowser
let popup: Page
// The test imports a key it knows, so it can top the account up through the relay's API.
const secretKey = generateSecretKey()
const pubkey = getPublicKey(secretKey)

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  relay = await startRelayProcess()
  site = await startTrackerSite()
  browser = await launchChromiumWithExtension()
  popup = await openPopup(browser)
  await importKey(playwrightDriver(popup), nip19.nsecEncode(secretKey), nip19.npubEncode(pubkey))
  await useOnlyRelay(playwrightDriver(popup), relay.url)
})

test.afterAll(async () => {
  await browser.close()
  await site.close()
  await relay.stop()
})

async function announceFrom(page: Page, query: string): Promise<number> {
  return page.evaluate(
    (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
    query,
  )
}

test('an unfunded download is refused with the exact message and shown in the popup', async () => {
  const hash = trickyInfoHash()
  const page = await browser.context.newPage()
  await page.goto(site.origin)
  await announceFrom(
    page,
    announceQuery({ infoHash: hash.bytes, uploaded: 0n, downloaded: 5_000_000n, left: 1n }),
  )
  // The site is new: the user is asked first, and allows it as a user would.
  expect(await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')).toBe(5n)
  await showView(playwrightDriver(popup), 'activity')
  const result = popup
    .locator(`[data-testid="announce-row"][data-info-hash="${hash.hex}"]`)
    .locator(`[data-testid="relay-result"][data-relay="${relay.url}"]`)
  await expect(result).toHaveText('blocked: insufficient balance: need 5 TSEED, have 0')
  await page.close()
})

test('a page announce reaches the relay as a signed kind 21000 and the popup shows the OK', async () => {
  await topUp(relay.url, secretKey, 1_000n)
  // This test site spends more than the default 100 TSEED a day.
  await setSiteBudget(playwrightDriver(popup), site.origin, 10_000n)
  const hash = trickyInfoHash()
  const uploaded = 9007199254740993n // 2^53 + 1: only exact with BigInt end to end
  const downloaded = 123456789n
  const left = 987654321n
  const page = await browser.context.newPage()
  await page.goto(site.origin)
  const status = await announceFrom(
    page,
    announceQuery({
      infoHash: hash.bytes,
      uploaded,
      downloaded,
      left,
      event: 'started',
      port: 51413,
    }),
  )
  expect(status).toBe(200)
  // 123 MB in one `started` announce is above the confirmation threshold and not what a
  // client reports: it waits for the user, who confirms it.
  expect(await answerPrompt(playwrightDriver(popup), site.origin, 'allow-once')).toBe(124n)

  const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length > 0)
  expect(events).toHaveLength(1)
  const ev = events[0]!
  expect(ev.kind).toBe(21000)
  expect(ev.pubkey).toBe(pubkey)
  expect(verifiesFresh(ev)).toBe(true)
  expect(tagValue(ev, 'i')).toBe(hash.hex)
  expect(tagValue(ev, 'uploaded')).toBe(uploaded.toString())
  expect(tagValue(ev, 'downloaded')).toBe(downloaded.toString())
  expect(tagValue(ev, 'left')).toBe(left.toString())
  expect(tagValue(ev, 'port')).toBe('51413')
  expect(tagValue(ev, 'event')).toBe('started')
  // Privacy: neither the tracker URL nor the raw peer_id may leave the browser.
  const flat = JSON.stringify(ev.tags)
  expect(flat).not.toContain('127.0.0.1:' + new URL(site.origin).port)
  expect(flat).not.toContain('abcdefghijkl')

  await showView(playwrightDriver(popup), 'activity')
  const row = popup.locator(`[data-testid="announce-row"][data-info-hash="${hash.hex}"]`)
  await expect(row).toBeVisible()
  await expect(row.locator(`[data-testid="relay-result"][data-relay="${relay.url}"]`)).toHaveText(
    /^OK/,
  )
  mkdirSync('test-results', { recursive: true })
  await popup.screenshot({ path: 'test-results/popup-chromium.png', fullPage: true })
  await page.close()
})

test('a malformed announce is ignored and the pipeline keeps working', async () => {
  const page = await browser.context.newPage()
  await page.goto(site.origin)
  const bad = 'info_hash=%12%34%56&peer_id=-WW0001-abcdefghijkl&uploaded=1&downloaded=2&left=3'
  await announceFrom(page, bad)
  const hash = trickyInfoHash()
  await announceFrom(
    page,
    announceQuery({ infoHash: hash.bytes, uploaded: 1n, downloaded: 2n, left: 3n }),
  )
  const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length > 0)
  expect(tagValue(events[0]!, 'uploaded')).toBe('1')
  await page.close()
})

test('the same announce made twice in a row is published once', async () => {
  const page = await browser.context.newPage()
  await page.goto(site.origin)
  const hash = trickyInfoHash()
  const q = announceQuery({ infoHash: hash.bytes, uploaded: 5n, downloaded: 6n, left: 7n })
  for (let i = 0; i < 2; i++) await announceFrom(page, q)
  await waitForAnnounces(relay.url, hash.hex, (es) => es.length > 0)
  await showView(playwrightDriver(popup), 'activity')
  const rows = popup.locator(`[data-testid="announce-row"][data-info-hash="${hash.hex}"]`)
  await expect(rows).toHaveCount(1)
  // Both requests reached the tracker: the extension only observes.
  expect(site.announces.filter((u) => u.includes('uploaded=5&')).length).toBe(2)
  await page.close()
})
