import { describe, expect, it } from 'vitest'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { WebSocket } from 'ws'
import { encodeInvoice, type EncodeInvoiceParams } from '../../../src/balance/bolt11'
import { formatWalletConnectUri } from '../../../src/nostr/nip47'
import { LightningError } from './backend'
import { NwcLightningBackend, toLightningError } from './nwc-backend'
import { rejectionOf } from '../../../tests/support/rejection'
import {
  NwcError,
  type Nip47Requester,
  type WebSocketImplementation,
} from '../../../src/nostr/nwc-client'

const NOW = 1_700_000_000
const NODE = secp256k1.utils.randomSecretKey()
const PREIMAGE = '07'.repeat(32)
const HASH = bytesToHex(sha256(hexToBytes(PREIMAGE)))
const URI = formatWalletConnectUri({
  walletPubkey: 'ab'.repeat(32),
  relays: ['ws://127.0.0.1:1'],
  secret: hexToBytes('01'.repeat(32)),
})

function invoice(over: Partial<EncodeInvoiceParams> = {}): string {
  return encodeInvoice(
    {
      network: 'regtest',
      amountMsat: 2_000_000n,
      paymentHash: HASH,
      paymentSecret: '02'.repeat(32),
      description: 'd',
      expirySeconds: 600,
      timestamp: NOW,
      ...over,
    },
    NODE,
  )
}

/** Answers each method from a table and records what was asked. */
class FakeWallet implements Nip47Requester {
  readonly calls: { method: string; params: Record<string, unknown>; timeoutMs?: number }[] = []
  closed = false
  constructor(private readonly answers: Record<string, Record<string, unknown> | Error>) {}
  request(method: string, params: Record<string, unknown>, opts?: { timeoutMs?: number }) {
    this.calls.push({
      method,
      params,
      ...(opts?.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    })
    const a = this.answers[method]
    if (a === undefined) return Promise.reject(new NwcError('wallet', 'no', 'NOT_IMPLEMENTED'))
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a)
  }
  close(): void {
    this.closed = true
  }
}

function backend(answers: ConstructorParameters<typeof FakeWallet>[0]) {
  const wallet = new FakeWallet(answers)
  const warnings: string[] = []
  const b = new NwcLightningBackend({
    uri: URI,
    WebSocket: WebSocket as unknown as WebSocketImplementation,
    requester: wallet,
    now: () => NOW,
    network: 'regtest',
    payTimeoutMs: 45_000,
    logger: { warn: (m: string) => warnings.push(m) },
  })
  return { b, wallet, warnings }
}

/** The code of the LightningError `p` rejected with. */
const code = async (p: Promise<unknown>) => (await rejectionOf(p, LightningError)).code

