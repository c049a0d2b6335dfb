/**
 * The main job (`npm start`): build the extension for Chrome and Firefox, start
 * the local relay (embedded SQLite in data/), serve the demo torrent site, and
 * launch Chromium with the extension on the demo page, which announces to its
 * tracker like a web torrent client. Every kind 21000 the relay accepts is
 * printed here. Ctrl+C stops everything.
 *
 * The local relay runs the dev Lightning backend (TEST MODE, no real money),
 * so the script gives the extension a fresh demo key and tops it up with
 * 1,000 test sats swapped to TSEED: the demo download is paid for and the
 * later seeding announces earn. The demo site's first announce raises the
 * consent prompt; the script clicks "Allow this site" in the popup, as a
 * user would. Replace the key in the popup to use your own.
 * With a display, Chromium opens as a window; without one (or with
 * --headless) it runs headless.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { nip19 } from 'nostr-tools'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import WebSocket from 'ws'
import { CHROMIUM, launchExtensionContext } from './chromium'
import { startRelayProcess } from './relay-process'
import { startTrackerSite } from './demo-site'
import { topUp } from './dev-top-up'

useWebSocketImplementation(WebSocket)

const RELAY_PORT = Number(process.env.TSEED_RELAY_PORT ?? 7447)
const SITE_PORT = Number(process.env.TSEED_DEMO_PORT ?? 8777)
/** The demo key's password: a demo, not a secret. */
const DEMO_PASSWORD = 'tseed demo key'
const headless = process.argv.includes('--headless') || !process.env.DISPLAY

function step(msg: string): void {
  console.info(`\n▶ ${msg}`)
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Run: bash scripts/setup.sh`)
  }
  step('building the extension (dist/chrome, dist/firefox)')
  for (const mode of ['chrome', 'firefox']) {
    const r = spawnSync('npx', ['vite', 'build', '--mode', mode, '--logLevel', 'warn'], {
      stdio: 'inherit',
    })
    if (r.status !== 0) throw new Error(`vite build --mode ${mode} failed`)
  }

  step(`starting the relay on 127.0.0.1:${RELAY_PORT} (SQLite: data/relay.sqlite)`)
  mkdirSync('data', { recursive: true })
  const relay = await startRelayProcess({ port: RELAY_PORT, dbPath: 'data/relay.sqlite' })
  console.info(`  relay: ${relay.url}`)

  step(`serving the demo torrent site on 127.0.0.1:${SITE_PORT}`)
  const site = await startTrackerSite(SITE_PORT)
  console.info(`  site: ${site.origin}/?demo`)

  const watcher = await Relay.connect(relay.url)
  watcher.subscribe([{ kinds: [21000] }], {
    onevent: (e) => {
      const tag = (n: string): string => e.tags.find((t) => t[0] === n)?.[1] ?? '-'
      console.info(
        `  relay accepted kind 21000 from ${e.pubkey.slice(0, 12)}…: i=${tag('i')} up=${tag('uploaded')} down=${tag('downloaded')} left=${tag('left')} event=${tag('event')}`,
      )
    },
  })

  step(`launching Chromium ${headless ? '(headless)' : ''} with the extension`)
  const { context, extensionId: id } = await launchExtensionContext({
    extensionDir: resolve('dist/chrome'),
    profileDir: resolve('data/chromium-profile'),
    headless,
    windowSized: true,
    extraArgs: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  })
  const popup = await context.newPage()
  await popup.goto(`chrome-extension://${id}/src/popup/index.html`)
  const demoKey = generateSecretKey()
  const npub = nip19.npubEncode(getPublicKey(demoKey))
  // The demo key is stored encrypted like any key; its password is printed for the popup's Unlock.
  await popup.locator('[data-testid="import-key-input"]').fill(nip19.nsecEncode(demoKey))
  await popup.locator('[data-testid="import-key-password"]').fill(DEMO_PASSWORD)
  await popup.locator('[data-testid="import-key-confirm"]').fill(DEMO_PASSWORD)
  await popup.locator('[data-testid="import-key"]').click()
  // The key shows under Settings; the wallet view then opens again, as a user would leave it.
  await popup.locator('[data-testid="balance"]').waitFor()
  await popup.locator('[data-testid="view-settings"]').click()
  await popup.locator('[data-testid="npub"]', { hasText: npub }).waitFor()
  await popup.locator('[data-testid="view-wallet"]').click()
  const tseed = await topUp(relay.url, demoKey, 1_000n)
  console.info(
    `  demo key ${npub} imported (password: ${DEMO_PASSWORD}); topped up with 1,000 test sats = ${tseed} TSEED`,
  )
  const page = await context.newPage()
  await page.goto(`${site.origin}/?demo`)
  // A page's announce is a request, not consent: the popup asks, and the demo answers the
  // way a user would, by clicking "Allow this site" on the prompt.
  const prompt = popup.locator(`[data-testid="consent-prompt"][data-origin="${site.origin}"]`)
  await popup.bringToFront()
  await prompt.waitFor({ timeout: 30_000 })
  console.info(
    `  the popup asks: "${(await prompt.locator('h2').textContent()) ?? ''}"; clicking "Allow this site"`,
  )
  await prompt.locator('[data-testid="prompt-allow-site"]').click()
  await page.bringToFront()
  console.info('  the demo page announces now and every 15 s; watch the lines below.')

  const stop = async (): Promise<void> => {
    console.info('\nstopping…')
    watcher.close()
    await context.close().catch(() => undefined)
    await site.close()
    await relay.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
