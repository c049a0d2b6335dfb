import { expect, test, type Page, type Worker } from '@playwright/test'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess } from '../../scripts/relay-process'
import { launchChromiumForInstall } from './support/chromium-install'
import {
  answerPrompt,
  byId,
  importKey,
  TEST_PASSWORD,
  showView,
  useOnlyRelay,
  waitFor,
} from './support/popup-actions'
import { playwrightDriver } from './support/playwright-driver'
import { tagValue, verifiesFresh, waitForAnnounces } from './support/relay-client'
import { startWebTorrentSite } from './support/webtorrent-site'

interface ChromeApis {
  chrome: {
    tabs: { query(q: { url: string }): Promise<{ id?: number }[]> }
    scripting: {
      executeScript(i: {
        target: { tabId: number; allFrames: boolean }
        func: () => unknown
      }): Promise<{ result?: unknown }[]>
    }
  }
}

/** Whether every frame of the site's tab has a live bridge of the version behind `worker`. */
function bridgedEverywhere(worker: Worker, origin: string): Promise<boolean> {
  return worker.evaluate(async (o) => {
    const { chrome } = globalThis as unknown as ChromeApis
    const [tab] = await chrome.tabs.query({ url: `${o}/*` })
    const results = await chrome.scripting.executeScript({
      target: { tabId: tab?.id ?? -1, allFrames: true },
      // The isolated world: the page cannot see or fake this marker.
      func: () =>
        (globalThis as { __tseedWsBridge?: { alive(): boolean } }).__tseedWsBridge?.alive() ===
        true,
    })
    return results.length > 0 && results.every((r) => r.result === true)
  }, origin)
}

const seed = (page: Page, bytes: number): Promise<string> =>
  page.evaluate((n) => (window as unknown as { seed(n: number): Promise<string> }).seed(n), bytes)

test('a web torrent tab open before install, and still open across an update, is covered', async () => {
  const relay = await startRelayProcess()
  const site = await startWebTorrentSite()
  const chromium = await launchChromiumForInstall()
  const secretKey = generateSecretKey()
  const pubkey = getPublicKey(secretKey)
  try {
    // The app is open, with a frame, before the extension exists.
    const page = await chromium.context.newPage()
    await page.goto(`${site.origin}/app?tracker=${encodeURIComponent(site.trackerUrl)}&seed=0`)
    await page.evaluate(() => {
      document.body.appendChild(document.createElement('iframe')).src = '/blank'
    })
    await page.waitForFunction(() => 'seed' in window)

    const first = await chromium.install()
    await waitFor('the scripts in the open tab', async () =>
      (await bridgedEverywhere(first.worker, site.origin)) ? true : undefined,
    )
    const popup = await chromium.context.newPage()
    await popup.goto(first.popupUrl)
    const d = playwrightDriver(popup)
    await importKey(d, nip19.nsecEncode(secretKey), nip19.npubEncode(pubkey))
    await useOnlyRelay(d, relay.url)

    const before = await seed(page, 40_000)
    await answerPrompt(d, site.origin, 'allow-site')
    const [ev] = await waitForAnnounces(relay.url, before, (es) => es.length > 0)
    expect(ev!.pubkey).toBe(pubkey)
    expect(verifiesFresh(ev!)).toBe(true)
    expect(tagValue(ev!, 'left')).toBe('0')

    // An update: the old version's scripts in the page lose their extension.
    const second = await chromium.install()
    await waitFor('the new version in the open tab', async () =>
      (await bridgedEverywhere(second.worker, site.origin)) ? true : undefined,
    )
    const after = await seed(page, 50_000)
    const popup2 = await chromium.context.newPage()
    await popup2.goto(second.popupUrl)
    // The session store (the unlocked key) may not survive an update.
    await waitFor('the key card', async () =>
      (await popup2.locator(`${byId('balance')}, ${byId('unlock-password')}`).count()) > 0
        ? true
        : undefined,
    )
    if ((await popup2.locator(byId('unlock-password')).count()) > 0) {
      await popup2.locator(byId('unlock-password')).fill(TEST_PASSWORD)
      await popup2.locator(byId('unlock-key')).click()
    }
    // A new seed announces its own file as downloaded; the extension publishes what this
    // session downloaded, nothing, so the allowed site's announce goes out without a question.
    const [ev2] = await waitForAnnounces(relay.url, after, (es) => es.length > 0)
    expect(ev2!.pubkey).toBe(pubkey)
    expect(tagValue(ev2!, 'downloaded')).toBe('0')
    await showView(playwrightDriver(popup2), 'activity')
    const row = popup2.locator(`[data-testid="announce-row"][data-info-hash="${after}"]`)
    await expect(row.locator(byId('relay-result')).filter({ hasText: /^OK/ })).not.toHaveCount(0)
    expect(site.trackerAnnounces.filter((a) => a.infoHash === after).length).toBeGreaterThan(0)
  } finally {
    await chromium.close()
    await site.close()
    await relay.stop()
  }
})