describe('NwcLightningBackend.createInvoice', () => {
  it('asks for msat and returns the invoice’s own hash and expiry', async () => {
    const { b, wallet } = backend({ make_invoice: { invoice: invoice(), payment_hash: HASH } })
    expect(
      await b.createInvoice({ amountSat: 2_000n, memo: 'deposit', expirySeconds: 600 }),
    ).toEqual({
      invoice: invoice(),
      paymentHash: HASH,
      expiresAt: NOW + 600,
    })
    expect(wallet.calls[0]).toEqual({
      method: 'make_invoice',
      params: { amount: 2_000_000, description: 'deposit', expiry: 600 },
      timeoutMs: 30_000,
    })
  })

  it('refuses a wallet invoice for another amount, hash or network', async () => {
    const ask = { amountSat: 2_000n, memo: '', expirySeconds: 600 }
    expect(
      await code(
        backend({ make_invoice: { invoice: invoice({ amountMsat: 2_000_001n }) } }).b.createInvoice(
          ask,
        ),
      ),
    ).toBe('OTHER')
    expect(
      await code(
        backend({ make_invoice: { invoice: invoice({ amountMsat: undefined }) } }).b.createInvoice(
          ask,
        ),
      ),
    ).toBe('OTHER')
    expect(
      await code(
        backend({
          make_invoice: { invoice: invoice(), payment_hash: '00'.repeat(32) },
        }).b.createInvoice(ask),
      ),
    ).toBe('OTHER')
    expect(
      await code(
        backend({ make_invoice: { invoice: invoice({ network: 'bitcoin' }) } }).b.createInvoice(
          ask,
        ),
      ),
    ).toBe('OTHER')
    expect(
      await code(backend({ make_invoice: { invoice: 'lnbcrt1junk' } }).b.createInvoice(ask)),
    ).toBe('OTHER')
    expect(await code(backend({ make_invoice: {} }).b.createInvoice(ask))).toBe('OTHER')
  })

  it('rejects bad parameters and amounts JSON cannot carry', async () => {
    const { b, wallet } = backend({})
    await expect(b.createInvoice({ amountSat: 0n, memo: '', expirySeconds: 600 })).rejects.toThrow(
      RangeError,
    )
    await expect(
      b.createInvoice({ amountSat: 10_000_000_000_000n, memo: '', expirySeconds: 600 }),
    ).rejects.toThrow(/too large/)
    expect(wallet.calls).toHaveLength(0)
  })
})

describe('NwcLightningBackend.lookupInvoice', () => {
  it.each([
    [
      { state: 'settled', amount: 2_000_000, settled_at: NOW + 5 },
      { state: 'settled', amountSat: 2_000n, settledAt: NOW + 5 },
    ],
    [
      { state: 'pending', amount: 2_000_000 },
      { state: 'pending', amountSat: 2_000n },
    ],
    [
      { state: 'accepted', amount: 2_000_000 },
      { state: 'pending', amountSat: 2_000n },
    ],
    [
      { state: 'expired', amount: 2_000_000 },
      { state: 'expired', amountSat: 2_000n },
    ],
    [
      { state: 'failed', amount: 2_000_000 },
      { state: 'failed', amountSat: 2_000n },
    ],
    // Wallets from before `state`:
    [
      { amount: 2_000_000, settled_at: NOW },
      { state: 'settled', amountSat: 2_000n, settledAt: NOW },
    ],
    [
      { amount: 2_000_000, expires_at: NOW },
      { state: 'expired', amountSat: 2_000n },
    ],
    [
      { amount: 2_000_000, expires_at: NOW + 1, preimage: PREIMAGE },
      { state: 'pending', amountSat: 2_000n },
    ],
    // A received fraction of a sat is floored, never rounded up.
    [
      { state: 'settled', amount: '2000999' },
      { state: 'settled', amountSat: 2_000n },
    ],
  ])('maps %j', async (answer, expected) => {
    const { b } = backend({ lookup_invoice: { payment_hash: HASH, ...answer } })
    expect(await b.lookupInvoice(HASH)).toEqual(expected)
  })

  it('refuses unknown states, bad amounts, another hash and a malformed hash', async () => {
    expect(
      await code(
        backend({ lookup_invoice: { state: 'weird', amount: 1000 } }).b.lookupInvoice(HASH),
      ),
    ).toBe('OTHER')
    expect(
      await code(
        backend({ lookup_invoice: { state: 'pending', amount: -1 } }).b.lookupInvoice(HASH),
      ),
    ).toBe('OTHER')
    expect(
      await code(
        backend({ lookup_invoice: { state: 'pending', amount: 1.5 } }).b.lookupInvoice(HASH),
      ),
    ).toBe('OTHER')
    expect(
      await code(
        backend({
          lookup_invoice: { state: 'settled', amount: 1000, payment_hash: '00'.repeat(32) },
        }).b.lookupInvoice(HASH),
      ),
    ).toBe('OTHER')
    await expect(backend({}).b.lookupInvoice('xyz')).rejects.toThrow(RangeError)
  })
})

