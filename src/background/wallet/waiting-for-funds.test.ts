import 'fake-indexeddb/auto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AbstractRelay } from 'nostr-tools/abstract-relay'
import { finalizeEvent } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/core'
import { toEventTemplate, type Kind21000Announce } from '../../nostr/kind21000'
import type { RunningTseedRelay } from '../../../relay/src/tseed-relay'
import { connectNostr, newUser, publish, startQuietRelay } from '../../../tests/support/tseed-relay'
import { createOutbox, withResult, type Outbox, type OutboxEntry } from '../outbox'
import { openOutboxDb, type OutboxDb } from '../outbox-db'
import { parseInsufficientBalance } from '../relay-result'
import { missingFunds, missingFundsMemo, releaseIfFunded, scanWaiting } from './waiting-for-funds'

const R1 = 'ws://127.0.0.1:7447'
const R2 = 'wss://relay.example'
const IH_A = 'aa'.repeat(20)
const IH_B = 'bb'.repeat(20)
const S1 = '11'.repeat(16)
const S2 = '22'.repeat(16)
const opened: OutboxDb[] = []
let dbCount = 0

async function freshOutbox(): Promise<Outbox> {
  const db = await openOutboxDb(`waiting-for-funds-${++dbCount}`)
  opened.push(db)
  return createOutbox(db)
}

afterEach(() => {
  for (const db of opened.splice(0)) db.close()
})

const refusal = (need: bigint, have: bigint): string =>
  `blocked: insufficient balance: need ${need} TSEED, have ${have}`

/** Queues an announce, "signs" it, and records each relay's answer. */
async function queued(
  outbox: Outbox,
  fields: Partial<Kind21000Announce> & { infoHash: string },
  /** Relay URL → 'ok' for a delivery, else the refusal message. */
  answers: Record<string, string>,
): Promise<OutboxEntry> {
  const announce: Kind21000Announce = { uploaded: 0n, downloaded: 5_000_000n, left: 1n, ...fields }
  const e = await outbox.add(
    { announce, site: 's', origin: 'https://s', trackerHost: 't', seenAt: 1 },
    Object.keys(answers),
  )
  const signed = { event: { id: `ev${e.id}` } as NostrEvent, signedAt: 1000 }
  const next = await outbox.update(e.id, (cur) => {
    let out: OutboxEntry = { ...cur, signed }
    for (const [relay, answer] of Object.entries(answers)) {
      out = withResult(
        out,
        relay,
        answer === 'ok'
          ? { state: 'ok', message: '', eventId: signed.event.id, at: 2 }
          : { state: 'refused', message: answer, at: 2 },
      )
    }
    return out
  })
  return next!
}

describe('parseInsufficientBalance', () => {
  it('reads the relay exact refusal into BigInts', () => {
    expect(parseInsufficientBalance(refusal(2n ** 70n, 0n))).toEqual({ need: 2n ** 70n, have: 0n })
  })

  it.each([
    'blocked: insufficient balance: need 5 TSEED, have 1 ',
    'blocked: insufficient balance: need -5 TSEED, have 1',
    'blocked: insufficient balance: need 5.0 TSEED, have 1',
    'blocked: insufficient balance: need 5 sat, have 1',
    'blocked: insufficient balance',
    'blocked: spending limit: this announce would charge 900 TSEED; 40 of your 100 TSEED per day are already charged',
    'x blocked: insufficient balance: need 5 TSEED, have 1',
  ])('refuses %j', (message) => {
    expect(parseInsufficientBalance(message)).toBeNull()
  })
})

