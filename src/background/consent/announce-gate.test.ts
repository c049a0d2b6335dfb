import { describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../../nostr/kind21000'
import { createMemoryStorageArea } from '../storage-item'
import { createAnnounceGate, type GateCandidate } from './announce-gate'
import type { EstimateCost } from './cost-estimator'
import type { CostEstimate } from './hold'
import { createSessionProgressStore } from './session-progress'
import { createSiteDecisions } from './site-decisions'
import { createSpendingSettings } from './spending-settings'
import { createSpendLog } from './spend-log'

const SITE = 'https://site.test'
const OTHER = 'https://other.test'
const RELAYS = ['ws://r1', 'ws://r2']
const T = 1_000_000_000

interface EstimateCall {
  infoHash: string
  bytes: bigint
  relays: readonly string[]
}

/** 1 TSEED per started 10^6 bytes, recording every call. */
function setup() {
  const area = createMemoryStorageArea()
  const calls: EstimateCall[] = []
  const estimateCost: EstimateCost = (infoHash, bytes, relays) => {
    calls.push({ infoHash, bytes, relays })
    return Promise.resolve({
      tokens: ((bytes + 999_999n) / 1_000_000n).toString(),
      bytes: bytes.toString(),
      exact: true,
    })
  }
  let now = T
  const decisions = createSiteDecisions(area)
  const spending = createSpendingSettings(area)
  const spendLog = createSpendLog(area)
  const progress = createSessionProgressStore(area)
  const gate = createAnnounceGate({
    decisions,
    spending,
    spendLog,
    progress,
    estimateCost,
    now: () => now,
  })
  return {
    gate,
    decisions,
    spending,
    spendLog,
    progress,
    calls,
    setNow: (t: number) => {
      now = t
    },
  }
}

function candidate(
  over: Partial<Kind21000Announce> = {},
  origin = SITE,
  seenAt = T,
): GateCandidate {
  return {
    announce: {
      infoHash: 'ab'.repeat(20),
      uploaded: 0n,
      downloaded: 0n,
      left: 1_000n,
      session: '11'.repeat(16),
      ...over,
    },
    origin,
    seenAt,
  }
}

const cost = (tokens: string, bytes: string): CostEstimate => ({ tokens, bytes, exact: true })

describe('createAnnounceGate', () => {
  it('drops what a blocked site sends without estimating its cost', async () => {
    const s = setup()
    await s.decisions.decide(SITE, 'block', 0)
    expect(await s.gate.evaluate(candidate({ downloaded: 5_000_000n }), RELAYS)).toEqual({
      action: 'drop',
    })
    expect(s.calls).toEqual([])
  })

  it('holds the announce of an undecided site, with its estimate', async () => {
    const s = setup()
    const v = await s.gate.evaluate(candidate({ downloaded: 5_000_000n }), RELAYS)
    expect(v).toEqual({
      action: 'hold',
      reasons: [{ kind: 'new-site' }],
      estimate: cost('5', '5000000'),
    })
    expect(s.calls).toEqual([{ infoHash: 'ab'.repeat(20), bytes: 5_000_000n, relays: RELAYS }])
  })

  it('holds a free announce of an undecided site too', async () => {
    const s = setup()
    expect(await s.gate.evaluate(candidate(), RELAYS)).toEqual({
      action: 'hold',
      reasons: [{ kind: 'new-site' }],
      estimate: cost('0', '0'),
    })
  })

  it('gives a new site every other reason as well', async () => {
    const s = setup()
    const v = await s.gate.evaluate(
      candidate({ event: 'started', downloaded: 30_000_000n }),
      RELAYS,
    )
    expect(v).toMatchObject({
      action: 'hold',
      reasons: [
        { kind: 'new-site' },
        { kind: 'started-with-download' },
        { kind: 'above-confirm', threshold: '25' },
      ],
    })
  })

  it('publishes the announce of an allowed site within its budget', async () => {
    const s = setup()
    await s.decisions.decide(SITE, 'allow', 0)
    expect(await s.gate.evaluate(candidate({ downloaded: 25_000_000n }), RELAYS)).toEqual({
      action: 'publish',
      estimate: cost('25', '25000000'),
    })
    // One byte more is a 26 TSEED announce: above the threshold of 25.
    expect(await s.gate.evaluate(candidate({ downloaded: 25_000_001n }), RELAYS)).toEqual({
      action: 'hold',
      reasons: [{ kind: 'above-confirm', threshold: '25' }],
      estimate: cost('26', '25000001'),
    })
  })

  it("measures against the site's own budget before the default", async () => {
    const s = setup()
    await s.spending.set({ dailyBudget: 100n, confirmAbove: 1_000n, lineMbps: 1_000 })
    await s.decisions.decide(SITE, 'allow', 0)
    await s.decisions.decide(OTHER, 'allow', 0)
    await s.decisions.setBudget(SITE, 10n)
    const eleven = { downloaded: 11_000_000n }
    expect(await s.gate.evaluate(candidate(eleven, SITE), RELAYS)).toMatchObject({
      action: 'hold',
      reasons: [{ kind: 'over-budget', spent: '0', budget: '10' }],
    })
    expect(await s.gate.evaluate(candidate(eleven, OTHER), RELAYS)).toMatchObject({
      action: 'publish',
    })
    // A site budget above the default lets through what the default would not.
    await s.decisions.setBudget(SITE, 500n)
    expect(
      await s.gate.evaluate(candidate({ downloaded: 300_000_000n }, SITE), RELAYS),
    ).toMatchObject({ action: 'publish' })
    expect(
      await s.gate.evaluate(candidate({ downloaded: 300_000_000n }, OTHER), RELAYS),
    ).toMatchObject({ action: 'hold', reasons: [{ kind: 'over-budget', budget: '100' }] })
  })

  it('counts released spend against later announces of the same site only', async () => {
    const s = setup()
    await s.spending.set({ dailyBudget: 100n, confirmAbove: 1_000n, lineMbps: 1_000 })
    await s.decisions.decide(SITE, 'allow', 0)
    await s.decisions.decide(OTHER, 'allow', 0)
    const first = candidate({ downloaded: 60_000_000n, session: '01'.repeat(16) })
    const v = await s.gate.evaluate(first, RELAYS)
    expect(v).toMatchObject({ action: 'publish', estimate: { tokens: '60' } })
    // Evaluating alone spends nothing: the same announce still fits.
    expect(await s.gate.evaluate(first, RELAYS)).toMatchObject({ action: 'publish' })
    if (v.action !== 'publish') throw new Error('unreachable')
    await s.gate.release(first, v.estimate, T)
    expect(await s.spendLog.spentInWindow(SITE, T)).toBe(60n)

    const second = { downloaded: 50_000_000n, session: '02'.repeat(16) }
    expect(await s.gate.evaluate(candidate(second, SITE), RELAYS)).toEqual({
      action: 'hold',
      reasons: [{ kind: 'over-budget', spent: '60', budget: '100' }],
      estimate: cost('50', '50000000'),
    })
    expect(await s.gate.evaluate(candidate(second, OTHER), RELAYS)).toMatchObject({
      action: 'publish',
    })
    // 40 more still fit under the site's 100.
    expect(
      await s.gate.evaluate(
        candidate({ downloaded: 40_000_000n, session: '03'.repeat(16) }, SITE),
        RELAYS,
      ),
    ).toMatchObject({ action: 'publish' })
    // A day after the release, the spend has left the window.
    s.setNow(T + 24 * 3600 * 1000)
    expect(await s.gate.evaluate(candidate(second, SITE), RELAYS)).toMatchObject({
      action: 'publish',
    })
  })

  it("makes a released announce the session's reference: the next one is charged its delta", async () => {
    const s = setup()
    await s.decisions.decide(SITE, 'allow', 0)
    const first = candidate({ downloaded: 20_000_000n }, SITE, T)
    const v = await s.gate.evaluate(first, RELAYS)
    if (v.action !== 'publish') throw new Error(`expected publish, got ${v.action}`)
    await s.gate.release(first, v.estimate, T + 5)
    expect(await s.progress.get(first.announce)).toEqual({ downloaded: 20_000_000n, at: T })

    // 10 s later, 24 MB more: only the 24 MB is estimated and charged.
    const next = candidate({ downloaded: 44_000_000n }, SITE, T + 10_000)
    expect(await s.gate.evaluate(next, RELAYS)).toEqual({
      action: 'publish',
      estimate: cost('24', '24000000'),
    })
    expect(s.calls.map((c) => c.bytes)).toEqual([20_000_000n, 24_000_000n])
    // Another session of the same torrent has no reference: its whole counter counts.
    await s.gate.evaluate(candidate({ downloaded: 44_000_000n, session: '22'.repeat(16) }), RELAYS)
    expect(s.calls.at(-1)?.bytes).toBe(44_000_000n)
  })

  it('does not move the reference for an announce that was only evaluated', async () => {
    const s = setup()
    await s.decisions.decide(SITE, 'allow', 0)
    await s.gate.evaluate(candidate({ downloaded: 5_000_000n }), RELAYS)
    await s.gate.evaluate(candidate({ downloaded: 7_000_000n }, SITE, T + 60_000), RELAYS)
    expect(s.calls.map((c) => c.bytes)).toEqual([5_000_000n, 7_000_000n])
  })

  it('holds a download faster than the line even for an allowed site within budget', async () => {
    const s = setup()
    await s.spending.set({ dailyBudget: 10_000n, confirmAbove: 10_000n, lineMbps: 8 })
    await s.decisions.decide(SITE, 'allow', 0)
    const first = candidate({ downloaded: 0n }, SITE, T)
    await s.gate.release(first, cost('0', '0'), T)
    // 8 Mbit/s for 2 s is 2 MB; the page claims 3 MB.
    const v = await s.gate.evaluate(candidate({ downloaded: 3_000_000n }, SITE, T + 2_000), RELAYS)
    expect(v).toEqual({
      action: 'hold',
      reasons: [{ kind: 'too-fast', bytes: '3000000', seconds: '2', lineMbps: '8' }],
      estimate: cost('3', '3000000'),
    })
    // 2 MB in the same time is believable.
    expect(
      await s.gate.evaluate(candidate({ downloaded: 2_000_000n }, SITE, T + 2_000), RELAYS),
    ).toMatchObject({ action: 'publish' })
  })
})
