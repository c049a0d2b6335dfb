import { expect, test, type Page } from '@playwright/test'
import { base32 } from '@scure/base'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { nip19 } from 'nostr-tools'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import WebSocket from 'ws'
import { topUp } from '../../scripts/dev-top-up'
import { startRelayProcess, type RelayProcess } from '../../scripts/relay-process'
import { signAnnounce } from '../support/tseed-relay'
import { launchChromiumWithExtension, openPopup, type ExtensionBrowser } from './support/chromium'
import { readBadges, type BadgeReading } from './support/closed-shadow'
import { traceScript } from './support/main-thread-trace'
import { playwrightDriver } from './support/playwright-driver'
import { byId, importKey, showView, useOnlyRelay } from './support/popup-actions'
import { startRelayTap, type RelayTap } from './support/relay-tap'
import {
  startTorrentIndexSite,
  type IndexRow,
  type TorrentIndexSite,
} from './support/torrent-index-site'

useWebSocketImplementation(WebSocket)

const hex = (): string => randomBytes(20).toString('hex')
const magnet = (ih: string, xl?: number, name = 'x'): string =>
  `magnet:?xt=urn:btih:${ih}&dn=${encodeURIComponent(name)}${xl === undefined ? '' : `&xl=${xl}`}&tr=udp%3A%2F%2Ftracker.example%3A1337`

const UBUNTU = hex()
const SCARCE = hex()
const EMPTY = hex()
const BUNNY = hex()
const LATE = hex()
const BUNNY_TITLE = 'Big Buck Bunny (1080p, NIP-35)'

let relay: RelayProcess
let tap: RelayTap
let site: TorrentIndexSite
let browser: ExtensionBrowser
let popup: Page
let funded: bigint
const sk = generateSecretKey()

test.describe.configure({ mode: 'serial' })

/** Publishes straight to the relay, as other users' clients would. */
async function publishAll(events: NostrEvent[]): Promise<void> {
  const conn = await Relay.connect(relay.url)
  try {
    for (const ev of events) await conn.publish(ev)
  } finally {
    conn.close()
  }
}

test.beforeAll(async () => {
  // Rarity on and 2 TSEED/MB, so the price differs per swarm; the torrent index keeps NIP-35 events.
  relay = await startRelayProcess({
    extraArgs: ['--rarity', 'on', '--torrent-index', 'on', '--price-per-mb', '2'],
  })
  tap = await startRelayTap(relay.url)
  site = await startTorrentIndexSite()

  const keys = Array.from({ length: 9 }, () => generateSecretKey())
  const now = Math.floor(Date.now() / 1000)
  const a = (
    k: number,
    infoHash: string,
    left: bigint,
    extra: { session?: string; event?: 'started' | 'stopped'; at?: number } = {},
  ) =>
    signAnnounce(
      keys[k]!,
      {
        infoHash,
        left,
        ...(extra.session === undefined ? {} : { session: extra.session }),
        ...(extra.event === undefined ? {} : { event: extra.event }),
      },
      extra.at ?? now,
    )
  await publishAll([
    // UBUNTU: key 1 seeds in one session and leeches in another (one seeder), key 2 seeds,
    // key 3 leeches, key 8 started and then stopped (gone): 2 seeders, 1 leecher.
    a(1, UBUNTU, 0n, { session: '1'.repeat(32) }),
    a(1, UBUNTU, 100n, { session: '2'.repeat(32) }),
    a(2, UBUNTU, 0n),
    a(3, UBUNTU, 100n),
    a(8, UBUNTU, 100n, { session: '8'.repeat(32), event: 'started', at: now - 10 }),
    a(8, UBUNTU, 100n, { session: '8'.repeat(32), event: 'stopped', at: now - 5 }),
    // SCARCE: 1 seeder, 5 leechers: fewer than one seeder per four leechers, price ×2.
    a(1, SCARCE, 0n),
    ...[2, 3, 4, 5, 6].map((k) => a(k, SCARCE, 50n)),
    // BUNNY: 2 leechers and no seeder, price ×4; its size is known only from NIP-35.
    a(7, BUNNY, 5n),
    a(8, BUNNY, 5n),
    // LATE: 3 seeders.
    ...[3, 4, 5].map((k) => a(k, LATE, 0n)),
    JSON.parse(
      JSON.stringify(
        finalizeEvent(
          {
            kind: 2003,
            created_at: now,
            tags: [
              ['title', BUNNY_TITLE],
              ['x', BUNNY],
              ['file', 'bbb/bbb_1080p.mp4', '7000001'],
              ['t', 'movie'],
            ],
            content: 'An open movie.',
          },
          keys[0]!,
        ),
      ),
    ) as NostrEvent,
  ])

  browser = await launchChromiumWithExtension()
  popup = await openPopup(browser)
  const d = playwrightDriver(popup)
  await importKey(d, nip19.nsecEncode(sk), nip19.npubEncode(getPublicKey(sk)))
  await useOnlyRelay(d, tap.url)
  funded = await topUp(relay.url, sk, 1_000n)
  await showView(d, 'wallet')
  await popup.locator(byId('refresh-balance')).click()
  await expect(popup.locator(byId('balance-tseed'))).toHaveAttribute(
    'data-tseed',
    funded.toString(),
  )
})

