import { describe, expect, it } from 'vitest'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { encodeInvoice, type EncodeInvoiceParams } from '../../../src/balance/bolt11'
import {
  checkCreateInvoiceParams,
  checkPayInvoiceOptions,
  decodePayableInvoice,
  LightningError,
  msatToSatCeil,
  msatToWholeSat,
  paymentMayHaveLeft,
  satToMsat,
} from './backend'

const KEY = secp256k1.utils.randomSecretKey()
const NOW = 1_700_000_000

function invoice(over: Partial<EncodeInvoiceParams> = {}): string {
  return encodeInvoice(
    {
      network: 'regtest',
      amountMsat: 5_000_000n,
      paymentHash: '11'.repeat(32),
      paymentSecret: '22'.repeat(32),
      description: 'withdrawal',
      expirySeconds: 600,
      timestamp: NOW,
      ...over,
    },
    KEY,
  )
}

function code(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof LightningError) return e.code
    throw e
  }
  throw new Error('expected a LightningError')
}

describe('unit conversion', () => {
  it('converts exactly or refuses', () => {
    expect(satToMsat(21n)).toBe(21_000n)
    expect(msatToWholeSat(21_000n, 'amount')).toBe(21n)
    expect(code(() => msatToWholeSat(21_001n, 'amount'))).toBe('INVOICE_INVALID')
    expect(() => msatToWholeSat(21_001n, 'invoice amount')).toThrow(
      /21001 msat is not a whole number of sats/,
    )
    expect(code(() => msatToWholeSat(-1000n, 'amount'))).toBe('OTHER')
  })

  it('rounds fees up so the ledger never under-charges', () => {
    expect(msatToSatCeil(0n)).toBe(0n)
    expect(msatToSatCeil(1n)).toBe(1n)
    expect(msatToSatCeil(1000n)).toBe(1n)
    expect(msatToSatCeil(1001n)).toBe(2n)
  })
})

describe('paymentMayHaveLeft', () => {
  it('is true only for TIMEOUT, OTHER and foreign errors', () => {
    expect(paymentMayHaveLeft(new LightningError('TIMEOUT', 'x'))).toBe(true)
    expect(paymentMayHaveLeft(new LightningError('OTHER', 'x'))).toBe(true)
    expect(paymentMayHaveLeft(new Error('boom'))).toBe(true)
    for (const c of [
      'PAYMENT_FAILED',
      'INSUFFICIENT_BALANCE',
      'UNAVAILABLE',
      'INVOICE_INVALID',
      'NOT_FOUND',
    ] as const) {
      expect(paymentMayHaveLeft(new LightningError(c, 'x'))).toBe(false)
    }
  })
})

describe('parameter checks', () => {
  it('refuses bad createInvoice parameters', () => {
    const ok = { amountSat: 1000n, memo: 'deposit', expirySeconds: 600 }
    expect(() => {
      checkCreateInvoiceParams(ok)
    }).not.toThrow()
    expect(() => {
      checkCreateInvoiceParams({ ...ok, amountSat: 0n })
    }).toThrow(RangeError)
    expect(() => {
      checkCreateInvoiceParams({ ...ok, amountSat: 1000 as unknown as bigint })
    }).toThrow(RangeError)
    expect(() => {
      checkCreateInvoiceParams({ ...ok, amountSat: 2_100_000_000_000_001n })
    }).toThrow(RangeError)
    expect(() => {
      checkCreateInvoiceParams({ ...ok, memo: 'x'.repeat(640) })
    }).toThrow(/memo/)
    expect(() => {
      checkCreateInvoiceParams({ ...ok, expirySeconds: 59 })
    }).toThrow(/expirySeconds/)
    expect(() => {
      checkCreateInvoiceParams({ ...ok, expirySeconds: 600.5 })
    }).toThrow(/expirySeconds/)
  })

  it('refuses a negative fee budget', () => {
    expect(() => {
      checkPayInvoiceOptions({ maxFeeSat: -1n })
    }).toThrow(RangeError)
    expect(() => {
      checkPayInvoiceOptions({ maxFeeSat: 0n })
    }).not.toThrow()
  })
})

describe('decodePayableInvoice', () => {
  it('returns the amount in sats', () => {
    const d = decodePayableInvoice(invoice(), NOW)
    expect(d.amountSat).toBe(5_000n)
    expect(d.paymentHash).toBe('11'.repeat(32))
  })

  it('refuses garbage, expired, amountless, fractional-sat and wrong-network invoices', () => {
    expect(code(() => decodePayableInvoice('lnbc1nonsense', NOW))).toBe('INVOICE_INVALID')
    expect(code(() => decodePayableInvoice(invoice(), NOW + 600))).toBe('INVOICE_INVALID')
    expect(code(() => decodePayableInvoice(invoice({ amountMsat: undefined }), NOW))).toBe(
      'INVOICE_INVALID',
    )
    expect(() => decodePayableInvoice(invoice({ amountMsat: 1_500n }), NOW)).toThrow(
      /not a whole number of sats/,
    )
    expect(() => decodePayableInvoice(invoice(), NOW, 'bitcoin')).toThrow(/regtest/)
    expect(decodePayableInvoice(invoice(), NOW, 'regtest').network).toBe('regtest')
  })
})
