import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  HASH_A,
  HASH_B,
  newKey,
  RecordingClient,
  signAnnounce,
  signEvent,
} from '../../tests/fixtures'
import { MemoryAnnounceStore } from '../store/memory-store'
import { SqliteTorrentIndex } from '../store/torrent-index'
import { BLOCKED_KIND_MESSAGE, Relay } from './relay'
import { createWasmVerifier, type Verifier } from './verifier'

const T0 = 1_700_000_000
const silent = { warn: () => undefined, error: () => undefined }
let verifier: Verifier

beforeAll(async () => {
  verifier = await createWasmVerifier()
})

function relayWith(index?: SqliteTorrentIndex): Relay {
  return new Relay({
    store: new MemoryAnnounceStore(),
    verifier,
    clock: () => T0 * 1000,
    logger: silent,
    ...(index === undefined ? {} : { torrents: index }),
  })
}

async function publish(relay: Relay, ev: { id: string }) {
  const c = new RecordingClient()
  await relay.handleMessage(c, JSON.stringify(['EVENT', ev]))
  const ok = c.ok(ev.id)!
  return { accepted: ok[2], message: ok[3] }
}

async function req(relay: Relay, ...filters: unknown[]) {
  const c = new RecordingClient()
  await relay.handleMessage(c, JSON.stringify(['REQ', 'q', ...filters]))
  expect(c.of('EOSE')).toHaveLength(1)
  return c.events('q')
}

const torrent = (sk: Uint8Array, ih = HASH_A, at = T0, tags: string[][] = []) =>
  signEvent(sk, 2003, at, [['title', 'Ubuntu'], ['x', ih], ['file', 'u.iso', '4096'], ...tags])

describe('Relay: NIP-35 torrent events (kind 2003)', () => {
  it('refuses them when no torrent index is configured', async () => {
    expect(await publish(relayWith(), torrent(newKey().sk))).toEqual({
      accepted: false,
      message: BLOCKED_KIND_MESSAGE,
    })
  })

  it('keeps a valid one and answers #x next to #i announces in one REQ', async () => {
    const relay = relayWith(new SqliteTorrentIndex(new Database(':memory:')))
    const alice = newKey()
    const meta = torrent(alice.sk)
    const ann = signAnnounce(alice.sk, T0 - 5)
    expect(await publish(relay, meta)).toEqual({ accepted: true, message: '' })
    expect(await publish(relay, ann)).toEqual({ accepted: true, message: '' })
    expect(await publish(relay, meta)).toEqual({
      accepted: true,
      message: 'duplicate: already have this event',
    })
    const got = await req(
      relay,
      { kinds: [21000], '#i': [HASH_A, HASH_B], since: T0 - 3600 },
      { kinds: [2003], '#x': [HASH_A, HASH_B] },
    )
    expect(got.map((e) => e.id).sort()).toEqual([meta.id, ann.id].sort())
    // One filter over both kinds: one limit, newest first across them.
    expect((await req(relay, { limit: 1 })).map((e) => e.id)).toEqual([meta.id])
    expect(await req(relay, { kinds: [2003], '#x': [HASH_B] })).toEqual([])
  })

  it('refuses malformed ones with the parser’s reason and a bad signature as invalid', async () => {
    const relay = relayWith(new SqliteTorrentIndex(new Database(':memory:')))
    const sk = newKey().sk
    expect(await publish(relay, signEvent(sk, 2003, T0, [['title', 'no hash']]))).toEqual({
      accepted: false,
      message: 'invalid: missing x tag (info hash)',
    })
    const upper = signEvent(sk, 2003, T0, [['x', HASH_A.toUpperCase()]])
    expect((await publish(relay, upper)).message).toBe(
      'invalid: x must be a 40-char lowercase hex info hash',
    )
    const forged = { ...torrent(sk), sig: '0'.repeat(128) }
    expect(await publish(relay, forged)).toEqual({
      accepted: false,
      message: 'invalid: bad signature',
    })
  })

  it('sends a new one to an open subscription and refuses past the per-author cap', async () => {
    const relay = relayWith(new SqliteTorrentIndex(new Database(':memory:'), { maxPerAuthor: 1 }))
    const reader = new RecordingClient()
    await relay.handleMessage(reader, JSON.stringify(['REQ', 'live', { kinds: [2003] }]))
    const alice = newKey()
    const first = torrent(alice.sk)
    expect((await publish(relay, first)).accepted).toBe(true)
    expect(reader.events('live').map((e) => e.id)).toEqual([first.id])
    expect(await publish(relay, torrent(alice.sk, HASH_B))).toEqual({
      accepted: false,
      message: 'blocked: this key has published as many torrent events as the relay keeps',
    })
  })
})
