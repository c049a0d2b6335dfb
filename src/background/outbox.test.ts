import type { NostrEvent } from 'nostr-tools/core'
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../nostr/kind21000'
import {
  createOutbox,
  fromRecord,
  toRecord,
  withResult,
  type NewOutboxEntry,
  type Outbox,
  type OutboxEntry,
} from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import { isInsufficientBalance } from './relay-result'

const R1 = 'ws://127.0.0.1:7447'
const R2 = 'wss://relay.example'
let dbCount = 0
const opened: OutboxDb[] = []

async function freshOutbox(): Promise<{ outbox: Outbox; db: OutboxDb; name: string }> {
  const name = `outbox-test-${++dbCount}`
  const db = await openOutboxDb(name)
  opened.push(db)
  return { outbox: createOutbox(db), db, name }
}

afterEach(() => {
  for (const db of opened.splice(0)) db.close()
})

function announce(over: Partial<Kind21000Announce> = {}): Kind21000Announce {
  return {
    infoHash: 'ab'.repeat(20),
    uploaded: 18446744073709551615n,
    downloaded: 9007199254740993n,
    left: 0n,
    port: 6881,
    event: 'started',
    session: 'cd'.repeat(16),
    ...over,
  }
}

function newEntry(over: Partial<Kind21000Announce> = {}, seenAt = 1000): NewOutboxEntry {
  return {
    announce: announce(over),
    site: 'site.example',
    origin: 'https://site.example',
    trackerHost: 'tracker.example',
    seenAt,
  }
}

describe('record codec', () => {
  it('stores counters as decimal strings and reads back the same BigInts', () => {
    const e: OutboxEntry = { id: 5, ...newEntry(), results: { [R1]: { state: 'pending' } } }
    const r = toRecord(e)
    expect(r.announce.uploaded).toBe('18446744073709551615')
    expect(typeof r.announce.downloaded).toBe('string')
    expect(r.open).toBe(1)
    expect(fromRecord(structuredClone(r))).toEqual(e)
  })

  it('refuses a record whose counters are not decimal strings', () => {
    const r = toRecord({ id: 1, ...newEntry(), results: {} })
    r.announce.left = '1.5'
    expect(() => fromRecord(r)).toThrow('left is not a decimal string')
  })
})

