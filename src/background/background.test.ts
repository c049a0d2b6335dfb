import 'fake-indexeddb/auto'
import { createDnrReplacer } from './replace/dnr-rules'
import { createFakeDnr } from './testing/fake-dnr'
import { AbstractRelay } from 'nostr-tools/abstract-relay'
import { verifyEvent } from 'nostr-tools/pure'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createBackground } from './background'
import type { AlarmsLike } from './drain-scheduler'
import type { StateView } from './messages'
import { openOutboxDb, type OutboxDb } from './outbox-db'
import { createMemoryStorageArea } from './storage-item'
import { startFakeNostrRelay, type FakeNostrRelay } from './testing/fake-nostr-relay'

const BASE = 'chrome-extension://ourid/'
const POPUP = { id: 'ourid', url: BASE + 'src/popup/index.html' }
const SITE = { initiator: 'http://127.0.0.1:8080' }

let n = 0
const dbs: OutboxDb[] = []
const relays: FakeNostrRelay[] = []
const timers = new Set<ReturnType<typeof setTimeout>>()
afterEach(async () => {
  for (const t of timers) clearTimeout(t)
  timers.clear()
  for (const db of dbs.splice(0)) db.close()
  for (const r of relays.splice(0)) await r.stop()
})

const noAlarms: AlarmsLike = {
  create: () => undefined,
  get: () => Promise.resolve(undefined),
  clear: () => Promise.resolve(true),
}

function announceUrl(hashByte: string, uploaded: number): string {
  return (
    `http://127.0.0.1:8080/announce?info_hash=${`%${hashByte}`.repeat(20)}` +
    `&peer_id=-WW0001-abcdefghijkl&port=6881&uploaded=${uploaded}&downloaded=0&left=5&event=started`
  )
}

async function setup(
  sessionArea = createMemoryStorageArea(),
  localArea = createMemoryStorageArea(),
  dbName = `background-test-${++n}`,
) {
  const warnings: string[] = []
  const dnr = createFakeDnr()
  const notifications: { title: string; message: string }[] = []
  const badges: number[] = []
  const bg = createBackground({
    runtimeId: 'ourid',
    extensionBase: BASE,
    localArea,
    sessionArea,
    openDb: async () => {
      const db = await openOutboxDb(dbName)
      dbs.push(db)
      return db
    },
    relayFactory: (url) =>
      new AbstractRelay(url, {
        verifyEvent,
        websocketImplementation: WebSocket as unknown as typeof globalThis.WebSocket,
      }),
    alarms: noAlarms,
    now: () => Date.now(),
    random: () => 0.5,
    randomBytes: (k) => new Uint8Array(k).fill(7),
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, ms)
      timers.add(t)
      return t
    },
    clearTimer: (t) => {
      clearTimeout(t as ReturnType<typeof setTimeout>)
    },
    warn: (m) => warnings.push(m),
    // No relay here serves NIP-11: prices fall back to the default, and say so.
    fetch: () => Promise.reject(new Error('no http here')),
    tabUrl: () => Promise.resolve(undefined),
    replacePlatform: (d) => createDnrReplacer({ ...d, dnr }),
    notify: (n) => notifications.push(n),
    setBadge: (b) => badges.push(b.held),
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    nip07: {
      executeInTab: () => Promise.resolve(undefined),
      candidateTabs: () => Promise.resolve([]),
    },
  })
  await bg.start()
  const call = async <T>(type: string, params?: unknown): Promise<T> => {
    const reply = await bg.onMessage({ type, params }, POPUP)
    if (!reply.ok) throw new Error(reply.error)
    return reply.data as T
  }
  return { bg, call, localArea, sessionArea, warnings, dbName, notifications, badges, dnr }
}