describe('waiting for funds', () => {
  it('pre-fills a top-up with the largest shortfall per relay, newest announce per session only', async () => {
    const outbox = await freshOutbox()
    await queued(outbox, { infoHash: IH_A, session: S1 }, { [R1]: refusal(50n, 0n) })
    const newer = await queued(
      outbox,
      { infoHash: IH_A, session: S1, downloaded: 9n },
      {
        [R1]: refusal(9n, 2n),
        [R2]: refusal(4n, 1n),
      },
    )
    await queued(outbox, { infoHash: IH_B, session: S2 }, { [R1]: refusal(6n, 2n) })
    await queued(outbox, { infoHash: IH_B, session: S1 }, { [R2]: 'blocked: spending limit: no' })
    expect(await missingFunds(outbox)).toEqual(
      new Map([
        [R1, 7n],
        [R2, 3n],
      ]),
    )
    const scan = await scanWaiting(outbox)
    expect(scan.superseded.map((w) => [w.entry.id, w.relay])).toEqual([[newer.id - 1, R1]])
    expect(scan.waiting).toHaveLength(3)
  })

  it('reads the outbox again for the missing funds only after it was written', async () => {
    const outbox = await freshOutbox()
    let scans = 0
    const counted: Outbox = {
      ...outbox,
      findRefused: (match) => {
        scans++
        return outbox.findRefused(match)
      },
    }
    const missing = missingFundsMemo(counted)
    expect(await missing()).toEqual(new Map())
    const first = await queued(outbox, { infoHash: IH_A, session: S1 }, { [R1]: refusal(8n, 3n) })
    expect(await missing()).toEqual(new Map([[R1, 5n]]))
    expect(await missing()).toEqual(new Map([[R1, 5n]]))
    expect(scans).toBe(2)
    await outbox.requeue(first.id, R1)
    expect(await missing()).toEqual(new Map())
    expect(scans).toBe(3)
    // Reads and writes that change nothing leave the answer as it was.
    await outbox.update(first.id, () => undefined)
    await outbox.prune()
    await missing()
    expect(scans).toBe(3)
  })

  it('requeues what the balance covers, drops the stale signature in the same write, and supersedes older refusals', async () => {
    const outbox = await freshOutbox()
    const old = await queued(outbox, { infoHash: IH_A, session: S1 }, { [R1]: refusal(5n, 0n) })
    const a = await queued(
      outbox,
      { infoHash: IH_A, session: S1, downloaded: 8n },
      {
        [R1]: refusal(8n, 0n),
        [R2]: 'ok',
      },
    )
    const b = await queued(outbox, { infoHash: IH_B, session: S2 }, { [R1]: refusal(3n, 0n) })
    const c = await queued(outbox, { infoHash: IH_B, session: S1 }, { [R2]: refusal(3n, 0n) })

    // 10 TSEED on R1 covers a (8) but not a and b (11); R2 is still short.
    const result = await releaseIfFunded(
      outbox,
      new Map([
        [R1, 10n],
        [R2, 2n],
      ]),
      () => 77,
    )
    expect(result.released).toEqual([{ id: a.id, relay: R1, infoHash: IH_A, need: 8n }])
    expect(result.superseded).toEqual([{ id: old.id, relay: R1 }])

    const requeued = (await outbox.get(a.id))!
    expect(requeued.results).toEqual({ [R1]: { state: 'pending' }, [R2]: a.results[R2] })
    expect(requeued.signed).toBeUndefined()
    expect(requeued.announce).toEqual(a.announce)
    expect((await outbox.listOpen()).map((e) => e.id)).toEqual([a.id])
    expect((await outbox.get(old.id))!.results[R1]).toEqual({ state: 'superseded', at: 77 })
    expect((await outbox.get(b.id))!.signed).toBeDefined()
    expect((await outbox.get(c.id))!.results[R2]!.state).toBe('refused')

    // Nothing is released twice.
    expect((await releaseIfFunded(outbox, new Map([[R1, 100n]]))).released).toEqual([
      { id: b.id, relay: R1, infoHash: IH_B, need: 3n },
    ])
  })

  it('never requeues a refusal a newer delivered announce of the session already carried', async () => {
    const outbox = await freshOutbox()
    const refused = await queued(outbox, { infoHash: IH_A, session: S1 }, { [R1]: refusal(5n, 0n) })
    await queued(outbox, { infoHash: IH_A, session: S1, downloaded: 9n }, { [R1]: 'ok' })
    const result = await releaseIfFunded(outbox, new Map([[R1, 1000n]]))
    expect(result).toEqual({ released: [], superseded: [{ id: refused.id, relay: R1 }] })
    expect(await missingFunds(outbox)).toEqual(new Map())
  })
})

describe('waiting for funds against the real relay', () => {
  let relay: RunningTseedRelay
  let conn: AbstractRelay

  beforeAll(async () => {
    relay = await startQuietRelay()
    conn = await connectNostr(relay.url)
  })

  afterAll(async () => {
    conn.close()
    await relay.close()
  })

  it('a refused announce, re-signed after a top-up, is charged the same delta', async () => {
    const user = newUser(relay)
    const outbox = await freshOutbox()
    const announce: Kind21000Announce = {
      infoHash: IH_A,
      session: S1,
      uploaded: 0n,
      downloaded: 4_000_000n,
      left: 1_000_000n,
      event: 'started',
    }
    const entry = await outbox.add(
      { announce, site: 's', origin: 'https://s', trackerHost: 't', seenAt: 1 },
      [relay.url],
    )
    const first = finalizeEvent(
      toEventTemplate(announce, Math.floor(Date.now() / 1000) - 200),
      user.sk,
    )
    const answer = await publish(conn, first)
    expect(answer).toEqual({ ok: false, message: refusal(4n, 0n) })
    await outbox.update(entry.id, (e) =>
      withResult({ ...e, signed: { event: first, signedAt: Date.now() - 200_000 } }, relay.url, {
        state: 'refused',
        message: answer.message,
        at: 2,
      }),
    )
    expect(await missingFunds(outbox)).toEqual(new Map([[relay.url, 4n]]))

    const d = await user.api.createDeposit({ amountSat: 100n, swapMinOut: 1n })
    await user.api.deposit(d.paymentHash)
    const funded = (await user.api.balance()).balances.tseed
    const { released } = await releaseIfFunded(outbox, new Map([[relay.url, funded]]))
    expect(released.map((r) => r.id)).toEqual([entry.id])

    // What the publisher does with an unsigned pending entry: sign now, send.
    const pending = (await outbox.listOpen())[0]!
    expect(pending.signed).toBeUndefined()
    const again = finalizeEvent(
      toEventTemplate(pending.announce, Math.floor(Date.now() / 1000)),
      user.sk,
    )
    expect(again.id).not.toBe(first.id)
    expect(await publish(conn, again)).toEqual({ ok: true, message: '' })
    expect((await user.api.balance()).balances.tseed).toBe(funded - 4n)
  })
})
