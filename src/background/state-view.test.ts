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
  trackerHost: 'tracker.test',
  seenAt: 123,
  results: {
    'ws://old': { state: 'ok', message: '', eventId: 'e', at: 1 },
    'ws://b': { state: 'pending' },
    'ws://a': { state: 'refused', message: 'invalid: x', at: 2 },
  },
}

describe('buildStateView', () => {
  const view = buildStateView({
    pubkey: null,
    npub: null,
    relays: [
      { url: 'ws://a', state: 'connected' },
      { url: 'ws://b', state: 'error', error: 'connection failed' },
    ],
    recent: [entry],
    pendingCount: 1,
    activity: [],
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
    })
    expect(withKey.waitingForKey).toBe(false)
  })
})
