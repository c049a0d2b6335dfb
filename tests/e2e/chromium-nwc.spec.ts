import { expect, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { nip19 } from 'nostr-tools'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { startTrackerSite } from '../../scripts/demo-site'
import { parseWalletConnectUri } from '../../src/nostr/nip47'
import { bytesToHex } from '@noble/hashes/utils.js'
import { launchChromiumWithExtension, openPopup } from './support/chromium'
import { expectAccessible } from './support/axe'
import { startNwcWorld, relayBalance } from './support/nwc-relay'
import { playwrightDriver } from './support/playwright-driver'
import { announceUnfundedDownload } from './support/unfunded-download'
import { byId, importKey, showView, TEST_PASSWORD, useOnlyRelay } from './support/popup-actions'
import { assertAuditZero } from './support/relay-audit'
import { tagValue, waitForAnnounces } from './support/relay-client'

type ChromeStorage = {
  storage: {
    local: { get(keys: null): Promise<Record<string, unknown>> }
    session: { get(keys: null): Promise<Record<string, unknown>> }
  }
}

const USER_WALLET_MSAT = 100_000_000n // 100,000 sat

test('a refusal for funds is topped up from the user’s own wallet over NWC against a relay on the nwc backend; the waiting announce goes out and the balances agree', async () => {
  const world = await startNwcWorld(USER_WALLET_MSAT)
  const { relay, operatorWallet, userWallet } = world
  const site = await startTrackerSite()
  const browser = await launchChromiumWithExtension()
  const sk = generateSecretKey()
  const shot = (name: string) => ({ path: `test-results/${name}-nwc-chromium.png` })
  mkdirSync('test-results', { recursive: true })
  try {
    const popup = await openPopup(browser)
    const d = playwrightDriver(popup)
    await importKey(d, nip19.nsecEncode(sk), nip19.npubEncode(getPublicKey(sk)))
    await useOnlyRelay(d, relay.url)
    await showView(d, 'wallet')
    await expect(popup.locator(byId('balance-tseed'))).toHaveText('0 TSEED')
    // A relay paying out over a real wallet backend is not labelled as a test.
    await expect(popup.locator(byId('test-mode'))).toHaveCount(0)

    // A 5 MB download on an empty balance: the relay refuses it for lack of funds.
    const { hash } = await announceUnfundedDownload(browser.context, popup, site.origin)
    await popup.screenshot(shot('funds-missing'))

    // Pre-filled so that even at the worst price the default 1% bound allows, 5 TSEED arrive.
    await popup.locator(byId('top-up-missing')).click()
    const quote = popup.locator(byId('top-up-quote'))
    await expect(quote).toBeVisible()
    await expect(popup.locator(byId('slippage-percent'))).toHaveText('1%')
    expect(BigInt((await quote.getAttribute('data-min-out'))!)).toBeGreaterThanOrEqual(5n)
    const amountSat = BigInt(await popup.locator(byId('top-up-amount')).inputValue())
    expect(amountSat).toBeGreaterThan(0n)
    await popup.screenshot(shot('top-up-quote'))

    // The bound is the user's: at 2% the least accepted output follows, from the same quote.
    await popup.locator(`${byId('slippage')} summary`).click()
    await popup.locator(byId('slippage-input')).fill('2')
    await popup.locator(byId('slippage-save')).click()
    await expect(popup.locator(byId('slippage'))).toHaveAttribute('data-bps', '200')
    await expect(popup.locator(byId('slippage-percent'))).toHaveText('2%')
    const tseedOut = BigInt((await quote.getAttribute('data-tseed'))!)
    const minOut = (tseedOut * 98n) / 100n
    await expect(quote).toHaveAttribute('data-min-out', minOut.toString())
    await popup.screenshot(shot('slippage'))

    // The relay's invoice comes from the operator's wallet; nothing is paid yet.
    await popup.locator(byId('create-invoice')).click()
    const invoiceScreen = popup.locator(byId('top-up-invoice'))
    await expect(invoiceScreen).toHaveAttribute('data-state', 'invoice')
    await expect(invoiceScreen).toContainText(`Pay ${amountSat} sats for at least ${minOut} TSEED`)
    expect(await popup.locator(byId('invoice')).inputValue()).toMatch(/^lnbcrt/)
    await expect(popup.locator(byId('pay-nwc'))).toHaveCount(0)

    // Connecting the wallet takes its URI and, with a key stored here, the key's password.
    const connect = popup.locator(byId('nwc-connect'))
    await expect(connect).toHaveAttribute('data-password', 'key')
    await connect.locator('summary').click()
    const { uri } = userWallet.createConnection()
    await popup.locator(byId('nwc-uri')).fill(uri)
    await popup.locator(byId('nwc-password')).fill(TEST_PASSWORD)
    await popup.screenshot(shot('nwc-connect'))
    await expectAccessible(popup, 'NWC connect')
    await popup.locator(byId('nwc-save')).click()
    const pay = popup.locator(byId('pay-nwc'))
    await expect(pay).toBeVisible()
    await popup.screenshot(shot('invoice'))
    await expectAccessible(popup, 'invoice with the NWC wallet connected')

    // At rest the connection string is sealed; only the session holds it open.
    const areas = await browser.worker.evaluate(async () => {
      const { storage } = (globalThis as unknown as { chrome: ChromeStorage }).chrome
      return { local: await storage.local.get(null), session: await storage.session.get(null) }
    })
    const secret = bytesToHex(parseWalletConnectUri(uri).secret)
    expect(JSON.stringify(areas.local)).not.toContain(secret)
    expect(areas.local.nwcSealed).toMatchObject({ password: 'key' })
    expect(areas.session.nwcUri).toBe(uri)

    const operatorBefore = operatorWallet.balanceMsat
    await pay.click()
    const done = popup.locator(byId('top-up-done'))
    await expect(done).toHaveAttribute('data-state', 'credited', { timeout: 60_000 })
    await popup.screenshot(shot('top-up-done'))
    // The sats left the user's wallet and reached the operator's, to the msat.
    expect(userWallet.balanceMsat).toBe(USER_WALLET_MSAT - amountSat * 1000n)
    expect(operatorWallet.balanceMsat).toBe(operatorBefore + amountSat * 1000n)
    expect(userWallet.handled.filter((h) => h.method === 'pay_invoice')).toHaveLength(1)
    const credited = BigInt(/Done: ([0-9]+) TSEED credited/.exec(await done.innerText())![1]!)
    expect(credited).toBeGreaterThanOrEqual(minOut)

    // The waiting announce goes out by itself, signed again, and is charged.
    const events = await waitForAnnounces(relay.url, hash.hex, (es) => es.length === 1)
    expect(tagValue(events[0]!, 'downloaded')).toBe('5000000')
    await popup.locator(byId('top-up-finish')).click()
    await expect(popup.locator(byId('funds-missing'))).toHaveCount(0)
    const onRelay = await relayBalance(relay.url, sk)
    expect(onRelay).toEqual({ tseed: credited - 5n, sat: 0n })
    await popup.locator(byId('refresh-balance')).click()
    await expect(popup.locator(byId('balance-tseed'))).toHaveAttribute(
      'data-tseed',
      onRelay.tseed.toString(),
    )
    await popup.screenshot(shot('balance'))
  } finally {
    await browser.close()
    await site.close()
    await world.stop()
  }
  assertAuditZero(relay.dbPath)
})
