import { describe, expect, it } from 'vitest'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { decodeInvoice, encodeInvoice } from '../../../src/balance/bolt11'
import { LightningError } from './backend'
import { DevLightningBackend, TEST_MODE_PREFIX } from './dev-backend'
import { rejectionOf } from '../../../tests/support/rejection'

const NOW = 1_700_000_000

/** The code of the LightningError `p` rejected with. */
const code = async (p: Promise<unknown>) => (await rejectionOf(p, LightningError)).code

describe('DevLightningBackend', () => {
  it('says it is a test backend', () => {
    const dev = new DevLightningBackend()
    expect(dev.name).toBe('dev')
    expect(dev.testMode).toBe(true)
  })

  it('issues a real signed regtest invoice labelled TEST MODE, settled at once', async () => {
    let now = NOW
    const dev = new DevLightningBackend({ now: () => now })
    const created = await dev.createInvoice({
      amountSat: 1234n,
      memo: 'deposit for npub1x',
      expirySeconds: 900,
    })
    const inv = decodeInvoice(created.invoice)
    expect(inv.network).toBe('regtest')
    expect(inv.amountMsat).toBe(1_234_000n)
    expect(inv.description).toBe(`${TEST_MODE_PREFIX}deposit for npub1x`)
    expect(inv.paymentHash).toBe(created.paymentHash)
    expect(inv.payeeNodeKey).toBe(dev.nodePubkey)
    expect(created.expiresAt).toBe(NOW + 900)
    now += 5
    expect(await dev.lookupInvoice(created.paymentHash)).toEqual({
      state: 'settled',
      amountSat: 1234n,
      settledAt: NOW,
    })
  })

  it('keeps the preimage: paying its own invoice proves the payment hash', async () => {
    const dev = new DevLightningBackend({ now: () => NOW })
    const created = await dev.createInvoice({ amountSat: 10n, memo: '', expirySeconds: 600 })
    const paid = await dev.payInvoice(created.invoice, { maxFeeSat: 0n })
    expect(paid.feeSat).toBe(0n)
    expect(bytesToHex(sha256(hexToBytes(paid.preimage!)))).toBe(created.paymentHash)
  })

  it('pays a foreign invoice without inventing a preimage, and only once', async () => {
    const dev = new DevLightningBackend({ now: () => NOW })
    const foreign = encodeInvoice(
      {
        network: 'bitcoin',
        amountMsat: 50_000n,
        paymentHash: 'aa'.repeat(32),
        paymentSecret: 'bb'.repeat(32),
        description: 'withdrawal',
        expirySeconds: 600,
        timestamp: NOW,
      },
      secp256k1.utils.randomSecretKey(),
    )
    const paid = await dev.payInvoice(foreign, { maxFeeSat: 5n })
    expect(paid).toEqual({ feeSat: 0n })
    expect(await dev.lookupInvoice('aa'.repeat(32))).toEqual({
      state: 'settled',
      amountSat: 50n,
      settledAt: NOW,
    })
    expect(await code(dev.payInvoice(foreign, { maxFeeSat: 5n }))).toBe('PAYMENT_FAILED')
  })

  it('refuses undecodable and expired invoices and unknown hashes', async () => {
    let now = NOW
    const dev = new DevLightningBackend({ now: () => now })
    expect(await code(dev.payInvoice('lnbcrt1garbage', { maxFeeSat: 0n }))).toBe('INVOICE_INVALID')
    const created = await dev.createInvoice({ amountSat: 10n, memo: 'x', expirySeconds: 60 })
    now += 60
    expect(await code(dev.payInvoice(created.invoice, { maxFeeSat: 0n }))).toBe('INVOICE_INVALID')
    expect(await code(dev.lookupInvoice('00'.repeat(32)))).toBe('NOT_FOUND')
  })

  it('rejects (does not throw) on bad parameters', async () => {
    const dev = new DevLightningBackend()
    const p = dev.createInvoice({ amountSat: -5n, memo: 'x', expirySeconds: 600 })
    await expect(p).rejects.toThrow(RangeError)
    await expect(dev.payInvoice('x', { maxFeeSat: -1n })).rejects.toThrow(RangeError)
  })

  it('keeps the label within the BOLT 11 description limit', async () => {
    const dev = new DevLightningBackend()
    const created = await dev.createInvoice({
      amountSat: 1n,
      memo: 'é'.repeat(319),
      expirySeconds: 600,
    })
    const description = decodeInvoice(created.invoice).description!
    expect(description.startsWith(TEST_MODE_PREFIX)).toBe(true)
    expect(new TextEncoder().encode(description).length).toBeLessThanOrEqual(639)
  })

  it('uses fresh preimages and a fresh node key per instance', async () => {
    const a = new DevLightningBackend()
    const b = new DevLightningBackend()
    expect(a.nodePubkey).not.toBe(b.nodePubkey)
    const x = await a.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 600 })
    const y = await a.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 600 })
    expect(x.paymentHash).not.toBe(y.paymentHash)
  })

  it('is unavailable after close', async () => {
    const dev = new DevLightningBackend()
    await dev.close()
    expect(await code(dev.createInvoice({ amountSat: 1n, memo: '', expirySeconds: 600 }))).toBe(
      'UNAVAILABLE',
    )
  })
})
