import { describe, expect, it } from 'vitest'
import { testBackends } from '../../../tests/support/backends'
import { Ledger } from '../ledger/ledger'
import { figureDifferences, formatFigures, ledgerFigures } from './ledger-figures'

const PK = 'ab'.repeat(32)

describe.each(testBackends())('ledger figures on $name', ({ open }) => {
  function seeded(extraSats = 0n, swapSats = 2_000n) {
    const db = open()
    const ledger = new Ledger(db)
    ledger.bootstrapPool({ tseed: 1_000_000n, sat: 500_000n })
    ledger.deposit(PK, 10_000n + extraSats, 'f'.repeat(64))
    ledger.swap(PK, 'sat_to_tseed', swapSats, 0n, 'seed')
    return ledgerFigures(db, ledger)
  }

  it('agree for two ledgers with the same history', () => {
    const a = seeded()
    expect(a).toMatchObject({
      auditOk: true,
      sums: { TSEED: 0n, sat: 0n },
      postings: 3,
      lines: expect.any(Number) as unknown,
    })
    expect(a.balances.get(`did:nostr:${PK} sat`)).toBe(8_000n)
    expect(a.turnover.sat).toBeGreaterThanOrEqual(10_000n + 500_000n)
    expect(figureDifferences(a, seeded())).toEqual([])
    expect(formatFigures(a)).toMatch(
      /^audit OK, sum TSEED 0, sum sat 0; 3 postings, \d+ lines, turnover .* TSEED \/ .* sats; \d+ balances; pool /,
    )
  })

  it('name every balance, total and pool that differs', () => {
    const diffs = figureDifferences(seeded(), seeded(1n))
    expect(diffs).toContain(`balance did:nostr:${PK} sat 8000 vs 8001`)
    expect(diffs.some((d) => d.startsWith('turnover sat '))).toBe(true)
    expect(diffs.some((d) => d.startsWith('pool '))).toBe(false)
    const swapped = figureDifferences(seeded(), seeded(0n, 2_001n))
    expect(swapped.some((d) => d.startsWith('pool '))).toBe(true)
  })
})
