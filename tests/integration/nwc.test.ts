import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { WebSocket } from 'ws'
import { decodeInvoice } from '../../src/balance/bolt11'
import { LightningError, paymentMayHaveLeft } from '../../relay/src/lightning/backend'
import { DevLightningBackend, TEST_MODE_PREFIX } from '../../relay/src/lightning/dev-backend'
import { NwcLightningBackend } from '../../relay/src/lightning/nwc-backend'
import type { WebSocketImplementation } from '../../src/nostr/nwc-client'
import { startRelay, type RunningRelay } from '../../relay/src/transport/start-relay'
import { NwcWalletService } from '../support/nwc-wallet-service'
import { rejectionOf } from '../support/rejection'
import { foreignInvoice, quiet } from '../support/tseed-relay'

const WS = WebSocket as unknown as WebSocketImplementation
const lightningCode = (p: Promise<unknown>) => rejectionOf(p, LightningError)

describe('NWC backend against the TSEED relay and a NIP-47 wallet service', () => {
  let relay: RunningRelay
  let wallet: NwcWalletService
  let backend: NwcLightningBackend
  const extra: { close(): Promise<void> }[] = []

  beforeAll(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0, logger: quiet })
    wallet = await NwcWalletService.start({
      relayUrl: relay.url,
      WebSocket: WS,
      balanceMsat: 100_000_000n, // 100,000 sat
      feeMsat: 1_500n,
    })
    backend = new NwcLightningBackend({
      uri: wallet.createConnection().uri,
      WebSocket: WS,
      requestTimeoutMs: 5_000,
      payTimeoutMs: 5_000,
      network: 'regtest',
      logger: quiet,
    })
  })

  afterEach(async () => {
    for (const c of extra.splice(0)) await c.close()
  })

  afterAll(async () => {
    await backend.close()
    await wallet.stop()
    await relay.close()
  })

  it('is a real-money backend', () => {
    expect(backend.name).toBe('nwc')
    expect(backend.testMode).toBe(false)
    expect(backend.walletPubkey).toBe(wallet.walletPubkey)
  })

  it('makes an invoice, sees it pending, then settled once the payer pays', async () => {
    const created = await backend.createInvoice({
      amountSat: 2_500n,
      memo: 'TSEED deposit',
      expirySeconds: 600,
    })
    const decoded = decodeInvoice(created.invoice)
    expect(decoded.amountMsat).toBe(2_500_000n)
    expect(decoded.description).toBe('TSEED deposit')
    expect(decoded.paymentHash).toBe(created.paymentHash)
    expect(created.expiresAt).toBe(decoded.expiresAt)

    expect(await backend.lookupInvoice(created.paymentHash)).toEqual({
      state: 'pending',
      amountSat: 2_500n,
    })

    const before = wallet.balanceMsat
    wallet.settleInvoice(created.paymentHash)
    expect(wallet.balanceMsat).toBe(before + 2_500_000n)

    const settled = await backend.lookupInvoice(created.paymentHash)
    expect(settled.state).toBe('settled')
    expect(settled.amountSat).toBe(2_500n)
    expect(settled.settledAt).toBeGreaterThan(0)
  })

  it('speaks NIP-44 by default: the TSEED relay does not store the info event', () => {
    expect(wallet.infoPublishResult).toMatch(/^blocked:/)
    expect(wallet.handled.length).toBeGreaterThan(0)
    expect(wallet.handled.every((h) => h.encryption === 'nip44_v2')).toBe(true)
  })

  it('pays an invoice the wallet can afford and returns the proof and the fee', async () => {
    const payee = foreignInvoice(10_000n)
    wallet.addPayee(payee.preimage)
    const before = wallet.balanceMsat
    const paid = await backend.payInvoice(payee.invoice, { maxFeeSat: 10n })
    expect(paid.preimage).toBe(payee.preimage)
    expect(paid.feeSat).toBe(2n) // 1,500 msat rounded up
    expect(wallet.balanceMsat).toBe(before - 10_000_000n - 1_500n)

    // A second attempt is refused and nothing moves.
    const again = await lightningCode(backend.payInvoice(payee.invoice, { maxFeeSat: 10n }))
    expect(again.code).toBe('PAYMENT_FAILED')
    expect(wallet.balanceMsat).toBe(before - 10_000_000n - 1_500n)

    // The outgoing payment can be looked up for reconciliation.
    expect((await backend.lookupInvoice(payee.paymentHash)).state).toBe('settled')
  })

  it('maps INSUFFICIENT_BALANCE when the wallet cannot afford it, leaving the balance alone', async () => {
    const payee = foreignInvoice(1_000_000n)
    wallet.addPayee(payee.preimage)
    const before = wallet.balanceMsat
    const err = await lightningCode(backend.payInvoice(payee.invoice, { maxFeeSat: 10n }))
    expect(err.code).toBe('INSUFFICIENT_BALANCE')
    expect(paymentMayHaveLeft(err)).toBe(false)
    expect(wallet.balanceMsat).toBe(before)
  })

  it('maps PAYMENT_FAILED when there is no route, and NOT_FOUND for unknown hashes', async () => {
    const nowhere = foreignInvoice(100n)
    expect((await lightningCode(backend.payInvoice(nowhere.invoice, { maxFeeSat: 1n }))).code).toBe(
      'PAYMENT_FAILED',
    )
    expect((await lightningCode(backend.lookupInvoice('00'.repeat(32)))).code).toBe('NOT_FOUND')
  })

  it('refuses a bad invoice locally, before the wallet sees it', async () => {
    const count = wallet.handled.length
    expect(
      (await lightningCode(backend.payInvoice('lnbcrt1nonsense', { maxFeeSat: 1n }))).code,
    ).toBe('INVOICE_INVALID')
    expect(wallet.handled.length).toBe(count)
  })

  it('refuses a client the wallet never authorized', async () => {
    const stranger = new NwcLightningBackend({
      uri: wallet
        .createConnection()
        .uri.replace(/secret=[0-9a-f]+/, `secret=${bytesToHex(secp256k1.utils.randomSecretKey())}`),
      WebSocket: WS,
      requestTimeoutMs: 5_000,
      logger: quiet,
    })
    extra.push(stranger)
    const err = await lightningCode(
      stranger.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 600 }),
    )
    expect(err.code).toBe('UNAVAILABLE')
    expect(err.message).toMatch(/UNAUTHORIZED/)
  })

  it('times out with TIMEOUT when the wallet service is gone', async () => {
    const gone = await NwcWalletService.start({ relayUrl: relay.url, WebSocket: WS })
    const client = new NwcLightningBackend({
      uri: gone.createConnection().uri,
      WebSocket: WS,
      requestTimeoutMs: 1_500,
      payTimeoutMs: 1_500,
      logger: quiet,
    })
    extra.push(client)
    await client.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 600 })
    await gone.stop()
    const started = Date.now()
    const err = await lightningCode(
      client.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 600 }),
    )
    expect(err.code).toBe('TIMEOUT')
    expect(err.message).toMatch(/no answer to make_invoice/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400)
    const payee = foreignInvoice(5n)
    const payErr = await lightningCode(client.payInvoice(payee.invoice, { maxFeeSat: 1n }))
    expect(payErr.code).toBe('TIMEOUT')
    expect(paymentMayHaveLeft(payErr)).toBe(true)
  })
})

