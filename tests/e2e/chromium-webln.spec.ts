import { expect, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { nip19 } from 'nostr-tools'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { WebSocket } from 'ws'
import { startTrackerSite } from '../../scripts/demo-site'
import { parseWalletConnectUri } from '../../src/nostr/nip47'
import { NwcClient, type WebSocketImplementation } from '../../src/nostr/nwc-client'
import { expectAccessible } from './support/axe'
import { launchChromiumWithExtension, openPopup } from './support/chromium'
import { relayBalance, startNwcWorld } from './support/nwc-relay'
import { playwrightDriver } from './support/playwright-driver'
import { announceUnfundedDownload } from './support/unfunded-download'
import { byId, importKey, showView, useOnlyRelay } from './support/popup-actions'
import { assertAuditZero } from './support/relay-audit'
import { waitForAnnounces } from './support/relay-client'

const USER_WALLET_MSAT = 50_000_000n

/**
 * Paying a top-up with a WebLN wallet, the way Alby offers it: `window.webln`
 * in every web page. The test's WebLN wallet is a page-world object whose
 * `sendPayment` reaches a real NIP-47 wallet service, the user's, which pays
 * the relay's invoice to the operator's wallet; the relay runs the `nwc`
 * backend, so the deposit is credited only because the invoice was paid.
 */
test('a top-up invoice is paid by the WebLN wallet of an open tab; the deposit is credited and the waiting announce goes out', async () => {
  const world = await startNwcWorld(USER_WALLET_MSAT)
  const { relay, operatorWallet, userWallet } = world
  const site = await startTrackerSite()
  const browser = await launchChromiumWithExtension()
  const wallet = new NwcClient({
    connection: parseWalletConnectUri(userWallet.createConnection().uri),
    WebSocket: WebSocket as unknown as WebSocketImplementation,
  })
  const paid: string[] = []
  await browser.context.exposeFunction('tseedTestWalletPay', async (invoice: string) => {
    paid.push(invoice)
    const r = await wallet.request('pay_invoice', { invoice })
    return r.preimage
  })
  await browser.context.addInitScript(() => {
    const page = window as unknown as { tseedTestWalletPay: (i: string) => Promise<string> }
    Object.defineProperty(window, 'webln', {
      value: {
        enable: () => Promise.resolve(),
        sendPayment: async (invoice: string) => ({
          preimage: await page.tseedTestWalletPay(invoice),
        }),
      },
    })
  })
  const sk = generateSecretKey()
  mkdirSync('test-results', { recursive: true })
  try {
    const popup = await openPopup(browser)
    const d = playwrightDriver(popup)
    await importKey(d, nip19.nsecEncode(sk), nip19.npubEncode(getPublicKey(sk)))
    await useOnlyRelay(d, relay.url)
    await showView(d, 'wallet')

    const { hash } = await announceUnfundedDownload(browser.context, popup, site.origin)
    await popup.locator(byId('top-up-missing')).click()
    await expect(popup.locator(byId('top-up-quote'))).toBeVisible()
    const amountSat = BigInt(await popup.locator(byId('top-up-amount')).inputValue())
    await popup.locator(byId('create-invoice')).click()
    await expect(popup.locator(byId('top-up-invoice'))).toHaveAttribute('data-state', 'invoice')
    await expectAccessible(popup, 'invoice')
    const invoice = await popup.locator(byId('invoice')).inputValue()

    const operatorBefore = operatorWallet.balanceMsat
    await popup.locator(byId('pay-webln')).click()
    const done = popup.locator(byId('top-up-done'))
    await expect(done).toHaveAttribute('data-state', 'credited', { timeout: 60_000 })
    await popup.screenshot({ path: 'test-results/top-up-webln-chromium.png' })
    expect(paid).toEqual([invoice])
    expect(operatorWallet.balanceMsat).toBe(operatorBefore + amountSat * 1000n)
    expect(userWallet.balanceMsat).toBe(USER_WALLET_MSAT - amountSat * 1000n)

    await waitForAnnounces(relay.url, hash.hex, (es) => es.length === 1)
    await popup.locator(byId('top-up-finish')).click()
    const onRelay = await relayBalance(relay.url, sk)
    await popup.locator(byId('refresh-balance')).click()
    await expect(popup.locator(byId('balance-tseed'))).toHaveAttribute(
      'data-tseed',
      onRelay.tseed.toString(),
    )
  } finally {
    wallet.close()
    await browser.close()
    await site.close()
    await world.stop()
  }
  assertAuditZero(relay.dbPath)
})
