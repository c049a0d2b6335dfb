import { describe, expect, it } from 'vitest'
import { ledgerRefusal } from './failures'

describe('ledgerRefusal', () => {
  it('keeps the exact figures of a balance refusal and says where to top up', () => {
    expect(
      ledgerRefusal(
        'blocked: insufficient balance: need 12 TSEED, have 3',
        'https://r/api/v1/deposit',
      ),
    ).toEqual({
      kind: 'balance',
      reason:
        'insufficient balance: need 12 TSEED, have 3; top up in the TSEED extension (Wallet, Top up) ' +
        'or at https://r/api/v1/deposit, then this client finds peers on its next announce',
    })
  })

  it('keeps a spending limit’s own text', () => {
    const m =
      'blocked: spending limit: this announce would charge 9 TSEED; 5 of your 10 TSEED per hour are already charged'
    expect(ledgerRefusal(m, 'x')).toEqual({
      kind: 'limit',
      reason: `${m.slice('blocked: '.length)}; raise the limit in the TSEED extension or wait`,
    })
  })

  it('passes any other refusal on without its prefix', () => {
    expect(ledgerRefusal('invalid: created_at is more than 600 s in the past', 'x')).toEqual({
      kind: 'refused',
      reason: 'announce refused: created_at is more than 600 s in the past',
    })
  })
})
