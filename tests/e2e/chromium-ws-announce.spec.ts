import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { nip19 } from 'nostr-tools'
import { startRelayProcess, type RelayProcess } from '../../scripts/relay-process'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from './support/chromium'
import {
  answerPrompt,
  byId,
  importKey,
  showView,
  useOnlyRelay,
  waitFor,
} from './support/popup-actions'
import { playwrightDriver } from './support/playwright-driver'
import { fetchAnnounces, tagValue, verifiesFresh, waitForAnnounces } from './support/relay-client'
import { startWebTorrentSite, type WebTorrentSite } from './support/webtorrent-site'

let relay: RelayProcess
let site: WebTorrentSite
let browser: ExtensionBrowser
let popup: Page
/** The extension API as this test's pages and worker see it. */
interface ChromeRuntime {
  chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } }
}
const secretKey = generateSecretKey()
const pubkey = getPublicKey(secretKey)

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  relay = await startRelayProcess()
  site = await startWebTorrentSite()
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

const appUrl = (query: string): string =>
  `${site.origin}/app?tracker=${encodeURIComponent(site.trackerUrl)}&${query}`

/** The route the popup would call for what the trackers answered. */
async function trackerAnswers(page: Page): Promise<Record<string, unknown>[]> {
  const reply = await page.evaluate(() =>
    (globalThis as unknown as ChromeRuntime).chrome.runtime.sendMessage({
      type: 'getTrackerAnswers',
    }),
  )
  return (reply as { data: Record<string, unknown>[] }).data
}

const SEED_BYTES = 65_536
const LEECH_BYTES = 300_000

test('a real WebTorrent page: its WebSocket announces reach the relay signed, and its tracker still answers', async () => {
  const page = await browser.context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(appUrl(`seed=${SEED_BYTES}&leech=${LEECH_BYTES}`))
  const { seeded, leeching } = await waitFor(
    'the page to seed and start its download',
    async () => {
      const s = await appState(page)
      return s.seeded !== null && s.leeching !== null
        ? { seeded: s.seeded, leeching: s.leeching }
        : undefined
    },
    60_000,
  )

  // A new site: nothing is signed until the user allows it.
  await popup.bringToFront()
  await answerPrompt(playwrightDriver(popup), site.origin, 'allow-site')

  const [seedEvent] = await waitForAnnounces(relay.url, seeded, (es) => es.length > 0)
  const [leechEvent] = await waitForAnnounces(relay.url, leeching, (es) => es.length > 0)
  for (const ev of [seedEvent!, leechEvent!]) {
    expect(ev.kind).toBe(21000)
    expect(ev.pubkey).toBe(pubkey)
    expect(verifiesFresh(ev)).toBe(true)
    expect(tagValue(ev, 'event')).toBe('started')
    expect(tagValue(ev, 'session')).toMatch(/^[0-9a-f]{32}$/)
    expect(tagValue(ev, 'uploaded')).toBe('0')
    // Privacy: neither the tracker URL nor a relay hint leaves the browser.
    expect(tagValue(ev, 'relay')).toBeUndefined()
    expect(JSON.stringify(ev.tags)).not.toContain(new URL(site.trackerUrl).port)
  }
  expect(tagValue(seedEvent!, 'i')).toBe(seeded)
  expect(tagValue(seedEvent!, 'left')).toBe('0')
  // WebTorrent reports the bytes it holds as downloaded, a seeded file's included; the
  // extension publishes what was downloaded in this session, so a seeder never pays for its file.
  expect(tagValue(seedEvent!, 'downloaded')).toBe('0')
  expect(tagValue(leechEvent!, 'i')).toBe(leeching)
  expect(tagValue(leechEvent!, 'downloaded')).toBe('0')
  expect(tagValue(leechEvent!, 'left')).toBe(String(LEECH_BYTES))
  // Two torrents of one client session share its peer_id, hence the session tag.
  expect(tagValue(seedEvent!, 'session')).toBe(tagValue(leechEvent!, 'session'))

  // The page's client still works: the tracker took both announces and answered each.
  expect(site.trackerAnnounces).toEqual(
    expect.arrayContaining([
      { infoHash: seeded, event: 'start', left: 0 },
      { infoHash: leeching, event: 'start', left: LEECH_BYTES },
    ]),
  )
  await expect
    .poll(async () => {
      const { answers } = await appState(page)
      return (answers[seeded] ?? 0) > 0 && (answers[leeching] ?? 0) > 0
    })
    .toBe(true)
  // What the tracker answered reached the extension too, and only that.
  const host = new URL(site.origin).host
  await expect
    .poll(() => trackerAnswers(popup))
    .toEqual(
      expect.arrayContaining([
        {
          site: host,
          trackerHost: new URL(site.trackerUrl).host,
          infoHash: seeded,
          complete: 1,
          incomplete: 0,
          interval: 120,
          at: expect.any(Number) as unknown,
        },
        expect.objectContaining({ infoHash: leeching, complete: 0, incomplete: 1 }),
      ]),
    )
  expect((await appState(page)).errors).toEqual([])
  expect(pageErrors).toEqual([])

  await showView(playwrightDriver(popup), 'activity')
  const row = popup.locator(`[data-testid="announce-row"][data-info-hash="${leeching}"]`)
  await expect(row.locator(`[data-testid="relay-result"][data-relay="${relay.url}"]`)).toHaveText(
    /^OK/,
  )
  // The tracker's own count of the seeded swarm, as the page's socket received it.
  await expect(
    popup.locator(`[data-testid="tracker-answer"][data-info-hash="${seeded}"]`),
  ).toContainText('seeding')
  mkdirSync('test-results', { recursive: true })
  await popup.screenshot({ path: 'test-results/popup-ws-announce-chromium.png', fullPage: true })
  await page.close()
})

