import type { NostrEvent } from 'nostr-tools/core'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  HASH_A,
  HASH_B,
  newKey,
  RecordingClient,
  SESSION_2,
  signAnnounce,
  signEvent,
} from '../../tests/fixtures'
import type { Filter } from './filters'
import { MemoryAnnounceStore } from '../store/memory-store'
import type { AnnouncePolicy } from './announce-policy'
import { BLOCKED_KIND_MESSAGE, Relay, type RelayOptions } from './relay'
import { createWasmVerifier, type Verifier } from './verifier'

const T0 = 1_700_000_000
let verifier: Verifier
let clockMs: number
let store: MemoryAnnounceStore
const silent = { warn: () => undefined, error: () => undefined }

beforeAll(async () => {
  verifier = await createWasmVerifier()
})

beforeEach(() => {
  clockMs = T0 * 1000
  store = new MemoryAnnounceStore()
})

function makeRelay(opts: Partial<RelayOptions> = {}): Relay {
  return new Relay({ store, verifier, clock: () => clockMs, logger: silent, ...opts })
}

async function publish(relay: Relay, client: RecordingClient, ev: unknown) {
  await relay.handleMessage(client, JSON.stringify(['EVENT', ev]))
  const id = (ev as { id: string }).id
  const ok = client.ok(id)
  if (ok === undefined) throw new Error(`no OK for ${id}: ${JSON.stringify(client.messages)}`)
  return { accepted: ok[2], message: ok[3] }
}

async function req(relay: Relay, client: RecordingClient, subId: string, ...filters: unknown[]) {
  await relay.handleMessage(client, JSON.stringify(['REQ', subId, ...filters]))
  return client.events(subId)
}

const swarm = (hash = HASH_A) => ({ kinds: [21000], '#i': [hash] })

describe('Relay: kind 21000 announces', () => {
  it('stores a valid announce and returns it for #i, then EOSE', async () => {
    const relay = makeRelay()
    const alice = newKey()
    const c = new RecordingClient()
    const ev = signAnnounce(alice.sk, T0)
    expect(await publish(relay, c, ev)).toEqual({ accepted: true, message: '' })

    const reader = new RecordingClient()
    expect(await req(relay, reader, 's', swarm())).toEqual([ev])
    expect(reader.messages.at(-1)).toEqual(['EOSE', 's'])
    expect(await req(relay, reader, 'other', swarm(HASH_B))).toEqual([])
  })

  it('keeps only the latest announce per (pubkey, info hash, session)', async () => {
    const relay = makeRelay()
    const { sk } = newKey()
    const c = new RecordingClient()
    const first = signAnnounce(sk, T0 - 60, { downloaded: 100n })
    const second = signAnnounce(sk, T0, { downloaded: 200n })
    const otherSession = signAnnounce(sk, T0 - 30, { session: SESSION_2 })
    await publish(relay, c, first)
    await publish(relay, c, second)
    await publish(relay, c, otherSession)
    const got = await req(relay, new RecordingClient(), 's', swarm())
    expect(got.map((e) => e.id)).toEqual([second.id, otherSession.id])

    // Replaying the older one changes nothing.
    expect(await publish(relay, c, first)).toEqual({
      accepted: true,
      message: 'duplicate: a newer announce of this session is already stored',
    })
    expect((await req(relay, new RecordingClient(), 's', swarm())).map((e) => e.id)).toEqual([
      second.id,
      otherSession.id,
    ])
  })

  it('breaks a created_at tie by the lower id, as NIP-01 does', async () => {
    const relay = makeRelay()
    const { sk } = newKey()
    const c = new RecordingClient()
    const a = signAnnounce(sk, T0, { downloaded: 1n })
    const b = signAnnounce(sk, T0, { downloaded: 2n })
    const [low, high] = a.id < b.id ? [a, b] : [b, a]
    await publish(relay, c, high)
    await publish(relay, c, low)
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([low])
    expect((await publish(relay, c, high)).message).toMatch(/^duplicate: /)
  })

  it('answers the same event twice with duplicate:', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    const ev = signAnnounce(newKey().sk, T0)
    await publish(relay, c, ev)
    c.clear()
    expect(await publish(relay, c, ev)).toEqual({
      accepted: true,
      message: 'duplicate: already have this event',
    })
  })

  it('refuses announces whose tags are not a valid announce', async () => {
    const relay = makeRelay()
    const { sk } = newKey()
    const c = new RecordingClient()
    const noCounter = signEvent(sk, 21000, T0, [
      ['i', HASH_A],
      ['uploaded', '0'],
      ['left', '0'],
    ])
    expect(await publish(relay, c, noCounter)).toEqual({
      accepted: false,
      message: 'invalid: missing downloaded tag',
    })
    const badHash = signEvent(sk, 21000, T0, [
      ['i', 'A'.repeat(40)],
      ['uploaded', '0'],
      ['downloaded', '0'],
      ['left', '0'],
    ])
    expect((await publish(relay, c, badHash)).message).toBe(
      'invalid: i must be 40 lowercase hex chars',
    )
  })

  it('refuses an announce older than the TTL and one already expired (NIP-40)', async () => {
    const relay = makeRelay({ announceTtlSeconds: 600 })
    const { sk } = newKey()
    const c = new RecordingClient()
    expect((await publish(relay, c, signAnnounce(sk, T0 - 600))).message).toBe(
      'invalid: announce is 600 s old, older than the 600 s TTL',
    )
    expect((await publish(relay, c, signAnnounce(sk, T0 - 10, { expiration: T0 }))).message).toBe(
      `invalid: event expired at ${T0} (NIP-40)`,
    )
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([])
  })

  it('drops announces from the swarm when the TTL or expiration passes', async () => {
    const relay = makeRelay({ announceTtlSeconds: 600 })
    const c = new RecordingClient()
    const ttl = signAnnounce(newKey().sk, T0)
    const short = signAnnounce(newKey().sk, T0, { expiration: T0 + 60 })
    await publish(relay, c, ttl)
    await publish(relay, c, short)
    expect(await req(relay, new RecordingClient(), 's', swarm())).toHaveLength(2)
    clockMs += 60_000
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([ttl])
    clockMs += 540_000
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([])
    expect(await relay.prune()).toBe(2)
  })

  it('lets a new announce replace an expired one with an older created_at', async () => {
    const relay = makeRelay({ announceTtlSeconds: 600 })
    const { sk } = newKey()
    const c = new RecordingClient()
    await publish(relay, c, signAnnounce(sk, T0, { expiration: T0 + 10 }))
    clockMs += 20_000
    const later = signAnnounce(sk, T0 - 5)
    expect(await publish(relay, c, later)).toEqual({ accepted: true, message: '' })
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([later])
  })
})

