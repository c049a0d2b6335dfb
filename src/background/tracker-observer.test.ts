import { describe, expect, it } from 'vitest'
import { createActivityLog } from './activity-log'
import { createIgnoredReporter } from './ignored-announces'
import {
  ANNOUNCE_REQUEST_FILTER,
  createTrackerListener,
  registerTrackerObserver,
  type ObservedAnnounce,
  type RequestDetails,
} from './tracker-observer'

const BASE = 'chrome-extension://abcdefghijklmnop/'
// Bytes that URLSearchParams would mangle: 0x2b ('+' literal), 0x80+, and %-escapes.
const INFO_HASH_QUERY = '%12%34%56%78%9A%BC%DE%F0+%2B%80%ff%00abcdefg'
const INFO_HASH_HEX = '123456789abcdef02b2b80ff0061626364656667'

function announceUrl(extra = ''): string {
  return (
    `https://tracker.example:8443/a/SECRETPASSKEY/announce?info_hash=${INFO_HASH_QUERY}` +
    `&peer_id=-WW0001-abcdefghijkl&port=6881&uploaded=9007199254740993&downloaded=2&left=3` +
    `&event=started${extra}`
  )
}

function setup() {
  const seen: ObservedAnnounce[] = []
  const warnings: string[] = []
  const activity = createActivityLog()
  const listener = createTrackerListener({
    extensionBase: BASE,
    now: () => 1234,
    onAnnounce: (o) => seen.push(o),
    reportIgnored: createIgnoredReporter({ activity, warn: (m) => warnings.push(m), now: () => 1 }),
    warn: (m) => warnings.push(m),
  })
  return { seen, warnings, activity, listener }
}

describe('createTrackerListener', () => {
  it('reads the announce byte-exactly from the raw URL and records the page host', () => {
    const { seen, listener } = setup()
    listener({ url: announceUrl(), initiator: 'https://torrents.example' })
    expect(seen).toHaveLength(1)
    const o = seen[0]!
    expect(o.announce.infoHash).toBe(INFO_HASH_HEX)
    expect(o.announce.uploaded).toBe(9007199254740993n)
    expect(o.announce.event).toBe('started')
    expect(o.origin).toBe('https://torrents.example')
    expect(o.trackerHost).toBe('tracker.example:8443')
    expect(o.seenAt).toBe(1234)
  })

  it('uses Firefox documentUrl for the site, and the tracker origin when no page made it', () => {
    const { seen, listener } = setup()
    listener({ url: announceUrl(), documentUrl: 'http://127.0.0.1:8080/watch?x=1' })
    listener({ url: announceUrl('&numwant=5') })
    expect(seen.map((o) => o.origin)).toEqual([
      'http://127.0.0.1:8080',
      'https://tracker.example:8443',
    ])
  })

  it.each<[string, RequestDetails]>([
    ['Chrome initiator', { url: announceUrl(), initiator: 'chrome-extension://abcdefghijklmnop' }],
    ['Firefox originUrl', { url: announceUrl(), originUrl: BASE + 'src/popup/index.html' }],
    ['Firefox documentUrl', { url: announceUrl(), documentUrl: BASE + 'x.html' }],
  ])("ignores the extension's own requests (%s)", (_name, details) => {
    const { seen, listener } = setup()
    listener(details)
    expect(seen).toEqual([])
  })

  it('ignores pages that are not announces, and non-http schemes, without logging', () => {
    const { seen, warnings, listener } = setup()
    listener({ url: 'https://news.example/announcements/2024' })
    listener({ url: 'wss://tracker.example/announce' })
    listener({ url: 'ftp://tracker.example/announce?info_hash=x' })
    expect(seen).toEqual([])
    expect(warnings).toEqual([])
  })

  it('logs a malformed announce once, with host and reason but no path or query', () => {
    const { seen, warnings, activity, listener } = setup()
    const bad =
      'https://tracker.example/a/SECRETPASSKEY/announce?info_hash=%12%34%56&peer_id=-WW0001-abcdefghijkl&uploaded=1&downloaded=2&left=3&passkey=SECRET2'
    listener({ url: bad })
    listener({ url: bad })
    expect(seen).toEqual([])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('tracker.example')
    expect(warnings[0]).toContain('info_hash must be 20 bytes, got 3')
    const entries = activity.recent()
    expect(entries).toHaveLength(1)
    for (const text of [...warnings, JSON.stringify(entries)]) {
      expect(text).not.toContain('SECRET')
      expect(text).not.toContain('peer_id')
      expect(text).not.toContain('%12')
    }
    // The pipeline keeps going after a bad announce.
    listener({ url: announceUrl() })
    expect(seen).toHaveLength(1)
  })

  it('never throws, even when a downstream consumer does', () => {
    const warnings: string[] = []
    const listener = createTrackerListener({
      extensionBase: BASE,
      now: () => 0,
      onAnnounce: () => {
        throw new TypeError('boom ' + announceUrl())
      },
      reportIgnored: () => undefined,
      warn: (m) => warnings.push(m),
    })
    expect(() => {
      listener({ url: announceUrl() })
    }).not.toThrow()
    expect(warnings).toEqual(['tseed: tracker observer error: TypeError'])
  })
})

describe('registerTrackerObserver', () => {
  it('adds the listener with the announce filter', () => {
    const calls: unknown[] = []
    const listener = () => undefined
    registerTrackerObserver(
      { onBeforeRequest: { addListener: (cb, filter) => calls.push([cb, filter]) } },
      listener,
    )
    expect(calls).toEqual([[listener, ANNOUNCE_REQUEST_FILTER]])
    expect(ANNOUNCE_REQUEST_FILTER.urls).toEqual(['*://*/*announce*'])
  })
})
