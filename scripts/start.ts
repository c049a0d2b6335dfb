/**
 * The main job (`npm start`): build the extension for Chrome and Firefox,
 * start the local relay (embedded SQLite in data/), serve a web torrent app
 * with a real bittorrent-tracker WebSocket tracker, and let two people use
 * it: a seeder and a downloader, each in a Chromium profile of their own with
 * the extension and their own key. The seeder's tab seeds a generated file
 * with the real WebTorrent bundle; the downloader's tab downloads it over
 * WebRTC. Every kind 21000 the relay accepts is printed here; once the
 * download is done the script settles the escrow through the relay's
 * operator command and prints both balances: the downloader charged, the
 * seeder paid. Ctrl+C (or SIGTERM) stops everything.
 *
 * The local relay runs the dev Lightning backend (TEST MODE, no real money):
 * the downloader's key is topped up with 1,000 test sats swapped to TSEED,
 * the seeder's is not. Each site's first announce raises the consent prompt;
 * the script clicks "Allow this site" in each popup, as a user would.
 *
 * With a display, two windows open side by side. Without one (or with
 * --headless) Chromium runs headless; headless Chromium finds no WebRTC route
 * between two browsers on one machine, so as root on Linux the script runs
 * itself again inside a private network namespace (scripts/netns-run.sh).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from '@playwright/test'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { generateSecretKey, getPublicKey, type NostrEvent } from 'nostr-tools/pure'
import WebSocket from 'ws'
import { CHROMIUM } from './chromium'
import { allowSite, openDemoBrowser, popupBalance, type DemoBrowser } from './demo-browser'
import { topUp, tseedBalance } from './dev-top-up'
import { inPrivateNetns, rerunInNetns, shouldEnterNetns } from './netns'
import { runRelayCli, startRelayProcess } from './relay-process'
import { TRANSFER_PAGE, TRANSFER_PATH, type TransferState } from './webtorrent-transfer-page'
import { startWebTorrentSite } from './webtorrent-site'

useWebSocketImplementation(WebSocket)

const RELAY_PORT = Number(process.env.TSEED_RELAY_PORT ?? 7447)
const SITE_PORT = Number(process.env.TSEED_DEMO_PORT ?? 8777)
const DB = 'data/relay.sqlite'
/** The keys' password in the extension: a demo, not a secret. */
const DEMO_PASSWORD = 'tseed demo key'
const FILE_BYTES = 3 * 1024 * 1024
/** About 10 s for the file, so the download's announces show it under way. */
const DOWNLOAD_RATE = 300_000
/** bittorrent-tracker asks WebSocket clients to re-announce every fifth of this: 5 s. */
const ANNOUNCE_INTERVAL_MS = 25_000
const TOP_UP_SAT = 1_000n

const args = process.argv.slice(2)
const headless =
  args.includes('--headless') || (process.platform === 'linux' && !process.env.DISPLAY)

const cleanups: (() => Promise<unknown>)[] = []
let stopping: Promise<never> | null = null

/** Closes everything started so far, newest first, once, then exits. */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    if (code === 0) console.info('\nstopping…')
    for (const close of cleanups.reverse()) await close().catch(() => undefined)
    process.exit(code)
  })()
  return stopping
}

const step = (msg: string): void => {
  console.info(`\n▶ ${msg}`)
}
const n = (v: bigint | number): string => v.toLocaleString('en-US')

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms / 1000} s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const transferState = (page: Page): Promise<TransferState> =>
  page.evaluate(() => (window as unknown as { transfer: TransferState }).transfer)

const counter = (e: NostrEvent, name: string): bigint =>
  BigInt(e.tags.find((t) => t[0] === name)?.[1] ?? '0')

