import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { createActivityLog } from './activity-log'
import type { DrainScheduler } from './drain-scheduler'
import { createHandlers } from './handlers'
import { createOutbox } from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import { createRelayPool, type RelayLink } from './relay-pool'
import { createSettings } from './settings'
import { createSessionKeyIdentity } from './signer/session-key-identity'
import { createMemoryStorageArea } from './storage-item'

let n = 0
const dbs: OutboxDb[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
})

async function setup() {
  const db = await openOutboxDb(`handlers-test-${++n}`)
  dbs.push(db)
  const outbox = createOutbox(db)
  const drains: boolean[] = []
  const scheduler: DrainScheduler = {
    request: (force = false) => {
      drains.push(force)
      return Promise.resolve({ nextWakeAt: null, waitingForKey: false })
    },
    last: () => undefined,
  }
  const connects: string[] = []
  const pool = createRelayPool({
    factory: (url): RelayLink => {
      connects.push(url)
      return {
        connected: false,
        onclose: null,
        // nostr-tools rejects a failed connect with a plain string, not an Error.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        connect: () => Promise.reject('connection failed'),
        publish: () => Promise.resolve(''),
        auth: () => Promise.resolve(''),
        close: () => undefined,
      }
    },
    now: () => 0,
    random: () => 0.5,
  })
  const session = createMemoryStorageArea()
  const local = createMemoryStorageArea()
  const handlers = createHandlers({
    ready: Promise.resolve(),
    identity: createSessionKeyIdentity({ sessionArea: session }),
    settings: createSettings(local),
    outbox,
    pool,
    scheduler,
    activity: createActivityLog(),
    now: () => 0,
  })
  return { handlers, outbox, drains, connects, session, local }
}

describe('createHandlers', () => {
  it('reports the initial state: no key, the default relay, nothing queued', async () => {
    const { handlers } = await setup()
    const state = await handlers.getState()
    expect(state).toMatchObject({ pubkey: null, npub: null, pendingCount: 0, waitingForKey: false })
    expect(state.relays.map((r) => r.url)).toEqual(['ws://127.0.0.1:7447'])
  })

  it('probes configured relays while a page watches, so their state is live', async () => {
    const { handlers, connects } = await setup()
    await handlers.getState()
    await new Promise((r) => setTimeout(r, 0))
    const state = await handlers.getState()
    expect(connects).toEqual(['ws://127.0.0.1:7447'])
    expect(state.relays[0]).toEqual({
      url: 'ws://127.0.0.1:7447',
      state: 'error',
      error: 'connection failed',
    })
  })

  it('generates and imports keys, keeping them out of local storage, and drains after', async () => {
    const { handlers, drains, local, session } = await setup()
    const generated = await handlers.generateKey()
    expect(generated.npub).toMatch(/^npub1/)
    expect((await handlers.getState()).pubkey).toBe(generated.pubkey)
    const imported = await handlers.importKey({ key: '01'.repeat(32) })
    expect(imported.pubkey).not.toBe(generated.pubkey)
    expect(JSON.stringify(local.dump())).not.toContain('01'.repeat(32))
    expect(session.dump()).toEqual({ secretKey: '01'.repeat(32) })
    expect(drains).toEqual([false, false])
  })

  it('rejects a bad key with a clear message', async () => {
    const { handlers } = await setup()
    await expect(handlers.importKey({ key: 'hello' })).rejects.toThrow(
      '64 hex characters or starts with nsec1',
    )
    await expect(handlers.importKey({} as { key: string })).rejects.toThrow('key must be a string')
  })

  it('edits the relay list and validates it', async () => {
    const { handlers, drains } = await setup()
    expect(await handlers.addRelay({ url: 'wss://r.example/' })).toEqual([
      'ws://127.0.0.1:7447',
      'wss://r.example',
    ])
    expect(await handlers.removeRelay({ url: 'ws://127.0.0.1:7447' })).toEqual(['wss://r.example'])
    expect(await handlers.setRelays({ relays: ['ws://a', 'ws://b'] })).toEqual(['ws://a', 'ws://b'])
    await expect(handlers.addRelay({ url: 'http://x' })).rejects.toThrow('ws:// or wss://')
    await expect(handlers.setRelays({ relays: 'ws://a' as unknown as string[] })).rejects.toThrow(
      'relays must be a list',
    )
    expect(drains).toHaveLength(3)
  })

  it('retries now with a forced drain', async () => {
    const { handlers, drains } = await setup()
    expect(await handlers.retryNow()).toEqual({ pendingCount: 0 })
    expect(drains).toEqual([true])
  })
})