test('the time the hook adds to WebSocket.send in a real page is measured and reported', async () => {
  const page = await browser.context.newPage()
  await page.goto(appUrl('seed=0'))
  const timing = await page.evaluate(async (trackerUrl) => {
    const rounds = 300
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) =>
      String.fromCharCode(b),
    ).join('')
    // A WebTorrent-sized announce: 5 offers of about 2.5 kB of SDP each.
    const sdp =
      'v=0\r\n' + 'a=candidate:1 1 udp 2113937151 abcdef.local 50000 typ host\r\n'.repeat(40)
    const frame = JSON.stringify({
      action: 'announce',
      info_hash: hex,
      peer_id: '-WW0300-' + 'p'.repeat(12),
      uploaded: 0,
      downloaded: 0,
      left: 1,
      event: 'started',
      numwant: 5,
      offers: Array.from({ length: 5 }, (_, i) => ({
        offer: { type: 'offer', sdp },
        offer_id: String(i).repeat(20),
      })),
    })
    const other = 'x'.repeat(frame.length)
    const open = (): Promise<WebSocket> =>
      new Promise((done) => {
        const ws = new WebSocket(trackerUrl)
        ws.onopen = () => {
          done(ws)
        }
      })
    const time = (ws: WebSocket, data: string): number => {
      const t0 = performance.now()
      for (let i = 0; i < rounds; i++) ws.send(data)
      return (performance.now() - t0) / rounds
    }
    const ws = await open()
    const skipped = time(ws, other)
    const announce = time(ws, frame)
    ws.close()
    // A worker's sockets are out of any content script's reach: the browser's own send.
    const worker = new Worker(
      URL.createObjectURL(
        new Blob(
          [
            `onmessage = (e) => { const ws = new WebSocket(e.data.url); ws.onopen = () => {
              const t0 = performance.now(); for (let i = 0; i < ${rounds}; i++) ws.send(e.data.frame)
              postMessage((performance.now() - t0) / ${rounds}); ws.close() } }`,
          ],
          { type: 'text/javascript' },
        ),
      ),
    )
    const native = await new Promise<number>((done) => {
      worker.onmessage = (e) => {
        done(e.data as number)
      }
      worker.postMessage({ url: trackerUrl, frame })
    })
    return { frameChars: frame.length, native, skipped, announce }
  }, site.trackerUrl)
  console.info(
    `WebSocket.send of a ${timing.frameChars}-char announce: ${(timing.native * 1000).toFixed(1)} µs in a worker (no hook), ` +
      `${(timing.skipped * 1000).toFixed(1)} µs for a non-announce frame and ` +
      `${(timing.announce * 1000).toFixed(1)} µs for the announce in the hooked page`,
  )
  // Reported, not asserted: on a loaded 2-core machine a timing bound would fail for the
  // machine's sake, not the hook's (docs/performance.md has the figures against the 1 ms goal).
  mkdirSync('test-results', { recursive: true })
  writeFileSync('test-results/ws-hook-send.json', `${JSON.stringify(timing)}\n`)
  for (const ms of [timing.native, timing.skipped, timing.announce]) {
    expect(Number.isFinite(ms) && ms > 0).toBe(true)
  }
  await page.close()
})

test('a hostile page gets nothing signed that it did not announce on a real socket, and keeps working', async () => {
  const page = await browser.context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  await page.goto(`${site.origin}/hostile?tracker=${encodeURIComponent(site.trackerUrl)}`)
  interface Hostile {
    done: boolean
    leakedKeys: string[]
    leakedSecrets: string[]
    errors: string[]
    answer: { complete?: number; incomplete?: number } | null
    [hash: string]: unknown
  }
  const h = await waitFor('the hostile page to finish', async () => {
    const v = await page.evaluate(() => (window as unknown as { hostile: Hostile }).hostile)
    return v.done ? v : undefined
  })
  // Its honest announce on a real socket went through the hook and was answered.
  expect(h.answer).toMatchObject({ complete: 0, incomplete: 1 })
  await waitForAnnounces(relay.url, h.real as string, (es) => es.length > 0)
  // The page could neither read the secret nor break the real send's checks.
  expect(h.leakedKeys).toEqual([])
  expect(h.leakedSecrets).toEqual([])
  expect(h.errors).toEqual(['TypeError', 'TypeError', 'InvalidStateError'])
  expect(pageErrors).toEqual([])
  // Give anything forged time to be published, if it were going to be.
  await new Promise((r) => setTimeout(r, 3_000))
  for (const name of ['forged', 'ownKey', 'fakeClass', 'fakeThis', 'connecting', 'closed']) {
    expect(await fetchAnnounces(relay.url, h[name] as string), name).toEqual([])
  }
  // The worker is alive and well.
  await showView(playwrightDriver(popup), 'activity')
  await expect(popup.locator(byId('announce-row')).first()).toBeVisible()
  // A pristine WebSocket taken from a fresh about:blank frame is still a real socket, and the
  // frame has the scripts too (match_about_blank): its announce counts for this site.
  const [fromFrame] = await waitForAnnounces(relay.url, h.iframe as string, (es) => es.length > 0)
  expect(fromFrame!.pubkey).toBe(pubkey)
  await page.close()
})
