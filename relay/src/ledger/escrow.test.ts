import Database from 'better-sqlite3'
import fc from 'fast-check'
import { beforeEach, describe, expect, it } from 'vitest'
import { EXTERNAL, FEE_ACCOUNT, swarmAccount, userAccount } from './accounts'
import { InsufficientFunds } from './errors'
import { DEFAULT_ESCROW, distribute, Escrow, type EscrowConfig } from './escrow'
import { Journal } from './journal'

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)
const C = 'c'.repeat(64)
const U = 'd'.repeat(64)
const IH = '1'.repeat(40)
const IH2 = '2'.repeat(40)
const EV = (n: number) => n.toString(16).padStart(64, '0')
const DAY = 86_400

function setup(config: Partial<EscrowConfig> = {}) {
  const journal = new Journal(new Database(':memory:'))
  const escrow = new Escrow(journal, { ...DEFAULT_ESCROW, ...config })
  let n = 0
  const give = (pk: string, tseed: bigint) =>
    journal.post({
      kind: 'import',
      ref: `give:${n++}`,
      at: 0,
      lines: [
        { account: EXTERNAL.import, currency: 'TSEED', amount: -tseed },
        { account: userAccount(pk), currency: 'TSEED', amount: tseed },
      ],
    })
  const bal = (pk: string) => journal.balance(userAccount(pk), 'TSEED')
  const held = (ih = IH) => journal.balance(swarmAccount(ih), 'TSEED')
  return { journal, escrow, give, bal, held }
}

describe('Escrow.fund', () => {
  it('moves TSEED from the payer into the swarm account', () => {
    const { escrow, give, bal, held, journal } = setup()
    give(A, 100n)
    const id = escrow.fund(IH, A, 30n, 'announce:x', 10)
    expect(journal.findByRef('announce:x')).toMatchObject({ id, kind: 'download', memo: IH })
    expect([bal(A), held()]).toEqual([70n, 30n])
    expect(escrow.audit()).toEqual([])
  })

  it('refuses an overdraft and records no lot', () => {
    const { escrow, give, held } = setup()
    give(A, 5n)
    expect(() => escrow.fund(IH, A, 6n, 'announce:x', 10)).toThrow(InsufficientFunds)
    expect(held()).toBe(0n)
    expect(escrow.audit()).toEqual([])
    expect(() => escrow.fund(IH, A, 0n, 'announce:y', 10)).toThrow('must be a positive bigint')
  })
})

