import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, rmSync } from 'node:fs'
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure'
import { announceQuery, startTrackerSite, type TrackerSite } from '../../scripts/demo-site'
import { startRelayProcess, type RelayProcess } from '../../scripts/relay-process'
import { nip07PageCall, type PageResult } from '../../src/background/signer/nip07-signer'
import { launchChromiumWithExtensions, openPopup, type ExtensionsBrowser } from './support/chromium'
import { trickyInfoHash } from './support/fixtures'
import {
  buildNip07Signer,
  setSignerMode,
  SIGNER_NPUB,
  SIGNER_OTHER_PUBKEY,
  SIGNER_PUBKEY,
  waitForNostr,
} from './support/nip07-signer'
import { expectAccessible } from './support/axe'
import { playwrightDriver } from './support/playwright-driver'
import { answerPrompt, byId, showView, useOnlyRelay } from './support/popup-actions'
import {
  fetchAnnounces,
  verifiesFresh,
  waitForAnnounces,
  measureAnnounceLatency,
} from './support/relay-client'

/**
 * Signing with the user's own NIP-07 extension: TSEED next to a test signer
 * extension (tests/e2e/fixtures/nip07-signer, built into a temporary
 * directory), which puts `window.nostr` into web pages the way nos2x does.
 */
let signerDir: string
let relay: RelayProcess | undefined
let site: TrackerSite | undefined
let browser: ExtensionsBrowser | undefined

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  signerDir = await buildNip07Signer()
  mkdirSync('test-results', { recursive: true })
})

test.afterAll(() => {
  rmSync(signerDir, { recursive: true, force: true })
})

test.afterEach(async () => {
  await browser?.close()
  await site?.close()
  await relay?.stop()
  browser = site = relay = undefined
})

/** Relay, tracker site and Chromium with both extensions; a site tab first, since the signer lives in web pages. */
async function setUp(): Promise<{ page: Page; popup: Page; b: ExtensionsBrowser }> {
  relay = await startRelayProcess()
  site = await startTrackerSite()
  browser = await launchChromiumWithExtensions([signerDir])
  const page = await browser.context.newPage()
  await page.goto(site.origin)
  await waitForNostr(page)
  const popup = await openPopup(browser)
  return { page, popup, b: browser }
}

const signerWorker = (b: ExtensionsBrowser) => b.extraWorkers[0]!

async function announceFrom(page: Page, hash: ReturnType<typeof trickyInfoHash>): Promise<void> {
  await page.evaluate(
    (q) => (window as unknown as { announce(q: string): Promise<number> }).announce(q),
    announceQuery({ infoHash: hash.bytes, uploaded: 1n, downloaded: 0n, left: 1n }),
  )
}

async function connectSigner(popup: Page): Promise<void> {
  // Onboarding sees the signer in the open site tab before anything is asked of it.
  await expect(popup.locator(byId('nip07-presence'))).toHaveAttribute('data-presence', 'found')
  await popup.locator(byId('use-nip07')).click({ timeout: 20_000 })
  // Once it can sign, the signer is shown under Settings and the wallet takes the first view.
  await expect(popup.locator(byId('balance'))).toBeVisible()
  await showView(playwrightDriver(popup), 'settings')
  await expect(popup.locator(byId('npub'))).toHaveText(SIGNER_NPUB)
  const identity = popup.locator(byId('identity'))
  await expect(identity).toHaveAttribute('data-key-state', 'external')
  await expect(identity).toContainText('NIP-07')
}

test('announces are signed by the NIP-07 signer extension and reach the relay', async () => {
  const { page, popup } = await setUp()
  const d = playwrightDriver(popup)
  await expectAccessible(popup, 'first run with a signer extension found')
  await connectSigner(popup)
  await popup.screenshot({ path: 'test-results/nip07-connected-chromium.png' })
  await expectAccessible(popup, 'settings with a NIP-07 signer')
  await useOnlyRelay(d, relay!.url)

  const hash = trickyInfoHash()
  await announceFrom(page, hash)
  await answerPrompt(d, site!.origin, 'allow-site')
  const events = await waitForAnnounces(relay!.url, hash.hex, (es) => es.length === 1)
  expect(events[0]!.kind).toBe(21000)
  expect(events[0]!.pubkey).toBe(SIGNER_PUBKEY)
  expect(verifiesFresh(events[0]!)).toBe(true)
  await showView(d, 'activity')
  await expect(
    popup.locator(`${byId('announce-row')}[data-info-hash="${hash.hex}"] ${byId('relay-result')}`),
  ).toHaveText(/^OK/)
  await popup.screenshot({ path: 'test-results/nip07-published-chromium.png', fullPage: true })

  // Latency through the signer extension, one announce at a time, page call to relay broadcast.
  const latency = await measureAnnounceLatency(
    relay!.url,
    'nip07',
    (h) => announceFrom(page, h),
    trickyInfoHash,
  )
  expect(latency.announces).toBe(10)
})

