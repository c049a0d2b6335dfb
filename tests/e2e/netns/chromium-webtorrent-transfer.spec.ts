import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { nip19 } from 'nostr-tools'
import { generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure'
import { chargeForBytes } from '../../../src/balance/pricing'
import { tseedBalance, topUp } from '../../../scripts/dev-top-up'
import { assertPrivateNetns } from '../../../scripts/netns'
import { runRelayCli, startRelayProcess } from '../../../scripts/relay-process'
import {
  TRANSFER_PAGE,
  TRANSFER_PATH,
  type TransferState,
} from '../../../scripts/webtorrent-transfer-page'
import { startWebTorrentSite, type WebTorrentSite } from '../../../scripts/webtorrent-site'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from '../support/chromium'
import { answerPrompt, importKey, showView, useOnlyRelay, waitFor } from '../support/popup-actions'
import { playwrightDriver } from '../support/playwright-driver'
import { assertAuditZero } from '../support/relay-audit'
import { collectAnnounces, tagValue, verifiesFresh } from '../support/relay-client'

/**
 * Two browsers, each with the extension and a key of its own: one seeds a
 * generated file from a real WebTorrent page, the other downloads it over
 * WebRTC through a real bittorrent-tracker WebSocket server. Two keys,
 * because settlement must move TSEED from the downloader to the seeder.
 */

// Not a multiple of WebTorrent's piece length, so the last piece is a short one.
const FILE_BYTES = 3 * 1024 * 1024 + 12_345
/** About 8 s for the file: announces of a download under way, even if the prompt is slow. */
const DOWNLOAD_RATE = 400_000
const TOP_UP_SAT = 1_000n
// Host candidates carry the veth addresses instead of mDNS names nobody here could resolve.
const WEBRTC_ARGS = ['--disable-features=WebRtcHideLocalIpsWithMdns']

interface Peer {
  name: 'seeder' | 'downloader'
  key: Uint8Array
  pubkey: string
  browser: ExtensionBrowser
  popup: Page
}

test.describe.configure({ mode: 'serial' })
test.setTimeout(100_000)

let site: WebTorrentSite
let relay: Awaited<ReturnType<typeof startRelayProcess>>
const peers: Peer[] = []
/** Every browser launched, closed after the tests even if setting one up failed. */
const browsers: ExtensionBrowser[] = []

test.beforeAll(async () => {
  assertPrivateNetns()
  // Settlement happens when the test says so, never on the relay's timer in between.
  relay = await startRelayProcess({ extraArgs: ['--settle-interval', '86400'] })
  // Seeders report what they uploaded when they re-announce: every 2 s here.
  site = await startWebTorrentSite({
    pages: { [TRANSFER_PATH]: TRANSFER_PAGE },
    announceIntervalMs: 10_000,
  })
  const launched = await Promise.all(
    (['seeder', 'downloader'] as const).map(async (name): Promise<Peer> => {
      const key = generateSecretKey()
      const pubkey = getPublicKey(key)
      const browser = await launchChromiumWithExtension(WEBRTC_ARGS)
      browsers.push(browser)
      const popup = await openPopup(browser)
      const d = playwrightDriver(popup)
      await importKey(d, nip19.nsecEncode(key), nip19.npubEncode(pubkey))
      await useOnlyRelay(d, relay.url)
      return { name, key, pubkey, browser, popup }
    }),
  )
  peers.push(...launched)
})

test.afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()))
  await site.close()
  await relay.stop()
})

const transferState = (page: Page): Promise<TransferState> =>
  page.evaluate(() => (window as unknown as { transfer: TransferState }).transfer)

const transferUrl = (query: Record<string, string>): string =>
  `${site.origin}${TRANSFER_PATH}?${new URLSearchParams({ tracker: site.trackerUrl, ...query }).toString()}`

/** A counter tag as a bigint; every announce carries all three. */
const counter = (e: NostrEvent, name: 'uploaded' | 'downloaded' | 'left'): bigint =>
  BigInt(tagValue(e, name) ?? Number.NaN)

/** Who announced what, in arrival order, for a failure message. */
function describeAnnounces(events: NostrEvent[], who: Peer[]): string {
  return events
    .map((e) => {
      const name = who.find((p) => p.pubkey === e.pubkey)?.name ?? e.pubkey.slice(0, 8)
      const [up, down, left] = (['uploaded', 'downloaded', 'left'] as const).map((t) =>
        tagValue(e, t),
      )
      return `${name} ${tagValue(e, 'event') ?? '-'} up=${up} down=${down} left=${left}`
    })
    .join('; ')
}

function expectNonDecreasing(values: bigint[]): void {
  for (let i = 1; i < values.length; i++) {
    expect(values[i]! >= values[i - 1]!, `counter went down: ${values.join(', ')}`).toBe(true)
  }
}