describe('NwcLightningBackend.payInvoice', () => {
  it('returns a verified preimage and the fee rounded up, with the pay timeout', async () => {
    const { b, wallet, warnings } = backend({
      pay_invoice: { preimage: PREIMAGE, fees_paid: 2_001 },
    })
    expect(await b.payInvoice(invoice(), { maxFeeSat: 3n })).toEqual({
      preimage: PREIMAGE,
      feeSat: 3n,
    })
    expect(wallet.calls[0]).toEqual({
      method: 'pay_invoice',
      params: { invoice: invoice() },
      timeoutMs: 45_000,
    })
    expect(warnings).toEqual([])
  })

  it('still reports a payment whose fee exceeded the reserve or whose preimage is wrong', async () => {
    const { b, warnings } = backend({
      pay_invoice: { preimage: '00'.repeat(32), fees_paid: 10_000 },
    })
    expect(await b.payInvoice(invoice(), { maxFeeSat: 1n })).toEqual({ feeSat: 10n })
    expect(warnings).toHaveLength(2)
    expect(warnings.join('\n')).toMatch(/above the 1 sat reserved/)
    expect(warnings.join('\n')).toMatch(/no matching preimage/)
  })

  it('refuses invalid invoices before asking the wallet', async () => {
    const { b, wallet } = backend({ pay_invoice: { preimage: PREIMAGE } })
    expect(await code(b.payInvoice(invoice({ timestamp: NOW - 601 }), { maxFeeSat: 1n }))).toBe(
      'INVOICE_INVALID',
    )
    expect(await code(b.payInvoice(invoice({ amountMsat: 1_500n }), { maxFeeSat: 1n }))).toBe(
      'INVOICE_INVALID',
    )
    expect(await code(b.payInvoice(invoice({ network: 'bitcoin' }), { maxFeeSat: 1n }))).toBe(
      'INVOICE_INVALID',
    )
    expect(wallet.calls).toHaveLength(0)
  })

  it('closes its transport', async () => {
    const { b, wallet } = backend({})
    await b.close()
    expect(wallet.closed).toBe(true)
  })
})

describe('toLightningError', () => {
  it.each([
    ['INSUFFICIENT_BALANCE', 'INSUFFICIENT_BALANCE'],
    ['QUOTA_EXCEEDED', 'INSUFFICIENT_BALANCE'],
    ['PAYMENT_FAILED', 'PAYMENT_FAILED'],
    ['NOT_FOUND', 'NOT_FOUND'],
    ['RATE_LIMITED', 'UNAVAILABLE'],
    ['UNAUTHORIZED', 'UNAVAILABLE'],
    ['RESTRICTED', 'UNAVAILABLE'],
    ['NOT_IMPLEMENTED', 'UNAVAILABLE'],
    ['UNSUPPORTED_ENCRYPTION', 'UNAVAILABLE'],
    ['INTERNAL', 'OTHER'],
    ['OTHER', 'OTHER'],
    ['SOMETHING_NEW', 'OTHER'],
  ])('wallet %s → %s', (walletCode, expected) => {
    expect(toLightningError(new NwcError('wallet', 'x', walletCode)).code).toBe(expected)
  })

  it('maps transport failures', () => {
    expect(toLightningError(new NwcError('timeout', 'x')).code).toBe('TIMEOUT')
    expect(toLightningError(new NwcError('unavailable', 'x')).code).toBe('UNAVAILABLE')
    expect(toLightningError(new NwcError('protocol', 'x')).code).toBe('OTHER')
    expect(toLightningError(new Error('boom')).code).toBe('OTHER')
  })
})

describe('construction', () => {
  it('refuses a bad URI without echoing it', () => {
    const bad = URI.replace(/secret=[0-9a-f]+/, 'secret=zz')
    expect(
      () =>
        new NwcLightningBackend({
          uri: bad,
          WebSocket: WebSocket as unknown as WebSocketImplementation,
        }),
    ).toThrow(/secret must be 64 hex/)
  })
})