describe('Relay: the announce policy hook', () => {
  it('sends a refusal verbatim and neither stores nor broadcasts the announce', async () => {
    const seen: { pubkey: string; infoHash: string; clientId: string }[] = []
    const policy: AnnouncePolicy = (ev, announce, client) => {
      seen.push({ pubkey: ev.pubkey, infoHash: announce.infoHash, clientId: client.id })
      return Promise.resolve({
        accept: false,
        message: 'blocked: insufficient balance: need 5 TSEED, have 0',
      })
    }
    const relay = makeRelay({ policy })
    const watcher = new RecordingClient()
    await req(relay, watcher, 'live', swarm())
    const alice = newKey()
    const c = new RecordingClient()
    expect(await publish(relay, c, signAnnounce(alice.sk, T0))).toEqual({
      accepted: false,
      message: 'blocked: insufficient balance: need 5 TSEED, have 0',
    })
    expect(seen).toEqual([{ pubkey: alice.pubkey, infoHash: HASH_A, clientId: c.id }])
    expect(watcher.events('live')).toEqual([])
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([])
  })

  it('is not consulted for invalid, badly signed or duplicate announces', async () => {
    let calls = 0
    const relay = makeRelay({
      policy: () => {
        calls++
        return Promise.resolve({ accept: true })
      },
    })
    const { sk } = newKey()
    const c = new RecordingClient()
    const ev = signAnnounce(sk, T0)
    await publish(relay, c, { ...ev, sig: signAnnounce(sk, T0 + 1).sig })
    await publish(relay, c, ev)
    await publish(relay, c, ev)
    await publish(relay, c, signAnnounce(sk, T0 - 1))
    expect(calls).toBe(1)
  })

  it('never runs concurrently for one session, so a stale announce never reaches it', async () => {
    const calls: number[] = []
    let running = 0
    let overlap = false
    const relay = makeRelay({
      policy: async (ev) => {
        running++
        if (running > 1) overlap = true
        calls.push(ev.created_at)
        await new Promise((r) => setTimeout(r, 5))
        running--
        return { accept: true }
      },
    })
    const { sk } = newKey()
    const c = new RecordingClient()
    const newer = signAnnounce(sk, T0, { downloaded: 2n })
    const older = signAnnounce(sk, T0 - 10, { downloaded: 1n })
    await Promise.all([
      relay.handleMessage(c, JSON.stringify(['EVENT', newer])),
      relay.handleMessage(c, JSON.stringify(['EVENT', older])),
    ])
    expect(overlap).toBe(false)
    expect(calls).toEqual([T0])
    expect(c.ok(older.id)?.[3]).toMatch(/^duplicate: a newer announce/)
  })

  it('answers error: when the policy throws, and keeps serving', async () => {
    const relay = makeRelay({ policy: () => Promise.reject(new Error('ledger down')) })
    const c = new RecordingClient()
    expect(await publish(relay, c, signAnnounce(newKey().sk, T0))).toEqual({
      accepted: false,
      message: 'error: the announce could not be processed; try again',
    })
    const ev = signEvent(newKey().sk, 24133, T0)
    expect((await publish(relay, c, ev)).accepted).toBe(true)
  })
})