test('a forged signature or an event by another key is never published', async () => {
  const { page, popup, b } = await setUp()
  const d = playwrightDriver(popup)
  await connectSigner(popup)
  await useOnlyRelay(d, relay!.url)
  await showView(d, 'activity')
  const resultOf = (hex: string) =>
    popup.locator(`${byId('announce-row')}[data-info-hash="${hex}"] ${byId('relay-result')}`)

  await setSignerMode(signerWorker(b), 'forged')
  const forged = trickyInfoHash()
  await announceFrom(page, forged)
  await answerPrompt(d, site!.origin, 'allow-site')
  await expect(resultOf(forged.hex)).toHaveText(/signing failed/)
  await popup.screenshot({ path: 'test-results/nip07-forged-chromium.png', fullPage: true })

  // The site is allowed now: the next announce goes straight to signing.
  await setSignerMode(signerWorker(b), 'other-pubkey')
  const other = trickyInfoHash()
  await announceFrom(page, other)
  await expect(resultOf(other.hex)).toHaveText(/signing failed/)
  await popup.screenshot({ path: 'test-results/nip07-other-pubkey-chromium.png', fullPage: true })

  await popup.waitForTimeout(3_000)
  expect(await fetchAnnounces(relay!.url, forged.hex)).toEqual([])
  expect(await fetchAnnounces(relay!.url, other.hex)).toEqual([])
})

test('the test signer answers window.nostr in a web page, in each mode', async () => {
  site = await startTrackerSite()
  browser = await launchChromiumWithExtensions([signerDir])
  const b = browser
  // TSEED's worker and the signer's are told apart.
  expect(new URL(b.worker.url()).pathname).toBe('/service-worker-loader.js')
  expect(new URL(signerWorker(b).url()).pathname).toBe('/background.js')
  expect(new URL(signerWorker(b).url()).host).not.toBe(b.extensionId)
  const popup = await openPopup(b)
  await expect(popup.locator('body')).not.toBeEmpty()
  // Signers never reach extension pages.
  expect(await popup.evaluate(() => 'nostr' in window)).toBe(false)

  const page = await b.context.newPage()
  await page.goto(site.origin)
  await waitForNostr(page)
  type Nostr = { getPublicKey(): Promise<string>; signEvent(t: EventTemplate): Promise<NostrEvent> }
  const getPublicKey = () =>
    page.evaluate(() => (window as unknown as { nostr: Nostr }).nostr.getPublicKey())
  const signEvent = (t: EventTemplate) =>
    page.evaluate((t) => (window as unknown as { nostr: Nostr }).nostr.signEvent(t), t)
  const template: EventTemplate = {
    kind: 21000,
    created_at: Math.floor(Date.now() / 1000),
    tags: [['x', 'ff2b2000']],
    content: '',
  }
  /** What TSEED's worker gets from `scripting.executeScript(nip07PageCall)` in this tab. */
  const pageCall = (request: Parameters<typeof nip07PageCall>[0]): Promise<PageResult> =>
    page.evaluate<PageResult>(
      `(${nip07PageCall.toString()})(${JSON.stringify(request)}, 3000, 500, 50)`,
    )

  // good (the default)
  expect(await getPublicKey()).toBe(SIGNER_PUBKEY)
  const good = await signEvent(template)
  expect(good).toMatchObject({ ...template, pubkey: SIGNER_PUBKEY })
  expect(verifiesFresh(good)).toBe(true)
  expect(await pageCall({ op: 'getPublicKey' })).toEqual({ ok: true, value: SIGNER_PUBKEY })

  await setSignerMode(signerWorker(b), 'forged')
  expect(await getPublicKey()).toBe(SIGNER_PUBKEY)
  const forged = await signEvent(template)
  expect(forged).toMatchObject({ ...template, pubkey: SIGNER_PUBKEY, id: good.id })
  expect(forged.sig).toMatch(/^[0-9a-f]{128}$/)
  expect(verifiesFresh(forged)).toBe(false)

  await setSignerMode(signerWorker(b), 'other-pubkey')
  expect(await getPublicKey()).toBe(SIGNER_PUBKEY)
  const other = await signEvent(template)
  expect(other).toMatchObject({ ...template, pubkey: SIGNER_OTHER_PUBKEY })
  expect(verifiesFresh(other)).toBe(true)

  await setSignerMode(signerWorker(b), 'refuse')
  await expect(getPublicKey()).rejects.toThrow('user rejected')
  await expect(signEvent(template)).rejects.toThrow('user rejected')
  expect(await pageCall({ op: 'signEvent', template })).toEqual({ ok: false, error: 'refused' })

  await setSignerMode(signerWorker(b), 'good')
  expect(verifiesFresh(await signEvent(template))).toBe(true)
  await page.screenshot({ path: 'test-results/nip07-signer-page-chromium.png' })
})
