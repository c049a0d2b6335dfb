import { describe, expect, it } from 'vitest'
import { AmmError } from '../../../src/balance/amm'
import { Nip98Error } from '../../../src/nostr/nip98'
import { DuplicateReference, InsufficientFunds, LedgerError } from '../ledger/errors'
import { LightningError } from '../lightning/backend'
import { toApiError } from './errors'

describe('toApiError', () => {
  it.each([
    [new Nip98Error('url', 'u'), 401, 'unauthorized'],
    [new Nip98Error('replay-capacity', 'full'), 429, 'rate_limited'],
    [new InsufficientFunds('did:nostr:x', 'sat', 5n, 3n), 402, 'insufficient_funds'],
    [new DuplicateReference('r'), 409, 'duplicate_reference'],
    [new LedgerError('pool_not_bootstrapped', 'x'), 503, 'pool_not_bootstrapped'],
    [new LedgerError('invalid_input', 'x'), 400, 'invalid_input'],
    [new AmmError('SLIPPAGE', 'x'), 409, 'slippage'],
    [new AmmError('ZERO_OUTPUT', 'x'), 422, 'zero_output'],
    [new AmmError('INSUFFICIENT_LIQUIDITY', 'x'), 422, 'insufficient_liquidity'],
    [new LightningError('INVOICE_INVALID', 'x'), 422, 'invalid_invoice'],
    [new LightningError('UNAVAILABLE', 'x'), 503, 'lightning_unavailable'],
    [new LightningError('TIMEOUT', 'x'), 502, 'lightning_error'],
  ])('maps %s', (err, status, code) => {
    expect(toApiError(err)).toMatchObject({ status, code })
  })

  it('carries need and have as strings, and leaves unknown errors to the 500 path', () => {
    expect(toApiError(new InsufficientFunds('did:nostr:x', 'TSEED', 50n, 7n))?.extra).toEqual({
      currency: 'TSEED',
      need: '50',
      have: '7',
    })
    expect(toApiError(new Error('boom'))).toBeUndefined()
  })
})
