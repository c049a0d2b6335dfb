import { describe, expect, it } from 'vitest'
import type { TrackerAnnounce } from '../nostr/tracker-announce'
import { createAnnounceDedupe, DEDUPE_WINDOW_MS } from './announce-dedupe'

function announce(over: Partial<TrackerAnnounce> = {}): TrackerAnnounce {
  return {
    infoHash: '12'.repeat(20),
    peerId: new TextEncoder().encode('-WW0001-abcdefghijkl'),
    uploaded: 1n,
    downloaded: 2n,
    left: 3n,
    port: 6881,
    key: new Uint8Array([1, 2, 3, 4]),
    ...over,
  }
}

describe('createAnnounceDedupe', () => {
  it('lets the first copy through and drops a repeat within the window', () => {
    let now = 1_000
    const d = createAnnounceDedupe({ now: () => now })
    expect(d.seenRecently(announce())).toBe(false)
    now += DEDUPE_WINDOW_MS - 1
    expect(d.seenRecently(announce())).toBe(true)
  })

  it('lets the same announce through again once the window has passed', () => {
    let now = 0
    const d = createAnnounceDedupe({ now: () => now, windowMs: 100 })
    expect(d.seenRecently(announce())).toBe(false)
    now = 100
    expect(d.seenRecently(announce())).toBe(false)
    now = 150
    expect(d.seenRecently(announce())).toBe(true)
  })

  it.each<[string, Partial<TrackerAnnounce>]>([
    ['info hash', { infoHash: '34'.repeat(20) }],
    ['peer_id', { peerId: new TextEncoder().encode('-WW0001-mnopqrstuvwx') }],
    ['key', { key: new Uint8Array([9]) }],
    ['no key', { key: undefined }],
    ['uploaded', { uploaded: 2n }],
    ['downloaded', { downloaded: 3n }],
    ['left', { left: 0n }],
    ['unknown left', { left: null }],
    ['event', { event: 'completed' }],
    ['port', { port: 6882 }],
  ])('treats a different %s as a different announce', (_name, change) => {
    const d = createAnnounceDedupe({ now: () => 0 })
    expect(d.seenRecently(announce())).toBe(false)
    expect(d.seenRecently(announce(change))).toBe(false)
  })

  it('forgets the oldest announces beyond its bound', () => {
    const d = createAnnounceDedupe({ now: () => 0, maxKeys: 3 })
    for (let i = 0n; i < 4n; i++) expect(d.seenRecently(announce({ uploaded: i }))).toBe(false)
    // uploaded=0 was evicted to make room, so it counts as new again.
    expect(d.seenRecently(announce({ uploaded: 0n }))).toBe(false)
    expect(d.seenRecently(announce({ uploaded: 3n }))).toBe(true)
  })
})