describe('Escrow.settle', () => {
  it('pays claims in full when escrow covers them and keeps the rest', () => {
    const { escrow, give, bal, held } = setup()
    give(A, 100n)
    escrow.fund(IH, A, 50n, 'r1', 10)
    escrow.claim(IH, B, EV(1), 20n, 10)
    escrow.claim(IH, C, EV(2), 10n, 10)
    const r = escrow.settle(20)
    expect(r.payouts).toEqual([
      { infoHash: IH, pubkey: B, amount: 20n, fee: 0n },
      { infoHash: IH, pubkey: C, amount: 10n, fee: 0n },
    ])
    expect([bal(B), bal(C), held()]).toEqual([20n, 10n, 20n])
    expect(escrow.outstanding(IH, 20)).toEqual({ escrow: 20n, claims: 0n })
    expect(escrow.settle(30).payouts).toEqual([])
    expect(escrow.audit()).toEqual([])
  })

  it('splits a short escrow pro rata, largest remainder first, never above a claim', () => {
    const { escrow, give, bal, held } = setup()
    give(A, 10n)
    escrow.fund(IH, A, 10n, 'r1', 10)
    escrow.claim(IH, B, EV(1), 3n, 10)
    escrow.claim(IH, C, EV(2), 7n, 10)
    escrow.claim(IH, U, EV(3), 5n, 10)
    escrow.settle(20)
    // 10·3/15 = 2, 10·7/15 = 4 r10, 10·5/15 = 3 r5: the spare token goes to C.
    expect([bal(B), bal(C), bal(U), held()]).toEqual([2n, 5n, 3n, 0n])
    expect(escrow.outstanding(IH, 20).claims).toBe(5n)
  })

  it('pays a claim later from escrow that arrives within the claim window', () => {
    const { escrow, give, bal } = setup({ claimWindowSeconds: 100 })
    give(A, 100n)
    escrow.claim(IH, B, EV(1), 8n, 10)
    expect(escrow.settle(20).payouts).toEqual([])
    escrow.fund(IH, A, 5n, 'r1', 50)
    escrow.settle(60)
    expect(bal(B)).toBe(5n)
    escrow.fund(IH, A, 5n, 'r2', 109)
    const r = escrow.settle(111)
    expect(r.payouts).toEqual([])
    expect(r.lapsedClaims).toBe(1)
    expect(bal(B)).toBe(5n)
  })

  it('keeps swarms apart', () => {
    const { escrow, give, bal, held } = setup()
    give(A, 100n)
    escrow.fund(IH, A, 10n, 'r1', 10)
    escrow.claim(IH2, B, EV(1), 10n, 10)
    escrow.settle(20)
    expect([bal(B), held(IH), held(IH2)]).toEqual([0n, 10n, 0n])
  })

  it('refunds unclaimed payments to their payers after the refund window', () => {
    const { escrow, give, bal, held } = setup()
    give(A, 100n)
    give(C, 100n)
    escrow.fund(IH, A, 10n, 'r1', 0)
    escrow.fund(IH, C, 10n, 'r2', 100)
    escrow.claim(IH, B, EV(1), 15n, 200)
    escrow.settle(200)
    // Payouts consume the oldest payments first: all of A's, half of C's.
    expect(bal(B)).toBe(15n)
    expect(escrow.settle(DAY + 99).refunds).toEqual([])
    const r = escrow.settle(DAY + 100)
    expect(r.refunds).toEqual([{ infoHash: IH, pubkey: C, amount: 5n }])
    expect([bal(A), bal(C), held()]).toEqual([90n, 95n, 0n])
    expect(escrow.audit()).toEqual([])
  })

  it('aggregates refunds per payer and swarm', () => {
    const { escrow, give, bal } = setup({ refundAfterSeconds: 10 })
    give(A, 100n)
    escrow.fund(IH, A, 3n, 'r1', 0)
    escrow.fund(IH, A, 4n, 'r2', 1)
    escrow.fund(IH2, A, 5n, 'r3', 1)
    const r = escrow.settle(11)
    expect(r.refunds).toEqual([
      { infoHash: IH, pubkey: A, amount: 7n },
      { infoHash: IH2, pubkey: A, amount: 5n },
    ])
    expect(bal(A)).toBe(100n)
  })

  it('takes the operator fee out of payouts', () => {
    const { escrow, give, bal, journal } = setup({ payoutFeeBps: 250n })
    give(A, 1000n)
    escrow.fund(IH, A, 1000n, 'r1', 0)
    escrow.claim(IH, B, EV(1), 1000n, 0)
    expect(escrow.settle(1).payouts).toEqual([{ infoHash: IH, pubkey: B, amount: 1000n, fee: 25n }])
    expect(bal(B)).toBe(975n)
    expect(journal.balance(FEE_ACCOUNT, 'TSEED')).toBe(25n)
  })

  it('detects an escrow that disagrees with its lots', () => {
    const { escrow, give, journal } = setup()
    give(A, 10n)
    escrow.fund(IH, A, 10n, 'r1', 0)
    journal.db.prepare('UPDATE ledger_escrow_lots SET remaining = 9').run()
    expect(escrow.audit()).toEqual([{ infoHash: IH, balance: 10n, lots: 9n }])
    journal.db.prepare('DELETE FROM ledger_escrow_lots').run()
    journal.db.prepare('INSERT INTO ledger_escrow_lots VALUES (9, ?, ?, 1, 4, 4, 0)').run(IH2, A)
    expect(escrow.audit()).toEqual([
      { infoHash: IH, balance: 10n, lots: 0n },
      { infoHash: IH2, balance: 0n, lots: 4n },
    ])
  })

  it('validates claims and config', () => {
    const { escrow } = setup()
    expect(() => {
      escrow.claim(IH, B, EV(1), 0n, 0)
    }).toThrow('claim must be a positive bigint')
    expect(() => {
      escrow.claim('zz', B, EV(1), 1n, 0)
    }).toThrow('info hash')
    expect(() => escrow.settle(-1)).toThrow('now must be unix seconds')
    const j = new Journal(new Database(':memory:'))
    expect(() => new Escrow(j, { ...DEFAULT_ESCROW, payoutFeeBps: 10_001n })).toThrow(
      'payoutFeeBps',
    )
    expect(() => new Escrow(j, { ...DEFAULT_ESCROW, claimWindowSeconds: 0 })).toThrow(
      'claimWindowSeconds',
    )
  })
})

describe('distribute', () => {
  let claims: fc.Arbitrary<{ pubkey: string; remaining: bigint }[]>
  beforeEach(() => {
    claims = fc.array(
      fc.record({
        pubkey: fc.constantFrom('p', 'q', 'r', 's'),
        remaining: fc.bigInt({ min: 1n, max: 10n ** 12n }),
      }),
      { maxLength: 12 },
    )
  })

  it('pays out min(escrow, claims), never more than a claimant asked', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }), claims, (escrow, cs) => {
        const shares = distribute(escrow, cs)
        const asked = new Map<string, bigint>()
        for (const c of cs) asked.set(c.pubkey, (asked.get(c.pubkey) ?? 0n) + c.remaining)
        const total = [...asked.values()].reduce((a, b) => a + b, 0n)
        const paid = shares.reduce((a, s) => a + s.amount, 0n)
        expect(paid).toBe(escrow < total ? escrow : total)
        for (const s of shares) {
          expect(s.amount).toBeGreaterThan(0n)
          expect(s.amount).toBeLessThanOrEqual(asked.get(s.pubkey)!)
        }
        expect(new Set(shares.map((s) => s.pubkey)).size).toBe(shares.length)
      }),
      { numRuns: 1000 },
    )
  })
})