describe('Relay: event checks', () => {
  it('refuses a bad signature and a wrong id', async () => {
    const relay = makeRelay()
    const { sk } = newKey()
    const c = new RecordingClient()
    const ev = signAnnounce(sk, T0)
    const forged = { ...ev, sig: signAnnounce(sk, T0 + 1).sig }
    expect(await publish(relay, c, forged)).toEqual({
      accepted: false,
      message: 'invalid: bad signature',
    })
    const edited = { ...ev, tags: [...ev.tags, ['port', '6881']] }
    expect(await publish(relay, c, edited)).toEqual({
      accepted: false,
      message: 'invalid: id is not the sha256 of the serialized event',
    })
    expect(await req(relay, new RecordingClient(), 's', swarm())).toEqual([])
  })

  it('refuses wrong field types with the reason', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    const ev = signAnnounce(newKey().sk, T0)
    const numberTag = {
      ...ev,
      tags: [
        ['i', HASH_A],
        ['port', 6881],
      ],
    }
    expect(await publish(relay, c, numberTag)).toEqual({
      accepted: false,
      message: 'invalid: tag 1 holds a number; tag values must be strings',
    })
    expect((await publish(relay, c, { ...ev, kind: '21000' })).message).toMatch(/^invalid: kind/)
  })

  it('refuses created_at too far in the future', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    const ev = signEvent(newKey().sk, 24133, T0 + 901)
    expect((await publish(relay, c, ev)).message).toBe(
      'invalid: created_at is 901 s in the future, limit 900 s',
    )
    expect((await publish(relay, c, signEvent(newKey().sk, 24133, T0 + 900))).accepted).toBe(true)
  })

  it('blocks kinds that are neither announces nor ephemeral, and AUTH events', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    for (const kind of [0, 1, 3, 10002, 19999, 30000]) {
      expect(await publish(relay, c, signEvent(newKey().sk, kind, T0))).toEqual({
        accepted: false,
        message: BLOCKED_KIND_MESSAGE,
      })
    }
    expect((await publish(relay, c, signEvent(newKey().sk, 22242, T0))).message).toBe(
      'invalid: kind 22242 belongs in AUTH, never in EVENT',
    )
  })

  it('answers NOTICE when the message or the id cannot be read, and keeps serving', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    await relay.handleMessage(c, '["EVENT",{"id":')
    await relay.handleMessage(c, '["EVENT",{"id":"nothex"}]')
    await relay.handleMessage(c, '["COUNT","x",{}]')
    expect(c.of('NOTICE')).toEqual([
      ['NOTICE', 'invalid: message is not valid JSON'],
      ['NOTICE', 'invalid: EVENT needs an event object with a 64-char lowercase hex id'],
      ['NOTICE', 'invalid: unknown command "COUNT"'],
    ])
    const ev = signAnnounce(newKey().sk, T0)
    expect((await publish(relay, c, ev)).accepted).toBe(true)
  })

  it('answers an oversized event with OK false', async () => {
    const relay = makeRelay({ limits: { maxMessageBytes: 2048 } })
    const c = new RecordingClient()
    const big = signEvent(newKey().sk, 24133, T0, [], 'x'.repeat(3000))
    expect((await publish(relay, c, big)).message).toMatch(
      /^invalid: event too large: \d+ bytes, limit 2048$/,
    )
  })

  it('rate-limits a connection that sends too fast', async () => {
    const relay = makeRelay({ limits: { rateLimitBurst: 2, rateLimitPerSecond: 1 } })
    const c = new RecordingClient()
    const evs = [T0, T0 + 1, T0 + 2].map((t) => signEvent(newKey().sk, 24133, t))
    for (const ev of evs) await publish(relay, c, ev)
    expect(evs.map((ev) => c.ok(ev.id)?.[3])).toEqual([
      '',
      '',
      'rate-limited: more than 1 messages per second',
    ])
    await relay.handleMessage(c, JSON.stringify(['REQ', 's', {}]))
    expect(c.messages.at(-1)).toEqual([
      'CLOSED',
      's',
      'rate-limited: more than 1 messages per second',
    ])
    // Another connection has its own bucket.
    expect(
      (await publish(relay, new RecordingClient(), signEvent(newKey().sk, 24133, T0))).accepted,
    ).toBe(true)
    clockMs += 1000
    expect((await publish(relay, c, signEvent(newKey().sk, 24133, T0))).accepted).toBe(true)
  })

  it('answers error: when the store fails, and keeps serving', async () => {
    store = new MemoryAnnounceStore()
    const diskFull = () => {
      throw new Error('disk full')
    }
    store.writes.put = diskFull
    store.writes.replace = diskFull
    const relay = makeRelay()
    const c = new RecordingClient()
    expect(await publish(relay, c, signAnnounce(newKey().sk, T0))).toEqual({
      accepted: false,
      message: 'error: the announce could not be stored; try again',
    })
    expect((await publish(relay, c, signEvent(newKey().sk, 23194, T0))).accepted).toBe(true)
  })
})

