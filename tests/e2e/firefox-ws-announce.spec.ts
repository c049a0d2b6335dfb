import { expect, test } from '@playwright/test'
import type { Page } from 'puppeteer-core'
import { resolve } from 'node:path'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess } from '../../scripts/relay-process'
import {
  answerPrompt,
  byId,
  importKey,
  showView,
  useOnlyRelay,
  waitFor,
} from './support/popup-actions'
import { launchFirefox, welcomeTab } from './support/firefox'
import { puppeteerDriver } from './support/puppeteer-driver'
import { fetchAnnounces, tagValue, verifiesFresh, waitForAnnounces } from './support/relay-client'
import { startWebTorrentSite } from './support/webtorrent-site'

interface AppState {
  seeded: string | null
  leeching: string | null
  answers: Record<string, number>
  errors: string[]
}

const appState = (page: Page): Promise<AppState> =>
  page.evaluate(() => {
    const app = (window as unknown as { app: AppState }).app
    return { seeded: app.seeded, leeching: app.leeching, answers: app.answers, errors: app.errors }
  })

test('Firefox: a real WebTorrent page, open before install, announces over WebSocket to the relay, signed; a blocked site publishes nothing', async () => {
  const relay = await startRelayProcess()
  const site = await startWebTorrentSite()
  const browser = await launchFirefox()
  const secretKey = generateSecretKey()
  const pubkey = getPublicKey(secretKey)
  const app = (query: string) =>
    `${site.origin}/app?tracker=${encodeURIComponent(site.trackerUrl)}&${query}`
  try {
    // The web torrent app is open before the extension is installed.
    const page = await browser.newPage()
    await page.goto(app('seed=0'))
    await page.waitForFunction(() => 'leech' in window)
    await browser.installExtension(resolve('dist/firefox'))
    const popup = await welcomeTab(browser)
    const d = puppeteerDriver(popup)
    await importKey(d, nip19.nsecEncode(secretKey), nip19.npubEncode(pubkey))
    await useOnlyRelay(d, relay.url)

    // The open tab is covered once the extension starts: a download it begins now is seen.
    const leeching = await waitFor(
      'an announce from the tab opened before install',
      async () => {
        const hash = await page.evaluate(() =>
          (window as unknown as { leech(n: number): Promise<string> }).leech(200_000),
        )
        await popup.bringToFront()
        const shown = await d.count(`${byId('consent-prompt')}[data-origin="${site.origin}"]`)
        return shown > 0 ? hash : undefined
      },
      30_000,
    )
    await answerPrompt(d, site.origin, 'allow-site')
    const [ev] = await waitForAnnounces(relay.url, leeching, (es) => es.length > 0)
    expect(ev!.pubkey).toBe(pubkey)
    expect(verifiesFresh(ev!)).toBe(true)
    expect(tagValue(ev!, 'i')).toBe(leeching)
    expect(tagValue(ev!, 'left')).toBe('200000')
    expect(tagValue(ev!, 'downloaded')).toBe('0')
    expect(tagValue(ev!, 'event')).toBe('started')

    // A page loaded after install: seeding and downloading, both answered by the tracker.
    const fresh = await browser.newPage()
    await fresh.goto(app('leech=100000'))
    const state = await waitFor('the new page to start its download', async () => {
      const s = await appState(fresh)
      return s.leeching !== null && (s.answers[s.leeching] ?? 0) > 0 ? s : undefined
    })
    const [ev2] = await waitForAnnounces(relay.url, state.leeching!, (es) => es.length > 0)
    expect(tagValue(ev2!, 'left')).toBe('100000')
    expect(state.errors).toEqual([])
    expect(site.trackerAnnounces).toEqual(
      expect.arrayContaining([{ infoHash: state.leeching, event: 'start', left: 100_000 }]),
    )

    // The per-site switch covers WebSocket announces: blocked, nothing more is published.
    await popup.bringToFront()
    await showView(d, 'settings')
    await d.click(`${byId('site-row')}[data-origin="${site.origin}"] ${byId('site-toggle')}`)
    await waitFor('the site to be blocked', async () =>
      (
        await d.attributes(`${byId('site-row')}[data-origin="${site.origin}"]`, 'data-decision')
      )[0] === 'block'
        ? true
        : undefined,
    )
    const blocked = await fresh.evaluate(() =>
      (window as unknown as { leech(n: number): Promise<string> }).leech(30_000),
    )
    await waitFor('the tracker to take the blocked announce', () =>
      Promise.resolve(site.trackerAnnounces.some((a) => a.infoHash === blocked) || undefined),
    )
    // The extension saw it, and dropped it for the site's decision.
    const host = new URL(site.origin).host
    await showView(d, 'activity')
    await waitFor('the dropped announce in the popup', async () => {
      const entries = await popup.$$eval(byId('activity-entry'), (els) =>
        els.map((e) => e.textContent),
      )
      return entries.some((t) => t.startsWith(`${host}: not published: you blocked`)) || undefined
    })
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await fetchAnnounces(relay.url, blocked)).toEqual([])
  } finally {
    await browser.close()
    await site.close()
    await relay.stop()
  }
})
