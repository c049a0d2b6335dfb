/**
 * The extension counts a swarm from the relay's REQ answer with
 * `src/nostr/swarm-stats.ts`; the ledger counts it from its own state table
 * to price announces. Random announce sequences (sessions, seeders turning
 * leechers, stops, equal timestamps, stale and late events, an hour and more
 * passing) go through the real relay core with the ledger as its policy, and
 * after every step both counts must agree for every swarm.
 */
import Database from 'better-sqlite3'
import { getEventHash, getPublicKey } from 'nostr-tools/pure'
import type { NostrEvent } from 'nostr-tools/core'
import { expect, it } from 'vitest'
import { DEFAULT_RARITY } from '../../../src/balance/pricing'
import { toEventTemplate, type Kind21000Announce } from '../../../src/nostr/kind21000'
import { countSwarms, peerAnnounce, PEER_TTL_SECONDS } from '../../../src/nostr/swarm-stats'
import { RecordingClient } from '../../tests/fixtures'
import { Relay } from '../core/relay'
import { seeded } from '../fuzz/prng'
import { SqliteAnnounceStore } from '../store/sqlite-store'
import { Ledger } from './ledger'

const STEPS = 600
const T0 = 1_700_000_000
const SWARMS = ['a'.repeat(40), 'b'.repeat(40)]
const SESSIONS = ['1'.repeat(32), '2'.repeat(32), undefined]

it(`the ledger and the REQ answer count every swarm alike over ${STEPS} random announces`, async () => {
  const rnd = seeded(0x5ea3)
  let now = T0
  const db = new Database(':memory:')
  const store = new SqliteAnnounceStore(db)
  const ledger = new Ledger(db, {
    clock: () => now,
    pricing: { baseTokensPerMB: 1n, rarity: DEFAULT_RARITY },
  })
  // Ids are real hashes; signatures are not what this test is about.
  const relay = new Relay({
    store,
    verifier: { verify: () => Promise.resolve(true) },
    policy: ledger.announcePolicy(),
    clock: () => now * 1000,
    logger: { warn: () => undefined, error: () => undefined },
  })
  const keys = Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(i + 1))
  const pubkeys = keys.map((k) => getPublicKey(k))
  const client = new RecordingClient()
  let sub = 0
  let accepted = 0
  let nonZero = 0

  for (let step = 0; step < STEPS; step++) {
    const r = rnd.between(0, 99)
    if (r < 8) now += rnd.between(600, 2 * PEER_TTL_SECONDS)
    else if (r < 40) now += rnd.between(1, 120)
    const announce: Kind21000Announce = {
      infoHash: rnd.pick(SWARMS),
      uploaded: 0n,
      downloaded: 0n,
      // Seeding (0) about a third of the time, so pubkeys switch between seeder and leecher.
      left: rnd.between(0, 2) === 0 ? 0n : BigInt(rnd.between(1, 10_000)),
    }
    const session = rnd.pick(SESSIONS)
    if (session !== undefined) announce.session = session
    const e = rnd.between(0, 9)
    if (e === 0) announce.event = 'stopped'
    else if (e === 1) announce.event = 'started'
    // Some arrive late, some share a second with the session's previous announce.
    const createdAt = now - rnd.pick([0, 0, 0, 1, 30, 700])
    const who = rnd.between(0, keys.length - 1)
    const template = toEventTemplate(announce, createdAt)
    const unsigned = { ...template, pubkey: pubkeys[who]! }
    const ev: NostrEvent = { ...unsigned, id: getEventHash(unsigned), sig: '0'.repeat(128) }
    await relay.handleMessage(client, JSON.stringify(['EVENT', ev]))
    if (client.ok(ev.id)?.[2] === true) accepted++

    for (const ih of SWARMS) {
      const subId = `s${++sub}`
      const filter = { kinds: [21000], '#i': [ih], since: now - PEER_TTL_SECONDS }
      await relay.handleMessage(client, JSON.stringify(['REQ', subId, filter]))
      const events = client.events(subId)
      await relay.handleMessage(client, JSON.stringify(['CLOSE', subId]))
      const counted = countSwarms(events.map(peerAnnounce), now).get(ih) ?? {
        seeders: 0,
        leechers: 0,
      }
      const ledgerCount = ledger.swarmStats(ih, now)
      expect(counted, `step ${step}, swarm ${ih.slice(0, 4)}`).toEqual(ledgerCount)
      if (ledgerCount.seeders + ledgerCount.leechers > 1) nonZero++
    }
    client.clear()
  }
  // The sequence must actually exercise the counting, not compare empty swarms.
  expect(accepted).toBeGreaterThan(STEPS / 2)
  expect(nonZero).toBeGreaterThan(STEPS / 2)
  await store.close()
  db.close()
})