test.afterAll(async () => {
  await browser.close()
  await site.close()
  await tap.close()
  await relay.stop()
})

const grouped = (n: bigint): string => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')

test('a torrent index gets exact counts, price and cost per link, its links still work, and a badge opens a panel', async () => {
  const rows: IndexRow[] = [
    { name: 'Ubuntu 24.04 desktop', href: magnet(UBUNTU, 276_134_947, 'ubuntu.iso') },
    { name: 'Scarce swarm', href: magnet(SCARCE, 10_000_000) },
    { name: 'Nobody here', href: magnet(EMPTY, 1_500_000) },
    { name: 'Big Buck Bunny', href: magnet(BUNNY) },
    { name: 'Ubuntu (.torrent file)', href: `/dl/${UBUNTU}.torrent` },
    {
      name: 'Late, base32',
      href: `magnet:?xt=urn:btih:${base32.encode(Buffer.from(LATE, 'hex'))}&xl=999`,
      late: true,
    },
    { name: 'Scarce swarm (mirror)', href: magnet(SCARCE, 10_000_000, 'mirror'), late: true },
  ]
  site.page('/index', 'Imitation torrent index', rows)
  const reqsBefore = tap.reqs.length
  const page = await browser.context.newPage()
  await page.goto(`${site.origin}/index`)
  await expect
    .poll(() => page.evaluate(() => (window as { lateAdded?: boolean }).lateAdded))
    .toBe(true)
  await expect.poll(async () => (await readBadges(page)).length).toBe(rows.length)

  const badges = await readBadges(page)
  const byHref = new Map(badges.map((b) => [b.href, b]))
  const expected: [string, string, string, string, string, string, string][] = [
    // href, seeders, unit, leechers, unit, TSEED/MB, cost
    [rows[0]!.href, '2', 'seeders', '1', 'leecher', '2', '553 TSEED'],
    [rows[1]!.href, '1', 'seeder', '5', 'leechers', '4', '40 TSEED'],
    [rows[2]!.href, '0', 'seeders', '0', 'leechers', '2', '3 TSEED'],
    [rows[3]!.href, '0', 'seeders', '2', 'leechers', '8', '57 TSEED'],
    // The same torrent as the first row: its size is known from that row's magnet.
    [rows[4]!.href, '2', 'seeders', '1', 'leecher', '2', '553 TSEED'],
    [rows[5]!.href, '3', 'seeders', '0', 'leechers', '2', '1 TSEED'],
    [rows[6]!.href, '1', 'seeder', '5', 'leechers', '4', '40 TSEED'],
  ]
  for (const [href, s, su, l, lu, price, cost] of expected) {
    expect(byHref.get(href)?.parts, href).toEqual({
      seeders: s,
      'seeders-unit': su,
      leechers: l,
      'leechers-unit': lu,
      price,
      cost,
    })
  }
  expect(byHref.get(rows[0]!.href)?.label).toBe(
    'TSEED: 2 seeders and 1 leecher on your TSEED relays, 2 TSEED per MB, at most 553 TSEED for this download. Show details.',
  )

  // Two batches: the links in the HTML, then the rows the page added (one new hash; the mirror's
  // hash was already answered). Each is one REQ asking both kinds.
  const reqs = tap.reqs.slice(reqsBefore)
  expect(reqs).toHaveLength(2)
  expect(reqs.map((r) => (r.filters[0]?.['#i'] as string[]).length)).toEqual([4, 1])
  for (const r of reqs) {
    expect(r.filters.map((f) => f.kinds)).toEqual([[21000], [2003]])
    expect(r.filters[1]?.['#x']).toEqual(r.filters[0]?.['#i'])
  }

  // The badge: a panel opens, and the page's handlers never hear of the click.
  const bunny = page.locator('tseed-badge').nth(3)
  await bunny.click()
  await expect.poll(async () => (await readBadges(page))[3]?.expanded).toBe('true')
  const opened = (await readBadges(page))[3]!
  expect(opened.href).toBe(rows[3]!.href)
  expect(opened.panel?.title).toBe(BUNNY_TITLE)
  expect(opened.panel?.rows).toEqual({
    seeders: '0',
    leechers: '2',
    price: '8 TSEED per MB (few seeders, so it costs more)',
    size: '7.0 MB (from a Nostr torrent event)',
    cost: 'at most 57 TSEED',
    'balance-after': `${grouped(funded - 57n)} TSEED (you have ${grouped(funded)})`,
  })
  expect(opened.panel?.notes[0]).toMatch(/NIP-35\)\. Anyone can publish one\./)
  expect(await page.evaluate(() => (window as { linkClicks?: unknown[] }).linkClicks)).toEqual([])
  expect(await page.evaluate(() => (window as { rowClicks?: number }).rowClicks)).toBe(0)
  mkdirSync('test-results', { recursive: true })
  await page.screenshot({ path: 'test-results/site-badges-chromium.png', fullPage: true })
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.screenshot({ path: 'test-results/site-badges-chromium-dark.png', fullPage: true })
  await page.emulateMedia({ colorScheme: 'light' })

  // Keyboard: Escape closes it; focusing the badge and pressing Enter opens it again.
  await page.keyboard.press('Escape')
  await expect.poll(async () => (await readBadges(page))[3]?.expanded).toBe('false')
  await bunny.focus()
  await page.keyboard.press('Enter')
  await expect.poll(async () => (await readBadges(page))[3]?.expanded).toBe('true')
  await page.keyboard.press('Escape')
  await expect.poll(async () => (await readBadges(page))[3]?.expanded).toBe('false')

  // The link itself, last (following a magnet opens the browser's external-protocol prompt, which
  // takes the keyboard): the page's own click handler sees the click, and nothing prevented it.
  const links = page.locator('a.magnet')
  await links.nth(0).click()
  await expect
    .poll(() => page.evaluate(() => (window as { linkClicks?: unknown[] }).linkClicks))
    .toEqual([{ href: rows[0]!.href, defaultPrevented: false }])
  const rowClicks = await page.evaluate(() => (window as { rowClicks?: number }).rowClicks)
  expect(rowClicks).toBe(1)

  await page.close()
})

