import { describe, expect, it } from 'vitest'
import type { ObservedAnnounce, RequestDetails } from '../tracker-observer'
import type { ReplaceAnnounce, ReplacePlatform } from './platform-types'
import { createReplaceMode } from './replace-mode'

const A = 'https://a.test'
const URL1 = 'http://t.test/announce?info_hash=x'

function setup(sites: string[], tabs: Record<number, string> = {}) {
  const seen: ReplaceAnnounce[] = []
  const changes: string[][] = []
  const gone: number[] = []
  const platform: ReplacePlatform = {
    onAnnounce: (a) => seen.push(a),
    sitesChanged: (s) => changes.push([...s]),
    tabGone: (t) => gone.push(t),
    settled: () => Promise.resolve(),
  }
  let stored = sites
  const mode = createReplaceMode({
    replaceSites: () => Promise.resolve(stored),
    platform,
    tabUrl: (id) => Promise.resolve(tabs[id]),
    warn: () => undefined,
  })
  return {
    mode,
    seen,
    changes,
    gone,
    store: (s: string[]) => {
      stored = s
    },
  }
}

const observed = (over: Partial<ObservedAnnounce> = {}): ObservedAnnounce => ({
  announce: {
    infoHash: 'ab'.repeat(20),
    peerId: new Uint8Array(20),
    uploaded: 0n,
    downloaded: 0n,
    left: 9n,
  },
  origin: A,
  trackerHost: 't.test',
  seenAt: 0,
  ...over,
})
const details: RequestDetails = { url: URL1, tabId: 4 }
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('replace mode', () => {
  it('hands the announces of replace-mode sites to the platform, with tab and URL', async () => {
    const s = setup([A])
    s.mode.observed(observed(), details)
    s.mode.observed(observed({ origin: 'https://b.test' }), details)
    await tick()
    expect(s.seen).toEqual([
      {
        url: URL1,
        tabId: 4,
        origin: A,
        trackerHost: 't.test',
        infoHash: 'ab'.repeat(20),
        left: 9n,
      },
    ])
    expect(s.changes).toEqual([[A]])
    expect(await s.mode.isOn(A)).toBe(true)
    expect(s.mode.has('https://b.test')).toBe(false)
  })

  it("judges a frame's announce by its tab's page", async () => {
    const s = setup([A], { 4: `${A}/watch` })
    s.mode.observed(observed({ origin: 'https://frame.test', originFromTab: 4 }), details)
    s.mode.observed(observed({ origin: 'https://frame.test', originFromTab: 5 }), details)
    await tick()
    expect(s.seen.map((a) => a.origin)).toEqual([A])
  })

  it('tells the platform when the sites change, and when a tab goes', async () => {
    const s = setup([A])
    await s.mode.refresh()
    s.store([])
    await s.mode.refresh()
    expect(s.changes).toEqual([[A], []])
    s.mode.observed(observed(), details)
    await tick()
    expect(s.seen).toEqual([])
    s.mode.tabGone(4)
    expect(s.gone).toEqual([4])
  })
})
