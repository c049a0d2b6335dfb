import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { rejectionOf } from '../../../tests/support/rejection'
import type { Kind21000Announce } from '../../nostr/kind21000'
import { createOutbox, type Outbox, type OutboxEntry } from '../outbox'
import { openOutboxDb, type OutboxDb } from '../outbox-db'
import { testConsent } from '../testing/consent'
import { NotHeldError } from './held-announces'

const SITE = 'https://site.test'
const OTHER = 'https://other.test'
const RELAY = 'ws://a'
const T = 1_700_000_000_000

let n = 0
const dbs: OutboxDb[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

async function setup() {
  const db = await openOutboxDb(`held-announces-test-${++n}`)
  dbs.push(db)
  const outbox = createOutbox(db)
  let now = T
  let released = 0
  // The default test estimator: 1 TSEED per started 10^6 bytes on the one relay.
  const consent = testConsent(outbox, {
    relays: [RELAY],
    now: () => now,
    onReleased: () => released++,
  })
  let sessions = 0
  /** Judges an announce as the intake does and stores it held; fails if the gate would publish it. */
  const hold = async (
    origin: string,
    downloaded: bigint,
    over: Partial<Kind21000Announce> = {},
  ): Promise<OutboxEntry> => {
    const announce: Kind21000Announce = {
      infoHash: 'ab'.repeat(20),
      uploaded: 0n,
      downloaded,
      left: 1_000n,
      session: (++sessions).toString(16).padStart(32, '0'),
      ...over,
    }
    const verdict = await consent.gate.evaluate({ announce, origin, seenAt: now }, [RELAY])
    if (verdict.action !== 'hold') throw new Error(`expected a hold, got ${verdict.action}`)
    return outbox.add(
      {
        announce,
        origin,
        site: new URL(origin).host,
        trackerHost: 'tracker.test',
        seenAt: now,
        gate: {
          state: 'held',
          reasons: verdict.reasons,
          estimate: verdict.estimate,
          heldAt: now,
        },
      },
      [RELAY],
    )
  }
  return {
    outbox,
    consent,
    hold,
    released: () => released,
    tick: (ms: number) => {
      now += ms
    },
    now: () => now,
  }
}

const ids = async (list: Promise<OutboxEntry[]>): Promise<number[]> => (await list).map((e) => e.id)

async function gateOf(outbox: Outbox, id: number) {
  return (await outbox.get(id))?.gate
}

describe('createHeldAnnounces', () => {
  it('"allow once" releases only that announce, counts its spend, and asks for a drain', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 20_000_000n)
    const b = await s.hold(SITE, 10_000_000n)
    s.tick(5_000)
    expect(await s.consent.held.decide(a.id, 'allow-once')).toEqual({ released: 1, dropped: 0 })

    const after = await s.outbox.get(a.id)
    expect(after?.gate).toBeUndefined()
    expect(after?.results).toEqual({ [RELAY]: { state: 'pending' } })
    expect(after?.signed).toBeUndefined()
    expect(await ids(s.outbox.listOpen())).toEqual([a.id])
    expect(await ids(s.outbox.listHeld())).toEqual([b.id])
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(20n)
    expect(s.released()).toBe(1)
    // Once is not a decision about the site.
    expect(await s.consent.decisions.get(SITE)).toBeUndefined()
  })

  it('"allow once" makes the announce the reference of its session', async () => {
    const s = await setup()
    const session = 'ee'.repeat(16)
    const a = await s.hold(SITE, 20_000_000n, { session })
    await s.consent.held.decide(a.id, 'allow-once')
    s.tick(60_000)
    const b = await s.hold(SITE, 23_000_000n, { session })
    // Only the 3 MB since the released announce are charged.
    expect(b.gate).toMatchObject({ state: 'held', estimate: { tokens: '3', bytes: '3000000' } })
  })

  it('"decline" drops the announce without spending or publishing', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 20_000_000n)
    s.tick(1_000)
    expect(await s.consent.held.decide(a.id, 'decline')).toEqual({ released: 0, dropped: 1 })
    expect(await gateOf(s.outbox, a.id)).toEqual({
      state: 'dropped',
      reason: 'declined',
      at: T + 1_000,
    })
    expect(await s.outbox.listHeld()).toEqual([])
    expect(await s.outbox.listOpen()).toEqual([])
    expect(await s.outbox.countOpen()).toBe(0)
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(0n)
    expect(s.released()).toBe(0)
  })

  it('"allow site" releases the announce and judges the site\'s other held ones again', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 20_000_000n)
    const b = await s.hold(SITE, 10_000_000n)
    const c = await s.hold(SITE, 90_000_000n)
    const d = await s.hold(OTHER, 5_000_000n)
    expect(c.gate).toMatchObject({
      reasons: [{ kind: 'new-site' }, { kind: 'above-confirm', threshold: '25' }],
    })
    s.tick(1_000)

    expect(await s.consent.held.decide(a.id, 'allow-site')).toEqual({ released: 2, dropped: 0 })
    expect(await s.consent.decisions.get(SITE)).toEqual({ decision: 'allow', decidedAt: T + 1_000 })
    expect(await ids(s.outbox.listOpen())).toEqual([a.id, b.id])
    // 20 + 10 were spent before c was judged again: 90 more would pass the 100 budget.
    expect(await ids(s.outbox.listHeld())).toEqual([c.id, d.id])
    expect(await gateOf(s.outbox, c.id)).toEqual({
      state: 'held',
      reasons: [
        { kind: 'over-budget', spent: '30', budget: '100' },
        { kind: 'above-confirm', threshold: '25' },
      ],
      estimate: { tokens: '90', bytes: '90000000', exact: true },
      heldAt: T,
    })
    // The other site is untouched.
    expect(await gateOf(s.outbox, d.id)).toEqual(d.gate)
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(30n)
    expect(await s.consent.spendLog.spentInWindow(OTHER, s.now())).toBe(0n)
    expect(s.released()).toBe(1)
  })

  it('"allow site" publishes the answered announce even above the budget: the user saw its cost', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 150_000_000n)
    const b = await s.hold(SITE, 1_000_000n)
    expect(await s.consent.held.decide(a.id, 'allow-site')).toEqual({ released: 1, dropped: 0 })
    expect(await ids(s.outbox.listOpen())).toEqual([a.id])
    expect(await gateOf(s.outbox, b.id)).toMatchObject({
      state: 'held',
      reasons: [{ kind: 'over-budget', spent: '150', budget: '100' }],
    })
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(150n)
  })

  it('"block site" drops every held announce of the site and none of another', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 1_000_000n)
    const b = await s.hold(SITE, 2_000_000n)
    const d = await s.hold(OTHER, 3_000_000n)
    s.tick(2_000)
    expect(await s.consent.held.decide(b.id, 'block-site')).toEqual({ released: 0, dropped: 2 })
    for (const id of [a.id, b.id]) {
      expect(await gateOf(s.outbox, id)).toEqual({
        state: 'dropped',
        reason: 'site-blocked',
        at: T + 2_000,
      })
    }
    expect(await ids(s.outbox.listHeld())).toEqual([d.id])
    expect(await s.outbox.listOpen()).toEqual([])
    expect(await s.consent.decisions.get(SITE)).toEqual({ decision: 'block', decidedAt: T + 2_000 })
    expect(await s.consent.decisions.get(OTHER)).toBeUndefined()
    expect(s.released()).toBe(0)
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(0n)
  })

  it('refuses to decide an announce that is not waiting for a decision', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 1_000_000n)
    await s.consent.held.decide(a.id, 'decline')
    const free = await s.outbox.add(
      {
        announce: { infoHash: 'cd'.repeat(20), uploaded: 0n, downloaded: 0n, left: 0n },
        origin: SITE,
        site: 'site.test',
        trackerHost: 'tracker.test',
        seenAt: T,
      },
      [RELAY],
    )
    for (const [id, choice] of [
      [a.id, 'allow-once'],
      [a.id, 'allow-site'],
      [free.id, 'decline'],
      [free.id, 'block-site'],
      [99_999, 'allow-once'],
    ] as const) {
      const err = await rejectionOf(s.consent.held.decide(id, choice), NotHeldError)
      expect(err.message).toBe('This announce is no longer waiting for a decision')
    }
    // Nothing was decided, spent or changed by the refused answers.
    expect(await s.consent.decisions.list()).toEqual([])
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(0n)
    expect(await gateOf(s.outbox, a.id)).toMatchObject({ state: 'dropped', reason: 'declined' })
    expect((await s.outbox.get(free.id))?.gate).toBeUndefined()
    expect(s.released()).toBe(0)
  })

  it('answers two decisions on one announce one at a time: the second finds it answered', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 7_000_000n)
    const [first, second] = await Promise.allSettled([
      s.consent.held.decide(a.id, 'allow-once'),
      s.consent.held.decide(a.id, 'allow-once'),
    ])
    expect(first).toEqual({ status: 'fulfilled', value: { released: 1, dropped: 0 } })
    expect(second.status).toBe('rejected')
    expect(second.status === 'rejected' ? second.reason : undefined).toBeInstanceOf(NotHeldError)
    // Spent once, not twice.
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(7n)
  })

  it('reconsiders a site after its settings change', async () => {
    const s = await setup()
    await s.consent.decisions.decide(SITE, 'allow', T)
    const a = await s.hold(SITE, 150_000_000n)
    const b = await s.hold(SITE, 30_000_000n, { infoHash: 'cd'.repeat(20) })
    const d = await s.hold(OTHER, 1_000_000n)
    expect(a.gate).toMatchObject({
      reasons: [
        { kind: 'over-budget', spent: '0', budget: '100' },
        { kind: 'above-confirm', threshold: '25' },
      ],
    })
    expect(b.gate).toMatchObject({ reasons: [{ kind: 'above-confirm', threshold: '25' }] })

    // Nothing changed: nothing moves, and nothing is published.
    expect(await s.consent.held.reconsider(SITE)).toEqual({ released: 0, dropped: 0 })
    expect(await ids(s.outbox.listHeld())).toEqual([a.id, b.id, d.id])
    expect(s.released()).toBe(0)

    // A higher threshold lets the 30 TSEED one through; the budget still holds the other.
    await s.consent.spending.set({ dailyBudget: 100n, confirmAbove: 200n, lineMbps: 1_000 })
    expect(await s.consent.held.reconsider(SITE)).toEqual({ released: 1, dropped: 0 })
    expect(await ids(s.outbox.listOpen())).toEqual([b.id])
    // a was judged first, oldest first, before b's 30 TSEED were spent.
    expect(await gateOf(s.outbox, a.id)).toMatchObject({
      state: 'held',
      reasons: [{ kind: 'over-budget', spent: '0', budget: '100' }],
    })
    expect(s.released()).toBe(1)

    // The site's own budget releases the rest.
    await s.consent.decisions.setBudget(SITE, 500n)
    expect(await s.consent.held.reconsider(SITE)).toEqual({ released: 1, dropped: 0 })
    expect(await ids(s.outbox.listOpen())).toEqual([a.id, b.id])
    expect(await s.consent.spendLog.spentInWindow(SITE, s.now())).toBe(180n)
    // The other site's announce still waits: its site is undecided.
    expect(await ids(s.outbox.listHeld())).toEqual([d.id])
  })

  it('drops the held announces of a site blocked from the settings when reconsidered', async () => {
    const s = await setup()
    const a = await s.hold(SITE, 1_000_000n)
    await s.consent.decisions.decide(SITE, 'block', T)
    expect(await s.consent.held.reconsider(SITE)).toEqual({ released: 0, dropped: 1 })
    expect(await gateOf(s.outbox, a.id)).toMatchObject({ state: 'dropped', reason: 'site-blocked' })
  })

  it('takes "allow site" or "block site" given on an announce superseded meanwhile as the site\'s answer', async () => {
    const s = await setup()
    const session = 'aa'.repeat(16)
    const shown = await s.hold(SITE, 0n, { session, event: 'completed', left: 0n })
    const newer = await s.hold(SITE, 0n, { session, event: 'started', left: 0n })
    const big = await s.hold(SITE, 150_000_000n)
    expect(await gateOf(s.outbox, shown.id)).toMatchObject({
      state: 'dropped',
      reason: 'superseded',
    })
    // The newer announce passes the gate of an allowed site; the other one is over budget and
    // still asks, since the user saw neither's cost.
    expect(await s.consent.held.decide(shown.id, 'allow-site')).toEqual({ released: 1, dropped: 0 })
    expect(await s.consent.decisions.get(SITE)).toEqual({ decision: 'allow', decidedAt: T })
    expect(await ids(s.outbox.listOpen())).toEqual([newer.id])
    expect(await gateOf(s.outbox, big.id)).toMatchObject({
      state: 'held',
      reasons: [
        { kind: 'over-budget', spent: '0', budget: '100' },
        { kind: 'above-confirm', threshold: '25' },
      ],
    })
    // "Allow once" is about the announce itself, so it is still refused.
    await rejectionOf(s.consent.held.decide(shown.id, 'allow-once'), NotHeldError)

    const o = await setup()
    const first = await o.hold(OTHER, 1_000_000n, { session })
    const second = await o.hold(OTHER, 2_000_000n, { session })
    expect(await o.consent.held.decide(first.id, 'block-site')).toEqual({ released: 0, dropped: 1 })
    expect(await gateOf(o.outbox, second.id)).toMatchObject({
      state: 'dropped',
      reason: 'site-blocked',
    })
    expect(await o.consent.decisions.get(OTHER)).toMatchObject({ decision: 'block' })
  })

  it('drops a held announce that a newer announce of the same session supersedes', async () => {
    const s = await setup()
    const session = 'aa'.repeat(16)
    const old = await s.hold(SITE, 1_000_000n, { session })
    const otherSession = await s.hold(SITE, 1_000_000n, { session: 'bb'.repeat(16) })
    const otherTorrent = await s.hold(SITE, 1_000_000n, { session, infoHash: 'cd'.repeat(20) })
    s.tick(10_000)
    const newer = await s.hold(SITE, 2_000_000n, { session })
    expect(await gateOf(s.outbox, old.id)).toEqual({
      state: 'dropped',
      reason: 'superseded',
      at: T + 10_000,
    })
    expect((await s.outbox.get(old.id))?.results).toEqual({
      [RELAY]: { state: 'superseded', at: T + 10_000 },
    })
    expect(await ids(s.outbox.listHeld())).toEqual([otherSession.id, otherTorrent.id, newer.id])
    await rejectionOf(s.consent.held.decide(old.id, 'allow-once'), NotHeldError)
    // Allowing the site later releases the newer one, never the superseded one.
    expect(await s.consent.held.decide(newer.id, 'allow-site')).toEqual({ released: 3, dropped: 0 })
    expect(await ids(s.outbox.listOpen())).toEqual([otherSession.id, otherTorrent.id, newer.id])
    expect(await gateOf(s.outbox, old.id)).toMatchObject({ state: 'dropped', reason: 'superseded' })
  })
})