test('a page of 1,000 magnet links gets every badge from one REQ per relay', async () => {
  const hashes = Array.from({ length: 1000 }, hex)
  const now = Math.floor(Date.now() / 1000)
  const seeders = Array.from({ length: 10 }, () => generateSecretKey())
  await publishAll(
    hashes.slice(0, 10).map((ih, i) => signAnnounce(seeders[i]!, { infoHash: ih, left: 0n }, now)),
  )
  site.page(
    '/many',
    'A thousand torrents',
    hashes.map((ih, i) => ({ name: `Torrent ${i}`, href: magnet(ih, 1_000_000 + i) })),
  )
  const reqsBefore = tap.reqs.length
  const priceBefore = tap.http.filter((h) => h.path.includes('/price/')).length
  const page = await browser.context.newPage()
  const script = `chrome-extension://${browser.extensionId}/src/content/site-badges.iife.js`
  const badgeCount = () => page.evaluate(() => document.querySelectorAll('tseed-badge').length)
  // First screen: from navigation until the badges near the viewport are placed and stay put.
  const firstScreen = await traceScript(page, script, async () => {
    await page.goto(`${site.origin}/many`)
    let last = -1
    let steady = 0
    await expect
      .poll(
        async () => {
          const n = await badgeCount()
          steady = n > 0 && n === last ? steady + 1 : 0
          last = n
          return steady >= 4
        },
        { timeout: 30_000, intervals: [250] },
      )
      .toBe(true)
    return last
  })
  const nearViewport = firstScreen.result
  expect(nearViewport).toBeGreaterThan(0)
  expect(nearViewport).toBeLessThan(200)
  const firstScreenLongTasks = await page.evaluate(
    () => (window as { longTasks?: number[] }).longTasks ?? [],
  )
  // Then the rest, as a reader scrolls to the end: no new request, only badges placed.
  const wholePage = await traceScript(page, script, async () => {
    for (let i = 0; (await badgeCount()) < 1000; i++) {
      if (i > 400) throw new Error(`only ${await badgeCount()} badges after scrolling`)
      await page.mouse.wheel(0, 600)
      await page.waitForTimeout(40)
    }
  })
  const reqs = tap.reqs.slice(reqsBefore)
  expect(reqs).toHaveLength(1)
  expect((reqs[0]!.filters[0]?.['#i'] as string[]).sort()).toEqual([...hashes].sort())
  expect((reqs[0]!.filters[1]?.['#x'] as string[]).length).toBe(1000)
  // The relay's pricing is read once per relay, and only when not read in the last minute.
  expect(
    tap.http.filter((h) => h.path.includes('/price/')).length - priceBefore,
  ).toBeLessThanOrEqual(1)

  const badges: BadgeReading[] = await readBadges(page)
  expect(badges).toHaveLength(1000)
  const byHref = new Map(badges.map((b) => [b.href, b]))
  hashes.forEach((ih, i) => {
    const parts = byHref.get(magnet(ih, 1_000_000 + i))?.parts
    expect(parts?.seeders, ih).toBe(i < 10 ? '1' : '0')
    expect(parts?.leechers).toBe('0')
    expect(parts?.price).toBe('2')
    // (10^6 + i) bytes at 2 TSEED per 10^6, rounded up.
    expect(parts?.cost).toBe(i === 0 ? '2 TSEED' : '3 TSEED')
  })
  const longTasks = await page.evaluate(() => (window as { longTasks?: number[] }).longTasks ?? [])
  const figures = {
    links: 1000,
    reqs: reqs.length,
    firstScreen: {
      badges: nearViewport,
      ...firstScreen.times,
      pageLongTasksMs: firstScreenLongTasks,
    },
    scrolledToEnd: { badges: 1000 - nearViewport, ...wholePage.times },
    pageLongTasksMs: longTasks,
  }
  console.info(`site badges, 1,000 links: ${JSON.stringify(figures)}`)
  mkdirSync('test-results', { recursive: true })
  writeFileSync(
    'test-results/site-badges-performance.json',
    `${JSON.stringify(figures, null, 2)}\n`,
  )
  await page.close()
})

test('turning TSEED off from a badge removes every badge on the site and asks nothing more', async () => {
  const page = await browser.context.newPage()
  await page.goto(`${site.origin}/index`)
  await expect.poll(async () => (await readBadges(page)).length).toBe(7)
  // By keyboard, as the "off" button is inside the closed shadow root: open, then Tab to it.
  await page.locator('tseed-badge').first().focus()
  await page.keyboard.press('Enter')
  await expect.poll(async () => (await readBadges(page))[0]?.expanded).toBe('true')
  await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await expect
    .poll(() => page.evaluate(() => document.querySelectorAll('tseed-badge').length))
    .toBe(0)

  await showView(playwrightDriver(popup), 'settings')
  await expect(popup.locator(`${byId('site-row')}[data-origin="${site.origin}"]`)).toHaveAttribute(
    'data-decision',
    'block',
  )
  const reqsBefore = tap.reqs.length
  await page.reload()
  await page.waitForTimeout(2_000)
  expect(await page.evaluate(() => document.querySelectorAll('tseed-badge').length)).toBe(0)
  expect(tap.reqs.length).toBe(reqsBefore)
  await page.close()
})