function build(): void {
  step('building the extension (dist/chrome, dist/firefox)')
  for (const mode of ['chrome', 'firefox']) {
    const r = spawnSync('npx', ['vite', 'build', '--mode', mode, '--logLevel', 'warn'], {
      stdio: 'inherit',
    })
    if (r.status !== 0) throw new Error(`vite build --mode ${mode} failed`)
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Run: bash scripts/setup.sh`)
  }
  if (headless && process.platform === 'linux' && !inPrivateNetns()) {
    console.warn(
      'Headless without root: two headless browsers on this machine may find no WebRTC route to each other. ' +
        'Run with a display, or as root (the demo then uses a private network namespace).',
    )
  }
  build()

  step(`starting the relay on 127.0.0.1:${RELAY_PORT} (SQLite: ${DB})`)
  mkdirSync('data', { recursive: true })
  const relay = await startRelayProcess({ port: RELAY_PORT, dbPath: DB })
  cleanups.push(() => relay.stop())
  console.info(`  relay: ${relay.url}`)

  step(`serving a web torrent app on 127.0.0.1:${SITE_PORT} with a WebSocket tracker`)
  const site = await startWebTorrentSite({
    pages: { [TRANSFER_PATH]: TRANSFER_PAGE },
    port: SITE_PORT,
    announceIntervalMs: ANNOUNCE_INTERVAL_MS,
  })
  cleanups.push(() => site.close())
  console.info(`  app: ${site.origin}${TRANSFER_PATH}   tracker: ${site.trackerUrl}`)
  const appUrl = (query: Record<string, string>): string =>
    `${site.origin}${TRANSFER_PATH}?${new URLSearchParams({ tracker: site.trackerUrl, ...query }).toString()}`

  const seederKey = generateSecretKey()
  const downloaderKey = generateSecretKey()
  const names = new Map([
    [getPublicKey(seederKey), 'seeder    '],
    [getPublicKey(downloaderKey), 'downloader'],
  ])
  const events: NostrEvent[] = []
  const watcher = await Relay.connect(relay.url)
  cleanups.push(() => {
    watcher.close()
    return Promise.resolve()
  })
  watcher.subscribe([{ kinds: [21000], since: Math.floor(Date.now() / 1000) }], {
    onevent: (e) => {
      events.push(e)
      const tag = (t: string): string => e.tags.find((x) => x[0] === t)?.[1] ?? '-'
      console.info(
        `  relay accepted kind 21000 from the ${names.get(e.pubkey) ?? e.pubkey.slice(0, 12)}: ` +
          `i=${tag('i').slice(0, 12)}… up=${n(counter(e, 'uploaded'))} down=${n(counter(e, 'downloaded'))} ` +
          `left=${n(counter(e, 'left'))} event=${tag('event')}`,
      )
    },
  })

  step(`launching two Chromium profiles with the extension${headless ? ' (headless)' : ''}`)
  const open = (who: string, key: Uint8Array, x: number): Promise<DemoBrowser> =>
    openDemoBrowser({
      profileDir: resolve(`data/chromium-${who}`),
      headless,
      key,
      password: DEMO_PASSWORD,
      relayUrl: relay.url,
      window: { x, width: 900, height: 900 },
    }).then((b) => {
      cleanups.push(() => b.close())
      return b
    })
  const [seeder, downloader] = await Promise.all([
    open('seeder', seederKey, 0),
    open('downloader', downloaderKey, 920),
  ])
  console.info(`  seeder:     ${seeder.npub} (password: ${DEMO_PASSWORD}), no TSEED`)
  const topped = await topUp(relay.url, downloaderKey, TOP_UP_SAT)
  console.info(
    `  downloader: ${downloader.npub} (password: ${DEMO_PASSWORD}), topped up with ${n(TOP_UP_SAT)} test sats = ${n(topped)} TSEED`,
  )

  step('the seeder opens the app and seeds a generated file')
  const seedPage = await seeder.context.newPage()
  await seedPage.goto(appUrl({ seed: String(FILE_BYTES) }))
  const seeding = await until(
    'the seeder page',
    async () => {
      const s = await transferState(seedPage)
      return s.done ? s : undefined
    },
    60_000,
  )
  console.info(
    `  seeding ${seeding.name} (${n(seeding.size)} bytes), info hash ${seeding.infoHash}`,
  )
  let question = await allowSite(seeder, site.origin)
  console.info(`  the seeder's popup asks: "${question}"; clicking "Allow this site"`)

  step('the downloader opens the magnet link in the app')
  const leechPage = await downloader.context.newPage()
  await leechPage.goto(
    appUrl({ magnet: seeding.magnet!, sha256: seeding.sha256!, rate: String(DOWNLOAD_RATE) }),
  )
  question = await allowSite(downloader, site.origin)
  console.info(`  the downloader's popup asks: "${question}"; clicking "Allow this site"`)
  await leechPage.bringToFront()
  await seedPage.bringToFront()
  const got = await until(
    'the download',
    async () => {
      const s = await transferState(leechPage)
      return s.done ? s : undefined
    },
    120_000,
  )
  console.info(
    `  downloaded ${n(got.size)} bytes over WebRTC; SHA-256 ${got.intact === true ? 'matches' : 'DIFFERS FROM'} the seeder's file`,
  )

  step('waiting for the announces that report the finished transfer')
  const seederPk = getPublicKey(seederKey)
  const downloaderPk = getPublicKey(downloaderKey)
  const last = (pk: string): NostrEvent | undefined => events.filter((e) => e.pubkey === pk).at(-1)
  await until(
    'the seeder to announce what it uploaded',
    () => {
      const d = last(downloaderPk)
      const s = last(seederPk)
      const done =
        d !== undefined &&
        counter(d, 'left') === 0n &&
        s !== undefined &&
        counter(s, 'uploaded') >= BigInt(got.size)
      return Promise.resolve(done ? true : undefined)
    },
    60_000,
  )

  step(`settling the escrow: npm run relay -- settle --db ${DB}`)
  const settle = runRelayCli(['settle', '--db', DB])
  if ((await settle.exited) !== 0) throw new Error(`settle failed:\n${settle.output()}`)
  for (const line of settle.output().trim().split('\n')) console.info(`  ${line}`)
  console.info('  (the relay also settles on its own every 60 s)')

  step('balances on the relay (each key asks the API for its own)')
  const downloaderNow = await tseedBalance(relay.url, downloaderKey)
  const seederNow = await tseedBalance(relay.url, seederKey)
  const downloaded = counter(last(downloaderPk)!, 'downloaded')
  const uploaded = counter(last(seederPk)!, 'uploaded')
  console.info(
    `  downloader: ${n(topped)} → ${n(downloaderNow)} TSEED: charged ${n(topped - downloaderNow)} TSEED for ${n(downloaded)} bytes downloaded`,
  )
  console.info(
    `  seeder:     0 → ${n(seederNow)} TSEED: paid ${n(seederNow)} TSEED for ${n(uploaded)} bytes uploaded`,
  )
  const [shownDownloader, shownSeeder] = await Promise.all([
    popupBalance(downloader, downloaderNow),
    popupBalance(seeder, seederNow),
  ])
  const shown = (v: bigint | null): string => (v === null ? 'no balance yet' : `${n(v)} TSEED`)
  console.info(
    `  the popups (Wallet, Refresh) show: downloader ${shown(shownDownloader)}, seeder ${shown(shownSeeder)}`,
  )
  console.info(
    '\nBoth tabs keep running; open the popups (Activity) to see every announce and the relay’s answer. Ctrl+C stops everything.',
  )
}

if (shouldEnterNetns(headless)) {
  console.info(
    'Headless as root on Linux: running inside a private network namespace (scripts/netns-run.sh), ' +
      'where two headless browsers can reach each other over WebRTC and nothing else.',
  )
  process.exit(await rerunInNetns(fileURLToPath(import.meta.url), args))
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  void stop(1)
})
