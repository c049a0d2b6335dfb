import { describe, expect, it } from 'vitest'
import { DuplicateReference, InsufficientFunds, LedgerError } from './errors'

describe('ledger errors', () => {
  it('carries need and have on InsufficientFunds, in the wording of the refusal', () => {
    const e = new InsufficientFunds('did:nostr:ab', 'TSEED', 5n, 2n)
    expect(e).toBeInstanceOf(LedgerError)
    expect(e.code).toBe('insufficient_funds')
    expect(e.message).toBe('insufficient balance: need 5 TSEED, have 2')
    expect([e.need, e.have, e.currency, e.account]).toEqual([5n, 2n, 'TSEED', 'did:nostr:ab'])
    expect(e.name).toBe('InsufficientFunds')
  })

  it('names the reference of a duplicate posting', () => {
    const e = new DuplicateReference('deposit:x')
    expect(e.code).toBe('duplicate_reference')
    expect(e.ref).toBe('deposit:x')
    expect(e.message).toBe('reference "deposit:x" already used by another posting')
  })
})
