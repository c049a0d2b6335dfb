import { expect, test } from '@playwright/test'
import type { Page } from 'puppeteer-core'
import { resolve } from 'node:path'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess } from '../../scripts/relay-process'
import { devApi } from '../../scripts/dev-top-up'
import { trickyInfoHash } from './support/fixtures'
import {
  answerPrompt,
  byId,
  importKey,
  showView,
  useOnlyRelay,
  waitFor,
  type PopupDriver,
} from './support/popup-actions'
import { launchFirefox, welcomeTab } from './support/firefox'
import { puppeteerDriver } from './support/puppeteer-driver'
import { collectAnnounces, tagValue } from './support/relay-client'
import {
  announceToRelayOnly,
  announceToTrackerOnly,
  query,
  readPageAnswer,
  startReplaceSite,
  type ReplaceSite,
} from './support/replace-site'

const RELAY_PEER = '127.0.0.1:51002'
const TRACKER_PEER = '127.0.0.1:40002'
const PAGE_PEER_ID = '-WW0001-replacepage2'

interface PageAnswer {
  status: number
  redirected: boolean
  body: string
}

async function setReplace(d: PopupDriver, popup: Page, origin: string, on: boolean) {
  await popup.bringToFront()
  await showView(d, 'settings')
  const row = `${byId('site-row')}[data-origin="${origin}"]`
  const state = async (): Promise<string | undefined> =>
    (await d.attributes(`${row} ${byId('site-replace')}`, 'data-replace'))[0]
  if ((await state()) !== String(on)) await d.click(`${row} ${byId('site-replace-toggle')}`)
  await waitFor(`replace mode ${on ? 'on' : 'off'}`, async () =>
    (await state()) === String(on) ? true : undefined,
  )
}

test('Firefox replace mode: the tracker answer gains the relay-only peer, announces are still published, off is untouched, and a WebSocket announce gets the relay counts', async () => {
  const relay = await startRelayProcess()
  const site: ReplaceSite = await startReplaceSite()
  const hash = trickyInfoHash()
  const seedbox = generateSecretKey()
  await announceToRelayOnly(relay.url, seedbox, hash.bytes, 51002)
  await announceToTrackerOnly(site, hash.bytes, 40002)
  const browser = await launchFirefox()
  const secretKey = generateSecretKey()
  let uploaded = 0
  try {
    await browser.installExtension(resolve('dist/firefox'))
    const popup = await welcomeTab(browser)
    const d = puppeteerDriver(popup)
    await importKey(d, nip19.nsecEncode(secretKey), nip19.npubEncode(getPublicKey(secretKey)))
    await useOnlyRelay(d, relay.url)

    const page = await browser.newPage()
    await page.goto(`${site.origin}/http`)
    const announce = (): Promise<PageAnswer> => {
      uploaded += 1000
      const url = `${site.trackerHttp}?${query(hash.bytes, PAGE_PEER_ID, 6881, 5000, uploaded)}`
      return page.evaluate(
        (u) => (window as unknown as { announce(u: string): Promise<PageAnswer> }).announce(u),
        url,
      )
    }
    const announceUntil = async (ok: (a: PageAnswer) => boolean): Promise<PageAnswer> =>
      waitFor('the expected answer', async () => {
        const a = await announce()
        return ok(a) ? a : undefined
      })

    // Off (the default): the tracker's own answer.
    const first = await announce()
    expect(await answerPrompt(d, site.origin, 'allow-site')).toBe(0n)
    const own = readPageAnswer(first.body)
    expect(own.peers).toContain(TRACKER_PEER)
    expect(own.peers).not.toContain(RELAY_PEER)

    // Every event the relay accepts: a swarm query keeps one per session.
    const accepted = await collectAnnounces(relay.url, hash.hex)
    // On: the same request reaches the tracker, and its answer gains the relay's peer.
    await setReplace(d, popup, site.origin, true)
    await page.bringToFront()
    const merged = await announceUntil((a) => readPageAnswer(a.body).peers.includes(RELAY_PEER))
    expect(merged.status).toBe(200)
    expect(merged.redirected).toBe(false)
    const answer = readPageAnswer(merged.body)
    expect(answer.peers).toContain(TRACKER_PEER)
    expect(answer.peers).toContain(RELAY_PEER)
    expect(new Set(answer.peers).size).toBe(answer.peers.length)
    // The tracker's own keys stay: bittorrent-tracker's interval is 600 s.
    expect(answer.dict.interval).toBe(600)

    // One more a second later: the relay keeps a session's later `created_at`, on a tie the lower id.
    await new Promise((r) => setTimeout(r, 1_100))
    expect(readPageAnswer((await announce()).body).peers).toContain(RELAY_PEER)
    const sent = String(uploaded)
    await waitFor('the last replaced announce at the relay', () =>
      Promise.resolve(accepted.events.some((e) => tagValue(e, 'uploaded') === sent) || undefined),
    )
    accepted.close()

    // A WebSocket announce on the same site gets the relay's counts in the page.
    await page.goto(`${site.origin}/ws`)
    await page.evaluate(
      (t, h) =>
        (
          window as unknown as { wsAnnounce(t: string, h: string, l: number): Promise<boolean> }
        ).wsAnnounce(t, h, 5000),
      site.trackerWs,
      hash.hex,
    )
    const ours = await waitFor('the in-page answer', async () => {
      const msgs = await page.evaluate(
        () =>
          (window as unknown as { wsMessages: { trusted: boolean; data: string }[] }).wsMessages,
      )
      return msgs.find((m) => !m.trusted)
    })
    const swarm = await (await devApi(relay.url, seedbox)).swarmPeers(hash.hex, 5000n)
    expect(JSON.parse(ours.data)).toEqual({
      action: 'announce',
      info_hash: String.fromCharCode(...hash.bytes),
      interval: 120,
      complete: swarm.complete,
      incomplete: swarm.incomplete,
    })

    // Off again: the tracker's answer is passed on untouched.
    await setReplace(d, popup, site.origin, false)
    await page.goto(`${site.origin}/http`)
    const back = await announce()
    const plain = readPageAnswer(back.body)
    expect(plain.peers).toContain(TRACKER_PEER)
    expect(plain.peers).not.toContain(RELAY_PEER)
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
})
