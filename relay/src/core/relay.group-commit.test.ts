import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NostrEvent } from 'nostr-tools/core'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HASH_A, HASH_B, newKey, RecordingClient, signAnnounce } from '../../tests/fixtures'
import { Ledger } from '../ledger/ledger'
import { openDatabase, type SqliteDatabase } from '../store/database'
import { SqliteAnnounceStore } from '../store/sqlite-store'
import type { AnnouncePolicy } from './announce-policy'
import type { RelayClient } from './client'
import { Relay, type RelayOptions } from './relay'
import { createWasmVerifier, type Verifier } from './verifier'

const silent = { warn: () => undefined, error: () => undefined }
const now = () => Math.floor(Date.now() / 1000)
let verifier: Verifier
const dirs: string[] = []
const dbs: SqliteDatabase[] = []

beforeAll(async () => {
  verifier = await createWasmVerifier()
})

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A relay on a SQLite file, a policy table on the same handle, and a second connection. */
function setup(policy: (db: SqliteDatabase) => AnnouncePolicy, opts: Partial<RelayOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-relay-group-'))
  dirs.push(dir)
  const file = join(dir, 'relay.sqlite')
  const db = openDatabase(file)
  db.exec('CREATE TABLE charges (event_id TEXT PRIMARY KEY) STRICT')
  const reader = openDatabase(file)
  dbs.push(db, reader)
  const store = new SqliteAnnounceStore(db)
  const relay = new Relay({ store, verifier, logger: silent, policy: policy(db), ...opts })
  const durable = {
    announces: () => reader.prepare('SELECT id FROM announces').pluck().all() as string[],
    charges: () => reader.prepare('SELECT event_id FROM charges').pluck().all() as string[],
  }
  return { db, relay, store, durable }
}

/** A policy that records a charge row, then accepts or refuses as `decide` says. */
function charging(decide: (ev: NostrEvent) => string | undefined) {
  return (db: SqliteDatabase): AnnouncePolicy =>
    (ev) => {
      db.prepare('INSERT INTO charges (event_id) VALUES (?)').run(ev.id)
      const refusal = decide(ev)
      return refusal === undefined ? { accept: true } : { accept: false, message: refusal }
    }
}

const frame = (ev: NostrEvent) => JSON.stringify(['EVENT', ev])
const oks = (c: RecordingClient) => new Map(c.of('OK').map((m) => [m[1] as string, m]))

