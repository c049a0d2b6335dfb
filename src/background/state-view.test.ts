import { describe, expect, it } from 'vitest'
import type { OutboxEntry } from './outbox'
import { buildStateView } from './state-view'

const entry: OutboxEntry = {
  id: 7,
  announce: {
    infoHash: 'ab'.repeat(20),
    uploaded: 18446744073709551615n,
    downloaded: 1n,
    left: 0n,
    event: 'completed',
  },
  site: 'site.test',
  origin: 'http://site.test',
  trackerHost: 'tracker.test',
  seenAt: 123,
  results: {
    'ws://old': { state: 'ok', message: '', eventId: 'e', at: 1 },
    'ws://b': { state: 'pending' },
    'ws://a': { state: 'refused', message: 'invalid: x', at: 2 },
  },
}

const NO_CONSENT = {
  keyState: 'none' as const,
  signerKind: 'local' as const,
  nostrConnect: null,
  autoLockMinutes: 0,
  held: [],
  allowedOrigins: new Set<string>(),
  sites: [],
  spending: { dailyBudget: '100', confirmAbove: '25', lineMbps: 1000 },
  relayLimits: [],
  wallet: {
    balances: [],
    total: null,
    missing: [],
    topUp: null,
    flow: null,
    nwc: 'none' as const,
    nwcPassword: 'key' as const,
    slippageBps: '100',
  },
}

describe('buildStateView', () => {
  const view = buildStateView({
    pubkey: null,
    npub: null,
    relays: [
      { url: 'ws://a', state: 'connected', kind: 'tseed' },
      { url: 'ws://b', state: 'error', error: 'connection failed', kind: 'unknown' },
    ],
    recent: [entry],
    pendingCount: 1,
    activity: [],
    ...NO_CONSENT,
  })

  it('is JSON-safe, with counters as exact decimal strings', () => {
    expect(JSON.parse(JSON.stringify(view))).toEqual(view)
    expect(view.announces[0]).toMatchObject({
      id: 7,
      uploaded: '18446744073709551615',
      downloaded: '1',
      left: '0',
      event: 'completed',
      site: 'site.test',
    })
  })

  it('orders results by the configured relays, then the rest', () => {
    expect(view.announces[0]?.results.map((r) => r.relay)).toEqual(['ws://a', 'ws://b', 'ws://old'])
  })

  it('says announces wait for a key when there is none and some are pending', () => {
    expect(view.waitingForKey).toBe(true)
    const withKey = buildStateView({
      pubkey: 'p',
      npub: 'npub1p',
      relays: [],
      recent: [],
      pendingCount: 1,
      activity: [],
      ...NO_CONSENT,
      keyState: 'unlocked',
    })
    const locked = buildStateView({
      pubkey: 'p',
      npub: 'npub1p',
      relays: [],
      recent: [],
      pendingCount: 1,
      activity: [],
      ...NO_CONSENT,
      keyState: 'locked',
    })
    expect(locked.waitingForKey).toBe(true)
    expect(withKey.waitingForKey).toBe(false)
  })

  it('turns held entries into prompts and marks gated announces', () => {
    const held: OutboxEntry = {
      ...entry,
      id: 8,
      results: { 'ws://a': { state: 'pending' } },
      gate: {
        state: 'held',
        reasons: [{ kind: 'new-site' }],
        estimate: { tokens: '3', bytes: '2500000', exact: true },
        heldAt: 5,
      },
    }
    const v = buildStateView({
      pubkey: 'p',
      npub: 'npub1p',
      relays: [],
      recent: [held, { ...entry, gate: { state: 'dropped', reason: 'declined', at: 6 } }],
      pendingCount: 0,
      activity: [],
      ...NO_CONSENT,
      held: [held],
      allowedOrigins: new Set(['http://other.test']),
    })
    expect(v.held).toEqual([
      {
        id: 8,
        origin: 'http://site.test',
        site: 'site.test',
        infoHash: entry.announce.infoHash,
        uploaded: '18446744073709551615',
        downloaded: '1',
        left: '0',
        event: 'completed',
        seenAt: entry.seenAt,
        reasons: [{ kind: 'new-site' }],
        estimate: { tokens: '3', bytes: '2500000', exact: true },
        siteAllowed: false,
      },
    ])
    expect(v.announces.map((a) => a.gate)).toEqual(['held', 'declined'])
  })
})