describe('NWC backend across a relay restart', () => {
  it('fails fast while the relay is down and reconnects when it is back', async () => {
    let relay = await startRelay({ host: '127.0.0.1', port: 0, logger: quiet })
    const port = relay.port
    const wallet = await NwcWalletService.start({
      relayUrl: relay.url,
      WebSocket: WS,
      reconnectMs: 50,
    })
    const backend = new NwcLightningBackend({
      uri: wallet.createConnection().uri,
      WebSocket: WS,
      requestTimeoutMs: 3_000,
      logger: quiet,
    })
    try {
      await backend.createInvoice({ amountSat: 1n, memo: 'before', expirySeconds: 600 })

      await relay.close()
      const down = await lightningCode(
        backend.createInvoice({ amountSat: 1n, memo: 'down', expirySeconds: 600 }),
      )
      expect(down.code).toBe('UNAVAILABLE')

      relay = await startRelay({ host: '127.0.0.1', port, logger: quiet })
      await wallet.whenConnected()
      const created = await backend.createInvoice({
        amountSat: 3n,
        memo: 'after',
        expirySeconds: 600,
      })
      expect(decodeInvoice(created.invoice).description).toBe('after')
    } finally {
      await backend.close()
      await wallet.stop()
      await relay.close()
    }
  })
})

describe('dev backend', () => {
  it('settles its own invoices instantly and labels them as test mode', async () => {
    const dev = new DevLightningBackend()
    const created = await dev.createInvoice({ amountSat: 21n, memo: 'deposit', expirySeconds: 600 })
    expect(decodeInvoice(created.invoice).description).toBe(`${TEST_MODE_PREFIX}deposit`)
    const status = await dev.lookupInvoice(created.paymentHash)
    expect(status.state).toBe('settled')
    expect(status.amountSat).toBe(21n)
    expect(dev.testMode).toBe(true)
    await dev.close()
  })
})
