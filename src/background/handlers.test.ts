import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { createActivityLog } from './activity-log'
import type { DrainScheduler } from './drain-scheduler'
import { createHandlers } from './handlers'
import { createOutbox } from './outbox'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import { createRelayPool, type RelayLink } from './relay-pool'
import { createSettings } from './settings'
import { createTrackerAnswers } from './tracker-answers'
import { createAutoLock } from './signer/auto-lock'
import { createEncryptedKeyIdentity } from './signer/encrypted-key-identity'
import { createSigningIdentity } from './signer/identity'
import { createMemoryStorageArea } from './storage-item'
import { createRelayLimits } from './relay-limits'
import { createTseedRelayDirectory } from './tseed-relays'
import { createWallet } from './wallet/wallet'
import WebSocket from 'ws'
import { testConsent } from './testing/consent'

let n = 0
const PASSWORD = 'password1'
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
  // A cheap scrypt keeps the test fast; the real cost is tested in encrypted-key-identity.test.ts.
  const localKey = createEncryptedKeyIdentity({ localArea: local, sessionArea: session, logN: 4 })
  const identity = createSigningIdentity({
    local: localKey,
    area: local,
    // No tab and no bunker in these tests; signing-identity.test.ts covers both.
    nip07: {
      executeInTab: () => Promise.resolve(undefined),
      candidateTabs: () => Promise.resolve([]),
    },
    bunker: {},
  })
  const settings = createSettings(local)
  // No relay answers HTTP here: limits come back as per-relay errors.
  const noHttp = (): Promise<Response> => Promise.reject(new Error('no http here'))
  let limitDefaults = 0
  const handlers = createHandlers({
    ready: Promise.resolve(),
    identity,
    settings,
    outbox,
    pool,
    scheduler,
    activity: createActivityLog(),
    autoLock: createAutoLock({
      identity: localKey,
      localArea: local,
      sessionArea: session,
      now: () => 0,
      warn: () => undefined,
    }),
    consent: testConsent(outbox, {
      area: local,
      onReleased: () => {
        drains.push(false)
      },
    }),
    wallet: createWallet({
      // No website tab in this test: WebLN is tested in webln-payer.test.ts.
      tabs: {
        executeInTab: () => Promise.resolve(undefined),
        candidateTabs: () => Promise.resolve([]),
      },
      localArea: local,
      sessionArea: session,
      directory: createTseedRelayDirectory({ fetch: noHttp, now: () => 0 }),
      fetch: noHttp,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      relays: () => settings.relays.get(),
      identity,
      outbox,
      now: () => 0,
      onReleased: () => undefined,
      onFundsMissing: () => undefined,
      warn: () => undefined,
    }),
    directory: createTseedRelayDirectory({ fetch: noHttp, now: () => 0 }),
    fetch: noHttp,
    relayLimits: createRelayLimits({
      directory: createTseedRelayDirectory({ fetch: noHttp, now: () => 0 }),
      fetch: noHttp,
      relays: () => settings.relays.get(),
      signer: () => identity.signer(),
      pubkey: () => identity.pubkey(),
      area: local,
      now: () => 0,
      warn: () => undefined,
    }),
    applyDefaultRelayLimits: () => {
      limitDefaults++
    },
    trackerAnswers: createTrackerAnswers(),
    now: () => 0,
  })
  return {
    handlers,
    outbox,
    drains,
    connects,
    session,
    local,
    limitDefaults: () => limitDefaults,
  }
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
      // No relay answers NIP-11 here.
      kind: 'unknown',
    })
  })

  it('generates and imports keys, keeping them out of local storage, and drains after', async () => {
    const { handlers, drains, local, session, limitDefaults } = await setup()
    const generated = await handlers.generateKey({ password: PASSWORD })
    expect(generated.npub).toMatch(/^npub1/)
    expect((await handlers.getState()).pubkey).toBe(generated.pubkey)
    const imported = await handlers.importKey({ key: '01'.repeat(32), password: PASSWORD })
    expect(imported.pubkey).not.toBe(generated.pubkey)
    expect(JSON.stringify(local.dump())).not.toContain('01'.repeat(32))
    expect(JSON.stringify(local.dump())).toContain('ncryptsec1')
    expect(session.dump()).toMatchObject({ secretKey: '01'.repeat(32) })
    expect(drains).toEqual([false, false])
    // Each new key gets the relay's default spending limit.
    expect(limitDefaults()).toBe(2)
  })

  it('rejects a bad key with a clear message', async () => {
    const { handlers } = await setup()
    await expect(handlers.importKey({ key: 'hello', password: PASSWORD })).rejects.toThrow(
      '64 hex characters or starts with nsec1',
    )
    await expect(
      handlers.importKey({ password: PASSWORD } as { key: string; password: string }),
    ).rejects.toThrow('key must be a string')
    await expect(handlers.importKey({ key: '01'.repeat(32), password: 'short' })).rejects.toThrow(
      'at least 8 characters',
    )
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

describe('consent routes', () => {
  const heldEntry = (origin: string, downloaded: bigint) => ({
    announce: {
      infoHash: 'ab'.repeat(20),
      uploaded: 0n,
      downloaded,
      left: 1n,
      session: 'cd'.repeat(16),
    },
    site: new URL(origin).host,
    origin,
    trackerHost: 'tracker.test',
    seenAt: 0,
    gate: {
      state: 'held' as const,
      reasons: [{ kind: 'new-site' as const }],
      estimate: {
        tokens: (downloaded / 1_000_000n).toString(),
        bytes: downloaded.toString(),
        exact: true,
      },
      heldAt: 0,
    },
  })

  it('shows a held announce as a prompt and publishes it on "allow once" without deciding the site', async () => {
    const { handlers, outbox, drains } = await setup()
    const e = await outbox.add(heldEntry('https://a.test', 5_000_000n), ['ws://a'])
    const before = await handlers.getState()
    expect(before.held.map((h) => [h.id, h.origin, h.estimate.tokens])).toEqual([
      [e.id, 'https://a.test', '5'],
    ])
    expect(before.pendingCount).toBe(0)

    expect(await handlers.decideHeld({ id: e.id, choice: 'allow-once' })).toEqual({
      released: 1,
      dropped: 0,
    })
    const after = await handlers.getState()
    expect(after.held).toEqual([])
    expect(after.pendingCount).toBe(1)
    expect(after.sites).toEqual([])
    expect(drains).toEqual([false])
    await expect(handlers.decideHeld({ id: e.id, choice: 'allow-once' })).rejects.toThrow(
      'no longer waiting',
    )
  })

  it('"allow this site" records the decision and counts the spend against its budget', async () => {
    const { handlers, outbox } = await setup()
    const e = await outbox.add(heldEntry('https://a.test', 5_000_000n), ['ws://a'])
    await handlers.decideHeld({ id: e.id, choice: 'allow-site' })
    const { sites } = await handlers.getState()
    expect(sites).toEqual([
      {
        origin: 'https://a.test',
        decision: 'allow',
        decidedAt: 0,
        dailyBudget: '100',
        customBudget: false,
        spentToday: '5',
        replace: false,
      },
    ])
  })

  it('"block this site" drops its held announces, and settings can undo the decision', async () => {
    const { handlers, outbox } = await setup()
    const a = await outbox.add(heldEntry('https://a.test', 1n), ['ws://a'])
    const b = await outbox.add(
      {
        ...heldEntry('https://a.test', 2n),
        announce: { ...heldEntry('https://a.test', 2n).announce, session: 'ef'.repeat(16) },
      },
      ['ws://a'],
    )
    expect(await handlers.decideHeld({ id: a.id, choice: 'block-site' })).toEqual({
      released: 0,
      dropped: 2,
    })
    expect((await outbox.get(b.id))?.gate).toMatchObject({
      state: 'dropped',
      reason: 'site-blocked',
    })
    expect((await handlers.getState()).sites.map((s) => s.decision)).toEqual(['block'])
    await handlers.setSiteDecision({ origin: 'https://a.test/some/page', decision: 'ask' })
    expect((await handlers.getState()).sites).toEqual([])
  })

  it('validates what the popup sends', async () => {
    const { handlers } = await setup()
    await expect(
      handlers.decideHeld({ id: 'x' as unknown as number, choice: 'allow-once' }),
    ).rejects.toThrow('id must be an announce id')
    await expect(handlers.decideHeld({ id: 1, choice: 'pay' as 'allow-once' })).rejects.toThrow(
      'unknown choice',
    )
    await expect(
      handlers.setSiteDecision({ origin: 'chrome://settings', decision: 'allow' }),
    ).rejects.toThrow('only http and https')
    await expect(
      handlers.setSiteDecision({ origin: 'https://a.test', decision: 'maybe' as 'allow' }),
    ).rejects.toThrow('allow, block or ask')
    await expect(
      handlers.setSiteBudget({ origin: 'https://a.test', dailyBudget: '5' }),
    ).rejects.toThrow('has no decision')
    await expect(
      handlers.setSpending({ dailyBudget: '1.5', confirmAbove: '1', lineMbps: '10' }),
    ).rejects.toThrow('whole number of TSEED')
    await expect(
      handlers.setSpending({ dailyBudget: '1', confirmAbove: '1', lineMbps: '0' }),
    ).rejects.toThrow('between 1 and')
    expect(
      await handlers.setSpending({ dailyBudget: '50', confirmAbove: '10', lineMbps: '100' }),
    ).toEqual({
      dailyBudget: '50',
      confirmAbove: '10',
      lineMbps: 100,
    })
    expect((await handlers.getState()).spending.dailyBudget).toBe('50')
  })

  it('replace mode is set per allowed site, shown in the site list, and goes with a block', async () => {
    const { handlers } = await setup()
    await expect(
      handlers.setSiteReplace({ origin: 'https://a.test', replace: true }),
    ).rejects.toThrow('https://a.test is not an allowed site; allow it first')
    await handlers.setSiteDecision({ origin: 'https://a.test', decision: 'allow' })
    expect((await handlers.getState()).sites[0]?.replace).toBe(false)
    expect(await handlers.setSiteReplace({ origin: 'https://a.test/x', replace: true })).toEqual({
      origin: 'https://a.test',
      replace: true,
    })
    expect((await handlers.getState()).sites[0]?.replace).toBe(true)
    await expect(
      handlers.setSiteReplace({ origin: 'https://a.test', replace: 'yes' as unknown as boolean }),
    ).rejects.toThrow('replace must be true or false')
    await handlers.setSiteDecision({ origin: 'https://a.test', decision: 'block' })
    expect((await handlers.getState()).sites[0]?.replace).toBe(false)
  })

  it('a site budget can be set and restored to the default', async () => {
    const { handlers } = await setup()
    await handlers.setSiteDecision({ origin: 'https://a.test', decision: 'allow' })
    await handlers.setSiteBudget({ origin: 'https://a.test', dailyBudget: '7' })
    expect((await handlers.getState()).sites[0]).toMatchObject({
      dailyBudget: '7',
      customBudget: true,
    })
    await handlers.setSiteBudget({ origin: 'https://a.test', dailyBudget: '' })
    expect((await handlers.getState()).sites[0]).toMatchObject({
      dailyBudget: '100',
      customBudget: false,
    })
  })
})

describe('key routes', () => {
  it('locks, refuses a wrong password, unlocks, exports only with the password', async () => {
    const { handlers, session } = await setup()
    const { pubkey } = await handlers.generateKey({ password: PASSWORD })
    expect((await handlers.getState()).keyState).toBe('unlocked')
    await handlers.lockKey()
    const locked = await handlers.getState()
    expect(locked).toMatchObject({ keyState: 'locked', pubkey })
    expect(session.dump().secretKey).toBeUndefined()
    await expect(handlers.unlockKey({ password: 'wrong one' })).rejects.toThrow('Wrong password')
    await expect(handlers.exportKey({ password: 'wrong one' })).rejects.toThrow('Wrong password')
    expect((await handlers.unlockKey({ password: PASSWORD })).pubkey).toBe(pubkey)
    const exported = await handlers.exportKey({ password: PASSWORD })
    expect(exported.nsec).toMatch(/^nsec1/)
    expect(exported.ncryptsec).toMatch(/^ncryptsec1/)
  })

  it('validates the auto-lock time', async () => {
    const { handlers } = await setup()
    expect(await handlers.setAutoLock({ minutes: 15 })).toEqual({ minutes: 15 })
    expect((await handlers.getState()).autoLockMinutes).toBe(15)
    await expect(handlers.setAutoLock({ minutes: -1 })).rejects.toThrow('whole number')
    await expect(handlers.setAutoLock({ minutes: 1.5 })).rejects.toThrow('whole number')
  })
})
