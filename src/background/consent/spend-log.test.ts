import { describe, expect, it } from 'vitest'
import { createMemoryStorageArea } from '../storage-item'
import { createSpendLog, SPEND_WINDOW_MS } from './spend-log'

const A = 'https://a.test'
const B = 'https://b.test'
const DAY = 24 * 3600 * 1000
const T = 10 * DAY

function setup() {
  const area = createMemoryStorageArea()
  return { area, log: createSpendLog(area) }
}

describe('createSpendLog', () => {
  it('counts nothing for a site that spent nothing', async () => {
    const { log } = setup()
    expect(await log.spentInWindow(A, T)).toBe(0n)
    expect(await log.totals(T)).toEqual(new Map())
  })

  it('sums what each site spent in the last 24 hours', async () => {
    const { log } = setup()
    await log.record(A, 10n, T - 5_000)
    await log.record(B, 7n, T - 4_000)
    await log.record(A, 15n, T - 1_000)
    expect(SPEND_WINDOW_MS).toBe(DAY)
    expect(await log.spentInWindow(A, T)).toBe(25n)
    expect(await log.spentInWindow(B, T)).toBe(7n)
    expect(await log.spentInWindow('https://c.test', T)).toBe(0n)
    expect(await log.totals(T)).toEqual(
      new Map([
        [A, 25n],
        [B, 7n],
      ]),
    )
  })

  it('leaves out a record exactly 24 hours old and keeps one a millisecond younger', async () => {
    const { log } = setup()
    await log.record(A, 1n, T - DAY)
    await log.record(A, 2n, T - DAY + 1)
    await log.record(A, 4n, T)
    expect(await log.spentInWindow(A, T)).toBe(6n)
    // A moment later the second record leaves the window too.
    expect(await log.spentInWindow(A, T + 1)).toBe(4n)
    expect(await log.totals(T + 1)).toEqual(new Map([[A, 4n]]))
    // A day after the last one, nothing is left; totals has no zero entries.
    expect(await log.totals(T + DAY)).toEqual(new Map())
  })

  it('does not record a zero (or negative) amount', async () => {
    const { area, log } = setup()
    await log.record(A, 0n, T)
    await log.record(A, -5n, T)
    expect(area.dump().spendLog).toBeUndefined()
    await log.record(A, 3n, T)
    await log.record(B, 0n, T)
    expect(area.dump().spendLog).toEqual([{ origin: A, at: T, tokens: '3' }])
  })

  it('prunes records older than the window when it writes', async () => {
    const { area, log } = setup()
    await log.record(A, 1n, T - 2 * DAY)
    await log.record(B, 2n, T - DAY)
    await log.record(A, 3n, T - 1_000)
    // Each write keeps only what is inside the window of its own time.
    expect(area.dump().spendLog).toEqual([
      { origin: B, at: T - DAY, tokens: '2' },
      { origin: A, at: T - 1_000, tokens: '3' },
    ])
    await log.record(B, 4n, T)
    expect(area.dump().spendLog).toEqual([
      { origin: A, at: T - 1_000, tokens: '3' },
      { origin: B, at: T, tokens: '4' },
    ])
  })

  it('stays exact above 2^53', async () => {
    const { log } = setup()
    const big = 2n ** 60n + 1n
    await log.record(A, big, T)
    await log.record(A, big, T)
    expect(await log.spentInWindow(A, T)).toBe(2n * big)
  })

  it('counts every one of many concurrent records', async () => {
    const { log } = setup()
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.record(i % 2 === 0 ? A : B, BigInt(i + 1), T + i)),
    )
    // 1 + 3 + … + 49 = 625 and 2 + 4 + … + 50 = 650.
    expect(await log.totals(T + 100)).toEqual(
      new Map([
        [A, 625n],
        [B, 650n],
      ]),
    )
  })

  it('ignores unreadable storage, and unreadable records within it', async () => {
    for (const garbage of ['nonsense', 12, null, { origin: A }]) {
      const { area, log } = setup()
      await area.set({ spendLog: garbage })
      expect(await log.spentInWindow(A, T), JSON.stringify(garbage)).toBe(0n)
      await log.record(A, 5n, T)
      expect(await log.spentInWindow(A, T)).toBe(5n)
    }
    const { area, log } = setup()
    await area.set({
      spendLog: [
        { origin: A, at: T, tokens: '8' },
        { origin: A, at: T, tokens: 9 },
        { origin: A, at: T, tokens: '-1' },
        { origin: A, at: T, tokens: '1.5' },
        { origin: A, at: String(T), tokens: '100' },
        { origin: 1, at: T, tokens: '100' },
        null,
        'x',
        { origin: B, at: T, tokens: '2' },
      ],
    })
    expect(await log.totals(T)).toEqual(
      new Map([
        [A, 8n],
        [B, 2n],
      ]),
    )
    // Writing keeps only the readable records.
    await log.record(A, 1n, T)
    expect(area.dump().spendLog).toEqual([
      { origin: A, at: T, tokens: '8' },
      { origin: B, at: T, tokens: '2' },
      { origin: A, at: T, tokens: '1' },
    ])
  })

  it('reads back a spend of 20 digits and more', async () => {
    const area = createMemoryStorageArea()
    const log = createSpendLog(area)
    await log.record('https://a.test', 10n ** 19n, 5)
    await log.record('https://a.test', 1n, 6)
    expect(await log.spentInWindow('https://a.test', 7)).toBe(10n ** 19n + 1n)
  })
})
