import { expect, test, type Page } from '@playwright/test'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess, type RelayProcess } from '../../scripts/relay-process'
import { devApi } from '../../scripts/dev-top-up'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from './support/chromium'
import { trickyInfoHash } from './support/fixtures'
import { playwrightDriver } from './support/playwright-driver'
import { answerPrompt, byId, importKey, showView, useOnlyRelay } from './support/popup-actions'
import { collectAnnounces, tagValue } from './support/relay-client'
import {
  announceToRelayOnly,
  announceToTrackerOnly,
  query,
  readPageAnswer,
  startReplaceSite,
  type ReplaceSite,
} from './support/replace-site'

/** The seeder only the TSEED relay knows, and the one only the page's tracker knows. */
const RELAY_PEER = '127.0.0.1:51001'
const TRACKER_PEER = '127.0.0.1:40001'
const PAGE_PEER_ID = '-WW0001-replacepage1'

let relay: RelayProcess
let site: ReplaceSite
let browser: ExtensionBrowser
let popup: Page
const hash = trickyInfoHash()
const secretKey = generateSecretKey()
const seedbox = generateSecretKey()

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  relay = await startRelayProcess()
  site = await startReplaceSite()
  await announceToRelayOnly(relay.url, seedbox, hash.bytes, 51001)
  await announceToTrackerOnly(site, hash.bytes, 40001)
  browser = await launchChromiumWithExtension()
  popup = await openPopup(browser)
  const d = playwrightDriver(popup)
  await importKey(d, nip19.nsecEncode(secretKey), nip19.npubEncode(getPublicKey(secretKey)))
  await useOnlyRelay(d, relay.url)
})

test.afterAll(async () => {
  await browser.close()
  await site.close()
  await relay.stop()
})

interface PageAnswer {
  status: number
  redirected: boolean
  body: string
}

let uploaded = 0
/** One announce by the page with `fetch`, with fresh counters so each one is published. */
function announce(page: Page): Promise<PageAnswer> {
  uploaded += 1000
  const url = `${site.trackerHttp}?${query(hash.bytes, PAGE_PEER_ID, 6881, 5000, uploaded)}`
  return page.evaluate(
    (u) => (window as unknown as { announce(u: string): Promise<PageAnswer> }).announce(u),
    url,
  )
}

async function setReplace(on: boolean): Promise<void> {
  const d = playwrightDriver(popup)
  await showView(d, 'settings')
  const row = popup.locator(`${byId('site-row')}[data-origin="${site.origin}"]`)
  const toggle = row.locator(byId('site-replace-toggle'))
  if (on) await toggle.check()
  else await toggle.uncheck()
  await expect(row.locator(byId('site-replace'))).toHaveAttribute('data-replace', String(on))
}

/** Announces every 300 ms until an answer passes `ok`; returns it. */
async function announceUntil(page: Page, ok: (a: PageAnswer) => boolean): Promise<PageAnswer> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const a = await announce(page)
    if (ok(a)) return a
    if (Date.now() > deadline) throw new Error(`no such answer; last: ${JSON.stringify(a)}`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

const hasRelayPeer = (a: PageAnswer): boolean => readPageAnswer(a.body).peers.includes(RELAY_PEER)

test('replace mode: the page reads the relay-only peer, announces are still published, and off means untouched', async () => {
  const page = await browser.context.newPage()
  await page.goto(`${site.origin}/http`)

  // Replace mode off (the default): the tracker's own answer, as the tracker wrote it.
  const first = await announce(page)
  expect(await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')).toBe(0n)
  expect(first.redirected).toBe(false)
  const own = readPageAnswer(first.body)
  // bittorrent-tracker lists the asking client too.
  expect(own.peers).toContain(TRACKER_PEER)
  expect(own.peers).not.toContain(RELAY_PEER)
  expect(own.dict.interval).toBe(600)

  // Every event the relay accepts: a swarm query keeps one per session, and several
  // announces in one second tie on created_at.
  const accepted = await collectAnnounces(relay.url, hash.hex)
  await setReplace(true)
  // The first announce after switching on still reaches the tracker; the rule then answers.
  const replaced = await announceUntil(page, hasRelayPeer)
  expect(replaced.status).toBe(200)
  expect(replaced.redirected).toBe(true)
  const answer = readPageAnswer(replaced.body)
  expect(answer.peers).toEqual([RELAY_PEER])
  expect(answer.dict.interval).toBe(60)
  const swarm = await (await devApi(relay.url, seedbox)).swarmPeers(hash.hex, 5000n)
  expect(answer.dict.complete).toBe(swarm.complete)
  expect(answer.dict.complete).toBeGreaterThanOrEqual(1)

  // A redirected announce is still seen and published as a kind 21000 event. One more, a
  // second later: the relay keeps the later `created_at` of a session, and on a tie the lower id.
  await new Promise((r) => setTimeout(r, 1_100))
  expect(hasRelayPeer(await announce(page))).toBe(true)
  const sent = String(uploaded)
  await expect
    .poll(() => accepted.events.some((e) => tagValue(e, 'uploaded') === sent), { timeout: 30_000 })
    .toBe(true)
  accepted.close()

  // Off again: the rule goes, and the page reads its tracker's answer untouched.
  await setReplace(false)
  const back = await announceUntil(page, (a) => !a.redirected)
  expect(readPageAnswer(back.body).peers).toContain(TRACKER_PEER)
  expect(readPageAnswer(back.body).peers).not.toContain(RELAY_PEER)
  expect(readPageAnswer(back.body).dict.interval).toBe(600)
  await page.close()
})

test('replace mode over a WebSocket tracker: the page gets an answer with the relay counts', async () => {
  await setReplace(true)
  const page = await browser.context.newPage()
  await page.goto(`${site.origin}/ws`)
  await page.evaluate(
    ([t, h]) =>
      (
        window as unknown as { wsAnnounce(t: string, h: string, l: number): Promise<boolean> }
      ).wsAnnounce(t!, h!, 5000),
    [site.trackerWs, hash.hex],
  )
  const messages = async (): Promise<{ trusted: boolean; data: string }[]> =>
    page.evaluate(() => (window as unknown as { wsMessages: never[] }).wsMessages)
  await expect.poll(async () => (await messages()).filter((m) => !m.trusted).length).toBe(1)
  const ours = JSON.parse((await messages()).find((m) => !m.trusted)!.data) as Record<
    string,
    unknown
  >
  const swarm = await (await devApi(relay.url, seedbox)).swarmPeers(hash.hex, 5000n)
  expect(ours).toEqual({
    action: 'announce',
    info_hash: String.fromCharCode(...hash.bytes),
    interval: 120,
    complete: swarm.complete,
    incomplete: swarm.incomplete,
  })
  // The real tracker answered too, over the wire.
  await expect
    .poll(async () => (await messages()).filter((m) => m.trusted).length)
    .toBeGreaterThan(0)
  await page.close()
})