const until = async (what: string, cond: () => Promise<boolean> | boolean): Promise<void> => {
  for (let i = 0; i < 300; i++) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('createBackground', () => {
  it('installs a replace rule for a replace-mode site, answers a failure when no relay helps, and drops it with the tab', async () => {
    const { bg, call, dnr } = await setup()
    await call('setRelays', { relays: ['ws://127.0.0.1:1'] })
    await call('setSiteDecision', { origin: SITE.initiator, decision: 'allow' })
    await call('generateKey', { password: 'password1' })
    bg.onRequest({ url: announceUrl('22', 1), ...SITE, tabId: 5 })
    await new Promise((r) => setTimeout(r, 50))
    expect(dnr.rules.size).toBe(0)
    await call('setSiteReplace', { origin: SITE.initiator, replace: true })
    bg.onRequest({ url: announceUrl('22', 2), ...SITE, tabId: 5 })
    await until('the rule is installed', () => dnr.rules.size === 1)
    const rule = [...dnr.rules.values()][0]!
    expect(rule.condition.tabIds).toEqual([5])
    const body = Buffer.from(rule.action.redirect.url.split(',')[1]!, 'base64').toString('latin1')
    expect(body).toMatch(/^d14:failure reason\d+:TSEED relay: ws:\/\/127\.0\.0\.1:1: /)
    const state = await call<StateView>('getState')
    expect(state.activity[0]).toMatchObject({ kind: 'replace', host: '127.0.0.1:8080' })
    bg.onTabGone(5)
    await until('the rule is gone', () => dnr.rules.size === 0)
    // Blocking the site, from anywhere, ends its replace mode and its rules.
    bg.onRequest({ url: announceUrl('22', 3), ...SITE, tabId: 6 })
    await until('a rule for the new tab', () => dnr.rules.size === 1)
    await call('setSiteDecision', { origin: SITE.initiator, decision: 'block' })
    await until('the rule is gone with the block', () => dnr.rules.size === 0)
  })

  it('queues announces without a key and publishes them, signed, once a key exists', async () => {
    const relay = await startFakeNostrRelay()
    relays.push(relay)
    const { bg, call, localArea } = await setup()
    await call('setRelays', { relays: [relay.url] })
    await call('setSiteDecision', { origin: SITE.initiator, decision: 'allow' })

    bg.onRequest({ url: announceUrl('11', 100), ...SITE })
    bg.onRequest({ url: announceUrl('11', 100), ...SITE }) // the IPv6 copy of the same announce
    await until(
      'the announce is queued',
      async () => (await call<StateView>('getState')).pendingCount === 1,
    )
    let state = await call<StateView>('getState')
    expect(state.waitingForKey).toBe(true)
    expect(state.announces).toHaveLength(1)
    expect(state.announces[0]?.results).toEqual([
      { relay: relay.url, result: { state: 'pending' } },
    ])
    expect(relay.received).toEqual([])

    const { pubkey } = await call<{ pubkey: string }>('generateKey', { password: 'password1' })
    await until('the relay got the event', () => relay.received.length === 1)
    const ev = relay.received[0]!
    expect(ev.pubkey).toBe(pubkey)
    expect(verifyEvent(JSON.parse(JSON.stringify(ev)) as typeof ev)).toBe(true)
    expect(ev.tags).toContainEqual(['i', '11'.repeat(20)])
    expect(ev.tags).toContainEqual(['uploaded', '100'])
    // Neither the tracker URL nor the raw peer_id may leave the browser. Only the
    // tags are checked: the random id, pubkey and signature may contain any digits.
    const tags = JSON.stringify(ev.tags)
    expect(tags).not.toContain('127.0.0.1')
    expect(tags).not.toContain('announce')
    expect(tags).not.toContain('abcdefghijkl')

    await until('the popup sees the OK', async () => {
      state = await call<StateView>('getState')
      return state.announces[0]?.results[0]?.result.state === 'ok'
    })
    expect(state.pendingCount).toBe(0)
    expect(state.relays).toMatchObject([{ url: relay.url, state: 'connected' }])
    expect(state.announces[0]?.site).toBe('127.0.0.1:8080')
    // The secret key never reaches storage.local.
    const sk = JSON.stringify(localArea.dump())
    expect(sk).not.toMatch(/secretKey/)
  })

  it('keeps queued announces and the key across a worker restart, then delivers them', async () => {
    const relay = await startFakeNostrRelay()
    relays.push(relay)
    const session = createMemoryStorageArea()
    const first = await setup(session)
    await first.call('setRelays', { relays: [relay.url] })
    await first.call('setSiteDecision', { origin: SITE.initiator, decision: 'allow' })
    relay.reply = () => [false, 'error: not now']
    const { pubkey } = await first.call<{ pubkey: string }>('generateKey', {
      password: 'password1',
    })
    first.bg.onRequest({ url: announceUrl('22', 1), ...SITE })
    await until('a first refusal', () => relay.received.length === 1)

    // A new worker: same storage, same database, fresh memory. Its start drains the outbox.
    relay.reply = () => [true, '']
    const second = await setup(session, first.localArea, first.dbName)
    await until('the retry', () => relay.received.length === 2)
    expect(relay.received[1]?.pubkey).toBe(pubkey)
    expect(relay.received[1]?.id).toBe(relay.received[0]?.id)
    const state = await second.call<StateView>('getState')
    expect(state.pubkey).toBe(pubkey)
    expect(state.announces[0]?.results[0]?.result.state).toBe('ok')
  })

  it('holds an undecided site, tells the user, and publishes only after the click', async () => {
    const relay = await startFakeNostrRelay()
    relays.push(relay)
    const { bg, call, notifications, badges } = await setup()
    await call('setRelays', { relays: [relay.url] })
    await call('generateKey', { password: 'password1' })
    bg.onRequest({ url: announceUrl('33', 7), ...SITE })
    await until('the prompt', async () => (await call<StateView>('getState')).held.length === 1)
    const held = (await call<StateView>('getState')).held[0]!
    expect(held).toMatchObject({
      site: '127.0.0.1:8080',
      origin: SITE.initiator,
      siteAllowed: false,
    })
    expect(notifications).toEqual([
      {
        title: 'Allow 127.0.0.1:8080 to use TSEED?',
        message: 'Publishing its announce costs nothing. Open TSEED to decide.',
      },
    ])
    await until('the badge', () => badges.at(-1) === 1)
    await new Promise((r) => setTimeout(r, 100))
    expect(relay.received).toEqual([])

    await call('decideHeld', { id: held.id, choice: 'allow-site' })
    await until('the relay got the event', () => relay.received.length === 1)
    expect(relay.received[0]?.tags).toContainEqual(['uploaded', '7'])
    await until('the badge cleared', () => badges.at(-1) === 0)
    // The site is allowed now: its next announce goes straight out.
    bg.onRequest({ url: announceUrl('33', 8), ...SITE })
    await until('the second event', () => relay.received.length === 2)
  })

  it('shows a malformed announce in the activity log and refuses callers that are not its pages', async () => {
    const { bg, call } = await setup()
    bg.onRequest({
      url: 'http://t.example/pk/SECRET/announce?info_hash=%12&peer_id=x&uploaded=1&downloaded=1&left=1',
    })
    const state = await call<StateView>('getState')
    expect(state.activity).toEqual([
      expect.objectContaining({ host: 't.example', reason: 'info_hash must be 20 bytes, got 1' }),
    ])
    expect(JSON.stringify(state)).not.toContain('SECRET')
    expect(
      await bg.onMessage({ type: 'getState' }, { id: 'ourid', url: 'https://evil.example/' }),
    ).toEqual({
      ok: false,
      error: 'not allowed',
    })
  })

  it('lets its content script on an http(s) tab ask for badges, and nothing else', async () => {
    const { bg, call } = await setup()
    const tab = { id: 'ourid', url: 'https://idx.example/list', tab: { id: 5 }, frameId: 0 }
    const lookup = { type: 'siteBadges', params: { links: [{ infoHash: 'a'.repeat(40) }] } }
    // No relay here serves NIP-11: the one configured relay is asked and does not answer.
    expect(await bg.onMessage(lookup, tab)).toMatchObject({
      ok: true,
      data: { enabled: true, relays: 1, answered: 0 },
    })
    expect(await bg.onMessage({ type: 'getState' }, tab)).toEqual({
      ok: false,
      error: 'not allowed',
    })
    expect(await bg.onMessage(lookup, { ...tab, frameId: 2 })).toEqual({
      ok: false,
      error: 'not allowed: only the top frame of an http(s) page',
    })
    expect(await bg.onMessage(lookup, POPUP)).toEqual({ ok: false, error: 'not allowed' })

    // "Turn off on this site" blocks the tab's own site, as the popup's Block does.
    expect(await bg.onMessage({ type: 'siteBadgesOff', params: {} }, tab)).toEqual({
      ok: true,
      data: { off: true },
    })
    const state = await call<StateView>('getState')
    expect(state.sites.map((x) => [x.origin, x.decision])).toEqual([
      ['https://idx.example', 'block'],
    ])
    expect(await bg.onMessage(lookup, tab)).toEqual({ ok: true, data: { enabled: false } })
  })
})