describe('Relay with a SQLite store: group commit', () => {
  it('commits the announces of one turn together, policy writes included', async () => {
    const { relay, durable } = setup(charging(() => undefined))
    const c = new RecordingClient()
    const events = Array.from({ length: 20 }, () => signAnnounce(newKey().sk, now()))
    await Promise.all(events.map((ev) => relay.handleMessage(c, frame(ev))))
    expect(c.of('OK').every((m) => m[2] === true && m[3] === '')).toBe(true)
    expect(relay.stats.groupCommits).toMatchObject({ groups: 1, units: 20 })
    expect(new Set(durable.announces())).toEqual(new Set(events.map((e) => e.id)))
    expect(new Set(durable.charges())).toEqual(new Set(events.map((e) => e.id)))
  })

  it("lets the policy read ahead in each announce's unit, before the recheck and only then", async () => {
    const calls: string[] = []
    const { relay, db } = setup(() => {
      const policy: AnnouncePolicy = (ev) => {
        calls.push(`decide ${ev.id}`)
        return { accept: true }
      }
      policy.readAhead = (ev) => {
        calls.push(`ahead ${ev.id} ${db.inTransaction ? 'in' : 'outside'} the group`)
      }
      return policy
    })
    const c = new RecordingClient()
    const ev = signAnnounce(newKey().sk, now())
    await relay.handleMessage(c, frame(ev))
    // The same event again is a duplicate before verification: no unit, no read ahead.
    await relay.handleMessage(c, frame(ev))
    expect(calls).toEqual([`ahead ${ev.id} in the group`, `decide ${ev.id}`])
    expect(c.of('OK').map((m) => m[2])).toEqual([true, true])
  })

  it("runs announces as units scoped by the policy's keys and the announcer's, reads prefetched a round at a time", async () => {
    const calls: string[] = []
    const name = new Map<string, string>()
    const { relay, store } = setup(() => {
      const policy: AnnouncePolicy = (ev) => {
        calls.push(`decide ${name.get(ev.id)}`)
        return { accept: true }
      }
      policy.readAhead = (ev) => {
        calls.push(`ahead ${name.get(ev.id)}`)
      }
      policy.touches = (_ev, announce) => [`swarm:${announce.infoHash}`]
      return policy
    })
    // SQLite ignores keys; a store that scopes units (PostgreSQL's) is
    // stood in for by one that records them.
    const scopes: string[][] = []
    store.writes.scoped = <T>(keys: readonly string[], fn: () => T): T => {
      scopes.push([...keys])
      return fn()
    }
    const one = newKey()
    const two = newKey()
    const a = signAnnounce(one.sk, now(), { infoHash: HASH_A })
    const b = signAnnounce(one.sk, now(), { infoHash: HASH_B })
    const c2 = signAnnounce(two.sk, now(), { infoHash: HASH_B })
    name.set(a.id, 'a').set(b.id, 'b').set(c2.id, 'c')
    const c = new RecordingClient()
    await Promise.all([a, b, c2].map((ev) => relay.handleMessage(c, frame(ev))))
    expect(c.of('OK').every((m) => m[2] === true)).toBe(true)
    // b shares its announcer with a, and c its swarm with b: both wait for
    // the next round, in order. Each round's reads are asked for first.
    expect(calls).toEqual([
      'ahead a',
      'ahead a',
      'decide a',
      'ahead b',
      'ahead b',
      'decide b',
      'ahead c',
      'ahead c',
      'decide c',
    ])
    // Each unit's prefetch, then its run, under the same keys.
    const keysOf = (swarm: string, pubkey: string) => [`swarm:${swarm}`, `user:${pubkey}`]
    expect(scopes).toEqual([
      keysOf(HASH_A, one.pubkey),
      keysOf(HASH_A, one.pubkey),
      keysOf(HASH_B, one.pubkey),
      keysOf(HASH_B, one.pubkey),
      keysOf(HASH_B, two.pubkey),
      keysOf(HASH_B, two.pubkey),
    ])
  })

  it('looks up the stored announces of one turn in one call, before verification', async () => {
    const { relay, store } = setup(charging(() => undefined))
    const c = new RecordingClient()
    const events = Array.from({ length: 10 }, () => signAnnounce(newKey().sk, now()))
    await Promise.all(events.map((ev) => relay.handleMessage(c, frame(ev))))
    const writes = store.writes
    const lookups: number[] = []
    const currentMany = writes.currentMany.bind(writes)
    writes.currentMany = (keys, t) => {
      lookups.push(keys.length)
      return currentMany(keys, t)
    }
    await Promise.all(events.map((ev) => relay.handleMessage(c, frame(ev))))
    expect(lookups).toEqual([10])
    expect(
      c
        .of('OK')
        .slice(10)
        .map((m) => m[3]),
    ).toEqual(events.map(() => 'duplicate: already have this event'))
  })

  it('sends OK only when the announce and its charge are durable', async () => {
    const { relay, durable } = setup(charging(() => undefined))
    const seen: { announces: number; charges: number }[] = []
    const c = new RecordingClient()
    const client: RelayClient = {
      id: c.id,
      ip: c.ip,
      send(msg) {
        // What another connection to the file sees at the moment the OK leaves.
        if (msg[0] === 'OK') {
          seen.push({ announces: durable.announces().length, charges: durable.charges().length })
        }
        c.send(msg)
      },
    }
    const events = [signAnnounce(newKey().sk, now()), signAnnounce(newKey().sk, now())]
    await Promise.all(events.map((ev) => relay.handleMessage(client, frame(ev))))
    expect(seen).toEqual([
      { announces: 2, charges: 2 },
      { announces: 2, charges: 2 },
    ])
  })

  it('rolls back a refused announce and its policy writes only, and does not broadcast it', async () => {
    const refused = signAnnounce(newKey().sk, now(), { infoHash: HASH_B })
    const { relay, durable } = setup(
      charging((ev) => (ev.id === refused.id ? 'blocked: insufficient balance' : undefined)),
    )
    const watcher = new RecordingClient()
    await relay.handleMessage(watcher, JSON.stringify(['REQ', 'live', { kinds: [21000] }]))
    const c = new RecordingClient()
    const good = signAnnounce(newKey().sk, now(), { infoHash: HASH_A })
    await Promise.all([good, refused].map((ev) => relay.handleMessage(c, frame(ev))))
    expect(oks(c).get(refused.id)).toEqual([
      'OK',
      refused.id,
      false,
      'blocked: insufficient balance',
    ])
    expect(oks(c).get(good.id)?.[2]).toBe(true)
    expect(relay.stats.groupCommits.groups).toBe(1)
    expect(durable.announces()).toEqual([good.id])
    expect(durable.charges()).toEqual([good.id])
    expect(watcher.events('live').map((e) => e.id)).toEqual([good.id])
  })

  it('answers error: for a policy that throws, undoing its writes, and commits the rest', async () => {
    const bad = signAnnounce(newKey().sk, now())
    const { relay, durable } = setup((db) => (ev) => {
      db.prepare('INSERT INTO charges (event_id) VALUES (?)').run(ev.id)
      if (ev.id === bad.id) throw new Error('ledger bug')
      return { accept: true }
    })
    const c = new RecordingClient()
    const good = signAnnounce(newKey().sk, now())
    await Promise.all([bad, good].map((ev) => relay.handleMessage(c, frame(ev))))
    expect(oks(c).get(bad.id)?.slice(2)).toEqual([
      false,
      'error: the announce could not be processed; try again',
    ])
    expect(durable.announces()).toEqual([good.id])
    expect(durable.charges()).toEqual([good.id])
  })

  it('acknowledges nothing of a group whose commit fails', async () => {
    const { relay, db, durable } = setup(charging(() => undefined))
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
      CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED) STRICT`)
    const poison = signAnnounce(newKey().sk, now())
    const policy = charging(() => undefined)(db)
    const failing = new Relay({
      store: new SqliteAnnounceStore(db),
      verifier,
      logger: silent,
      policy: (ev, a, client) => {
        // Breaks the group's COMMIT (a deferred foreign key), not this unit.
        if (ev.id === poison.id) db.prepare('INSERT INTO child (p) VALUES (7)').run()
        return policy(ev, a, client)
      },
    })
    const watcher = new RecordingClient()
    await failing.handleMessage(watcher, JSON.stringify(['REQ', 'live', { kinds: [21000] }]))
    const c = new RecordingClient()
    const events = [signAnnounce(newKey().sk, now()), poison, signAnnounce(newKey().sk, now())]
    await Promise.all(events.map((ev) => failing.handleMessage(c, frame(ev))))
    for (const ev of events) {
      expect(oks(c).get(ev.id)?.slice(2)).toEqual([
        false,
        'error: the announce could not be stored; try again',
      ])
    }
    expect(durable.announces()).toEqual([])
    expect(durable.charges()).toEqual([])
    expect(watcher.events('live')).toEqual([])
    // The relay keeps serving.
    const later = signAnnounce(newKey().sk, now())
    await relay.handleMessage(c, frame(later))
    expect(oks(c).get(later.id)?.[2]).toBe(true)
  })

  it('still runs an asynchronous policy, storing the announce once it decides', async () => {
    const { relay, durable } = setup((db) => async (ev) => {
      db.prepare('INSERT INTO charges (event_id) VALUES (?)').run(ev.id)
      await new Promise((r) => setTimeout(r, 5))
      return ev.tags.some((t) => t[0] === 'i' && t[1] === HASH_B)
        ? { accept: false, message: 'blocked: later' }
        : { accept: true }
    })
    const c = new RecordingClient()
    const ok = signAnnounce(newKey().sk, now())
    const no = signAnnounce(newKey().sk, now(), { infoHash: HASH_B })
    await Promise.all([ok, no].map((ev) => relay.handleMessage(c, frame(ev))))
    expect(oks(c).get(ok.id)?.slice(2)).toEqual([true, ''])
    expect(oks(c).get(no.id)?.slice(2)).toEqual([false, 'blocked: later'])
    expect(durable.announces()).toEqual([ok.id])
  })

  it('keeps one session in order across groups and never asks the policy about a stale one', async () => {
    const calls: number[] = []
    const { relay, durable } = setup(() => (ev) => {
      calls.push(ev.created_at)
      return { accept: true }
    })
    const { sk } = newKey()
    const t = now()
    const newer = signAnnounce(sk, t, { downloaded: 2n })
    const older = signAnnounce(sk, t - 10, { downloaded: 1n })
    const c = new RecordingClient()
    await Promise.all([newer, older].map((ev) => relay.handleMessage(c, frame(ev))))
    expect(calls).toEqual([t])
    expect(oks(c).get(older.id)?.[3]).toMatch(/^duplicate: a newer announce/)
    expect(durable.announces()).toEqual([newer.id])
  })

  it('charges funded announces and refuses unfunded ones with the real ledger, atomically', async () => {
    const { relay, db, durable } = setup((db) => new Ledger(db).announcePolicy())
    const ledger = new Ledger(db)
    ledger.bootstrapPool({ tseed: 10_000_000n, sat: 5_000_000n })
    const rich = newKey()
    ledger.deposit(rich.pubkey, 100n, 'dep')
    const tseed = ledger.swap(rich.pubkey, 'sat_to_tseed', 100n, 1n, 'swap').amountOut
    const poor = newKey()
    const paid = signAnnounce(rich.sk, now(), { downloaded: 3_000_000n, left: 5n })
    const unpaid = signAnnounce(poor.sk, now(), { downloaded: 3_000_000n, left: 5n })
    const c = new RecordingClient()
    await Promise.all([paid, unpaid].map((ev) => relay.handleMessage(c, frame(ev))))
    expect(oks(c).get(paid.id)?.slice(2)).toEqual([true, ''])
    expect(oks(c).get(unpaid.id)?.slice(2)).toEqual([
      false,
      'blocked: insufficient balance: need 3 TSEED, have 0',
    ])
    expect(relay.stats.groupCommits.groups).toBe(1)
    expect(durable.announces()).toEqual([paid.id])
    expect(ledger.balances(rich.pubkey).TSEED).toBe(tseed - 3n)
    expect(ledger.history(rich.pubkey, 10).map((p) => p.ref)).toContain(`announce:${paid.id}`)
    expect(ledger.history(poor.pubkey, 10)).toEqual([])
    expect(ledger.audit().ok).toBe(true)
  })
})