describe('createOutbox', () => {
  it('queues an announce with a pending result per relay and survives reopening', async () => {
    // Reopening runs the upgrade with oldVersion = current, so no schema step may run twice.
    const { outbox, db, name } = await freshOutbox()
    const added = await outbox.add(newEntry(), [R1, R2])
    expect(added.results).toEqual({ [R1]: { state: 'pending' }, [R2]: { state: 'pending' } })
    db.close()
    const reopened = await openOutboxDb(name)
    opened.push(reopened)
    const again = createOutbox(reopened)
    expect(await again.listOpen()).toEqual([added])
    expect(await again.countOpen()).toBe(1)
  })

  it('closes an entry once every relay has a final answer', async () => {
    const { outbox } = await freshOutbox()
    const { id } = await outbox.add(newEntry(), [R1, R2])
    await outbox.update(id, (e) =>
      withResult(e, R1, { state: 'ok', message: '', eventId: 'e1', at: 2 }),
    )
    expect(await outbox.countOpen()).toBe(1)
    await outbox.update(id, (e) =>
      withResult(e, R2, { state: 'refused', message: 'invalid: x', at: 3 }),
    )
    expect(await outbox.countOpen()).toBe(0)
    expect((await outbox.get(id))?.results[R2]).toEqual({
      state: 'refused',
      message: 'invalid: x',
      at: 3,
    })
  })

  it('supersedes the unfinished relays of an older announce of the same session', async () => {
    const { outbox } = await freshOutbox()
    const older = await outbox.add(newEntry({ uploaded: 1n }, 1000), [R1, R2])
    await outbox.update(older.id, (e) =>
      withResult(e, R1, { state: 'ok', message: '', eventId: 'e1', at: 1 }),
    )
    const otherSession = await outbox.add(newEntry({ session: 'ef'.repeat(16) }, 1500), [R1])
    const newer = await outbox.add(newEntry({ uploaded: 2n }, 2000), [R1, R2])
    const o = await outbox.get(older.id)
    expect(o?.results[R1]?.state).toBe('ok')
    expect(o?.results[R2]).toEqual({ state: 'superseded', at: 2000 })
    expect((await outbox.listOpen()).map((e) => e.id)).toEqual([otherSession.id, newer.id])
  })

  it('records a late delivery over a supersession, but not a failure', () => {
    const e: OutboxEntry = {
      id: 1,
      ...newEntry(),
      results: { [R1]: { state: 'superseded', at: 1 } },
    }
    expect(withResult(e, R1, { state: 'retry', error: 'x', attempts: 1, nextAttemptAt: 9 })).toBe(e)
    const ok = { state: 'ok', message: '', eventId: 'e', at: 2 } as const
    expect(withResult(e, R1, ok).results[R1]).toEqual(ok)
    expect(withResult(e, R2, ok)).toBe(e)
  })

  it('lists the newest entries first and prunes only old finished ones', async () => {
    const { outbox } = await freshOutbox()
    const ids: number[] = []
    for (let i = 0; i < 6; i++) {
      const { id } = await outbox.add(newEntry({ infoHash: String(i).repeat(40) }, i), [R1])
      ids.push(id)
      if (i !== 1) {
        await outbox.update(id, (e) =>
          withResult(e, R1, { state: 'ok', message: '', eventId: 'x', at: i }),
        )
      }
    }
    expect((await outbox.snapshot(3)).recent.map((e) => e.id)).toEqual([ids[5], ids[4], ids[3]])
    expect(await outbox.prune(2)).toBe(3)
    // The unfinished entry (index 1) is kept whatever its age.
    expect((await outbox.snapshot(10)).recent.map((e) => e.id)).toEqual([ids[5], ids[4], ids[1]])
    expect(await outbox.prune(2)).toBe(0)
  })

  it('finds balance refusals and requeues them', async () => {
    const { outbox } = await freshOutbox()
    const { id } = await outbox.add(newEntry(), [R1, R2])
    await outbox.update(id, (e) =>
      withResult(
        withResult(e, R1, {
          state: 'refused',
          message: 'blocked: insufficient balance: need 3 TSEED, have 0',
          at: 5,
        }),
        R2,
        { state: 'refused', message: 'invalid: bad tag', at: 5 },
      ),
    )
    const found = await outbox.findRefused(isInsufficientBalance)
    expect(found.map((f) => [f.entry.id, f.relay])).toEqual([[id, R1]])
    const signedEvent = { id: 'e1', sig: 's1' } as unknown as NostrEvent
    await outbox.update(id, (e) => ({ ...e, signed: { event: signedEvent, signedAt: 5 } }))
    // A refusal the caller does not accept stays where it is.
    expect(await outbox.requeue(id, R2, isInsufficientBalance)).toBe(false)
    expect(await outbox.requeue(id, R1)).toBe(true)
    expect(await outbox.requeue(id, R1)).toBe(false)
    const [requeued] = await outbox.listOpen()
    expect(requeued?.results[R1]).toEqual({ state: 'pending' })
    expect(requeued?.results[R2]).toMatchObject({ state: 'refused' })
    // Signed again with a fresh created_at when it goes out.
    expect(requeued?.signed).toBeUndefined()
  })

  it('skips a corrupt record instead of failing the whole queue', async () => {
    const warnings: string[] = []
    const { db } = await freshOutbox()
    const outbox = createOutbox(db, (m) => warnings.push(m))
    const good = await outbox.add(newEntry(), [R1])
    const bad = toRecord({ ...good, id: 999 })
    bad.announce.uploaded = 'not a number'
    await db.put('outbox', bad)
    expect((await outbox.listOpen()).map((e) => e.id)).toEqual([good.id])
    expect(warnings[0]).toContain('skipping outbox record 999')
  })
})