describe('Relay: ephemeral events', () => {
  it('forwards to matching live subscriptions without storing', async () => {
    const relay = makeRelay()
    const wallet = newKey()
    const app = newKey()
    const walletConn = new RecordingClient()
    const bystander = new RecordingClient()
    await req(relay, walletConn, 'nwc', { kinds: [23194], '#p': [wallet.pubkey] })
    await req(relay, bystander, 'nwc', { kinds: [23194], '#p': [app.pubkey] })

    const request = signEvent(app.sk, 23194, T0, [['p', wallet.pubkey]], 'encrypted')
    const sender = new RecordingClient()
    expect(await publish(relay, sender, request)).toEqual({ accepted: true, message: '' })
    expect(walletConn.events('nwc')).toEqual([request])
    expect(bystander.events('nwc')).toEqual([])
    expect(await req(relay, new RecordingClient(), 'later', { kinds: [23194] })).toEqual([])

    // A replay is a duplicate and is not forwarded again.
    expect((await publish(relay, sender, request)).message).toBe(
      'duplicate: already have this event',
    )
    expect(walletConn.events('nwc')).toHaveLength(1)
  })

  it('accepts an ephemeral event nobody listens to', async () => {
    const relay = makeRelay()
    expect(await publish(relay, new RecordingClient(), signEvent(newKey().sk, 24133, T0))).toEqual({
      accepted: true,
      message: '',
    })
  })

  it('refuses a stale ephemeral event', async () => {
    const relay = makeRelay()
    const ev = signEvent(newKey().sk, 23195, T0 - 301)
    expect((await publish(relay, new RecordingClient(), ev)).message).toBe(
      'invalid: created_at is 301 s old; ephemeral events older than 300 s are refused',
    )
  })
})