test('a file seeded in one browser arrives intact in the other, and TSEED moves from the downloader to the seeder', async () => {
  const [seeder, downloader] = peers as [Peer, Peer]
  const topped = await topUp(relay.url, downloader.key, TOP_UP_SAT)

  const seedPage = await seeder.browser.context.newPage()
  await seedPage.goto(transferUrl({ seed: String(FILE_BYTES) }))
  const seeding = await waitFor('the seeder page to seed', async () => {
    const s = await transferState(seedPage)
    return s.done && s.magnet !== null && s.infoHash !== null ? s : undefined
  })
  const infoHash = seeding.infoHash!
  const announces = await collectAnnounces(relay.url, infoHash)
  const from = (p: Peer): NostrEvent[] => announces.events.filter((e) => e.pubkey === p.pubkey)

  // Each browser asks before its first announce for this site is signed; the user allows it.
  await seeder.popup.bringToFront()
  await answerPrompt(playwrightDriver(seeder.popup), site.origin, 'allow-site')
  const leechPage = await downloader.browser.context.newPage()
  await leechPage.goto(
    transferUrl({
      magnet: seeding.magnet!,
      sha256: seeding.sha256!,
      rate: String(DOWNLOAD_RATE),
    }),
  )
  await downloader.popup.bringToFront()
  await answerPrompt(playwrightDriver(downloader.popup), site.origin, 'allow-site')

  const received = await waitFor(
    'the download to finish',
    async () => {
      const s = await transferState(leechPage)
      return s.done ? s : undefined
    },
    60_000,
  )
  expect(received).toMatchObject({ infoHash, size: FILE_BYTES, intact: true, errors: [] })
  expect(received.sha256).toBe(seeding.sha256)
  expect((await transferState(seedPage)).errors).toEqual([])

  // The downloader's last announce says it holds everything; the seeder's next one, what it sent.
  await waitFor('announces of the finished transfer', () => {
    if (
      from(downloader).some((e) => counter(e, 'left') === 0n) &&
      from(seeder).some((e) => counter(e, 'uploaded') >= BigInt(FILE_BYTES))
    ) {
      return Promise.resolve(true)
    }
    // waitFor reports the last error: what arrived so far.
    throw new Error(`announces so far: ${describeAnnounces(announces.events, peers)}`)
  })
  announces.close()
  console.info(`announces: ${describeAnnounces(announces.events, peers)}`)
  for (const p of peers) {
    const events = from(p)
    expect(events.length, `${p.name}'s announces`).toBeGreaterThan(1)
    for (const e of events) {
      expect(e.kind).toBe(21000)
      expect(verifiesFresh(e)).toBe(true)
      expect(tagValue(e, 'i')).toBe(infoHash)
    }
  }

  const seeds = from(seeder)
  const leeches = from(downloader)
  // The seeder never pays for its own file; what it uploaded grows from 0 to the whole file.
  expect(seeds.every((e) => counter(e, 'downloaded') === 0n && counter(e, 'left') === 0n)).toBe(
    true,
  )
  const uploaded = seeds.map((e) => counter(e, 'uploaded'))
  expectNonDecreasing(uploaded)
  expect(uploaded[0]).toBe(0n)
  // The downloader's counters go from nothing held to the whole file.
  const downloaded = leeches.map((e) => counter(e, 'downloaded'))
  const left = leeches.map((e) => counter(e, 'left'))
  expectNonDecreasing(downloaded)
  expectNonDecreasing(left.map((l) => -l))
  // Its first announce, from a magnet, carries no size and is not published: the first one
  // that is comes from a download under way.
  expect(left[0]! > 0n && downloaded[0]! < BigInt(FILE_BYTES)).toBe(true)
  expect(downloaded[0]! + left[0]!).toBe(BigInt(FILE_BYTES))
  expect([downloaded.at(-1), left.at(-1)]).toEqual([BigInt(FILE_BYTES), 0n])

  // docs/ledger.md: downloads are charged into the swarm's escrow at 1 TSEED per 10^6 bytes
  // (remainders carried); uploads are claims on it, paid out when the relay settles.
  const charged = chargeForBytes(downloaded.at(-1)!, 1n, 0n).tokens
  const claimed = chargeForBytes(uploaded.at(-1)!, 1n, 0n).tokens
  expect(charged).toBe(3n)
  // The seeder sent the whole file, so its claim covers everything the escrow holds.
  expect(claimed).toBeGreaterThanOrEqual(charged)
  expect(await tseedBalance(relay.url, downloader.key)).toBe(topped - charged)
  expect(await tseedBalance(relay.url, seeder.key)).toBe(0n)

  const settle = runRelayCli(['settle', '--db', relay.dbPath])
  expect(await settle.exited, settle.output()).toBe(0)
  expect(settle.output()).toContain(
    `payout urn:swarm:${infoHash} -> did:nostr:${seeder.pubkey}: ${charged} TSEED`,
  )
  expect(await tseedBalance(relay.url, seeder.key)).toBe(charged)
  expect(await tseedBalance(relay.url, downloader.key)).toBe(topped - charged)

  // What the popup shows each of them: the announces and every relay's answer.
  mkdirSync('test-results', { recursive: true })
  await leechPage
    .locator('body')
    .screenshot({ path: 'test-results/webtorrent-transfer-downloader.png' })
  for (const p of peers) {
    await showView(playwrightDriver(p.popup), 'activity')
    await expect(
      p.popup.locator(`[data-testid="announce-row"][data-info-hash="${infoHash}"]`).first(),
    ).toBeVisible()
    // The width of the toolbar popup.
    await p.popup.setViewportSize({ width: 400, height: 720 })
    await p.popup.locator('#app').screenshot({
      path: `test-results/popup-webtorrent-${p.name}-chromium.png`,
    })
  }
})

test('the ledger sums to zero after the transfer and its settlement', async () => {
  await relay.stop()
  assertAuditZero(relay.dbPath)
})