describe('Relay: subscriptions', () => {
  it('delivers new announces live until CLOSE', async () => {
    const relay = makeRelay()
    const watcher = new RecordingClient()
    await req(relay, watcher, 'live', swarm())
    const c = new RecordingClient()
    const a = signAnnounce(newKey().sk, T0)
    const elsewhere = signAnnounce(newKey().sk, T0, { infoHash: HASH_B })
    await publish(relay, c, a)
    await publish(relay, c, elsewhere)
    expect(watcher.events('live')).toEqual([a])
    await relay.handleMessage(watcher, '["CLOSE","live"]')
    await publish(relay, c, signAnnounce(newKey().sk, T0))
    expect(watcher.events('live')).toEqual([a])
  })

  it('holds live events that arrive during the stored query until after EOSE', async () => {
    let release: () => void = () => undefined
    class SlowStore extends MemoryAnnounceStore {
      override async query(filter: Filter, now: number, limit: number): Promise<NostrEvent[]> {
        const events = await super.query(filter, now, limit)
        await new Promise<void>((r) => (release = r))
        return events
      }
    }
    store = new SlowStore()
    const relay = makeRelay()
    const c = new RecordingClient()
    const stored = signAnnounce(newKey().sk, T0 - 5)
    await publish(relay, c, stored)
    const watcher = new RecordingClient()
    const pending = relay.handleMessage(watcher, JSON.stringify(['REQ', 's', swarm()]))
    const live = signAnnounce(newKey().sk, T0)
    await publish(relay, c, live)
    expect(watcher.messages).toEqual([])
    release()
    await pending
    expect(watcher.messages).toEqual([
      ['EVENT', 's', stored],
      ['EOSE', 's'],
      ['EVENT', 's', live],
    ])
  })

  it('sends nothing for a subscription closed during its query', async () => {
    let release: () => void = () => undefined
    class SlowStore extends MemoryAnnounceStore {
      override async query(filter: Filter, now: number, limit: number): Promise<NostrEvent[]> {
        await new Promise<void>((r) => (release = r))
        return super.query(filter, now, limit)
      }
    }
    store = new SlowStore()
    const relay = makeRelay()
    const watcher = new RecordingClient()
    const pending = relay.handleMessage(watcher, JSON.stringify(['REQ', 's', swarm()]))
    await relay.handleMessage(watcher, '["CLOSE","s"]')
    release()
    await pending
    expect(watcher.messages).toEqual([])
    expect(relay.stats.subscriptions).toBe(0)
  })

  it('applies limit per filter, newest first, and limit 0 sends only EOSE', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    const evs = [0, 1, 2, 3].map((i) => signAnnounce(newKey().sk, T0 - i))
    for (const ev of evs) await publish(relay, c, ev)
    expect(await req(relay, new RecordingClient(), 's', { ...swarm(), limit: 2 })).toEqual(
      evs.slice(0, 2),
    )
    const r = new RecordingClient()
    await req(relay, r, 'z', { ...swarm(), limit: 0 })
    expect(r.messages).toEqual([['EOSE', 'z']])
    // Two filters that overlap send each event once.
    const both = await req(
      relay,
      new RecordingClient(),
      'o',
      { authors: [evs[3]!.pubkey] },
      swarm(),
    )
    expect(both.map((e) => e.id).sort()).toEqual(evs.map((e) => e.id).sort())
  })

  it('answers bad REQs with CLOSED and the reason', async () => {
    const relay = makeRelay({ limits: { maxSubscriptions: 1, maxFilters: 2 } })
    const c = new RecordingClient()
    await relay.handleMessage(c, JSON.stringify(['REQ', 'a', { '#i': [7] }]))
    await relay.handleMessage(c, JSON.stringify(['REQ', 'b', {}, {}, {}]))
    await relay.handleMessage(c, JSON.stringify(['REQ', 'c', swarm()]))
    await relay.handleMessage(c, JSON.stringify(['REQ', 'd', swarm()]))
    await relay.handleMessage(c, JSON.stringify(['REQ', 'c', { kinds: [24133] }]))
    expect(c.of('CLOSED')).toEqual([
      ['CLOSED', 'a', 'invalid: #i must hold short strings'],
      ['CLOSED', 'b', 'invalid: 3 filters, limit 2'],
      ['CLOSED', 'd', 'rate-limited: 1 subscriptions are open on this connection; CLOSE one first'],
    ])
    expect(c.of('EOSE')).toEqual([
      ['EOSE', 'c'],
      ['EOSE', 'c'],
    ])
  })

  it('forgets a client and its subscriptions on disconnect', async () => {
    const relay = makeRelay()
    const c = new RecordingClient()
    await req(relay, c, 'a', swarm())
    await req(relay, c, 'b', { kinds: [24133] })
    expect(relay.stats).toMatchObject({ clients: 1, subscriptions: 2 })
    relay.disconnect(c)
    expect(relay.stats).toMatchObject({ clients: 0, subscriptions: 0 })
    await publish(relay, new RecordingClient(), signAnnounce(newKey().sk, T0))
    expect(c.events('a')).toEqual([])
  })
})
