import { describe, expect, it } from 'vitest'
import { readAnnounceAnswer } from '../../nostr/bep3-answer'
import { createFakeDnr } from '../testing/fake-dnr'
import {
  conditionFor,
  createDnrReplacer,
  IDLE_MS,
  REFRESH_MS,
  REPLACED_INTERVAL_SECONDS,
} from './dnr-rules'
import type { ReplaceAnnounce } from './platform-types'
import type { RelaySwarm } from './relay-swarm'

const IH = 'ff2b2000' + 'ab'.repeat(16)
const ENC = '%FF%2B%20%00' + '%AB'.repeat(16)
const URL1 = `http://t.test:6969/announce?info_hash=${ENC}&peer_id=-WW0001-abcdefghijkl&uploaded=0&left=5`

function setup(swarm: (ih: string, left: bigint | undefined) => Promise<RelaySwarm>) {
  const dnr = createFakeDnr()
  const reports: string[] = []
  let now = 1_000_000
  const timers: { fn: () => void; at: number; live: boolean }[] = []
  const replacer = createDnrReplacer({
    dnr,
    swarm,
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { fn, at: now + ms, live: true }
      timers.push(t)
      return t
    },
    clearTimer: (t) => {
      if (t !== undefined) (t as { live: boolean }).live = false
    },
    report: (host, reason) => reports.push(`${host}: ${reason}`),
    warn: (m) => reports.push(m),
  })
  const advance = async (ms: number): Promise<void> => {
    now += ms
    for (const t of timers.filter((t) => t.live && t.at <= now)) {
      t.live = false
      t.fn()
    }
    await replacer.settled()
  }
  return { dnr, replacer, reports, advance }
}

const seen = (over: Partial<ReplaceAnnounce> = {}): ReplaceAnnounce => ({
  url: URL1,
  tabId: 7,
  origin: 'https://site.test',
  trackerHost: 't.test:6969',
  infoHash: IH,
  left: 5n,
  ...over,
})

/** The answer a rule redirects to, read back from its data: URL. */
function answerOf(url: string | undefined) {
  const b64 = url?.replace('data:text/plain;base64,', '') ?? ''
  return readAnnounceAnswer(new Uint8Array(Buffer.from(b64, 'base64')))
}

describe('DNR replace rules', () => {
  it('installs one rule per tab, tracker URL and info hash that answers later announces with the relay peers', async () => {
    const asked: string[] = []
    const { dnr, replacer } = setup((ih, left) => {
      asked.push(`${ih}/${left}`)
      return Promise.resolve({
        complete: 3,
        incomplete: 1,
        peers: [{ ip: '10.0.0.9', port: 51413 }],
      })
    })
    replacer.onAnnounce(seen())
    replacer.onAnnounce(seen({ url: URL1.replace('uploaded=0', 'uploaded=10') }))
    await replacer.settled()
    expect(dnr.rules.size).toBe(1)
    expect(asked).toEqual([`${IH}/5`])
    const later = URL1.replace('uploaded=0', 'uploaded=99').replace('&left=5', '&left=4&event=')
    const rule = dnr.match(later, 7)
    expect(rule?.action.type).toBe('redirect')
    const answer = answerOf(rule?.action.redirect.url)
    expect(answer?.dict.interval).toBe(REPLACED_INTERVAL_SECONDS)
    expect(answer?.dict.complete).toBe(3)
    expect(answer?.peers).toEqual([{ ip: '10.0.0.9', port: 51413 }])
    // Another tab, another torrent, another tracker path: untouched.
    expect(dnr.match(later, 8)).toBeUndefined()
    expect(dnr.match(later.replace('%AB%AB', '%AB%AC'), 7)).toBeUndefined()
    expect(dnr.match(later.replace('/announce', '/other/announce'), 7)).toBeUndefined()
  })

  it('refreshes the answer before a client that obeys the interval announces again', async () => {
    let complete = 1
    const { dnr, replacer, advance } = setup(() =>
      Promise.resolve({ complete: complete++, incomplete: 0, peers: [] }),
    )
    expect(REFRESH_MS).toBeLessThan(REPLACED_INTERVAL_SECONDS * 1000)
    replacer.onAnnounce(seen())
    await replacer.settled()
    const url = () => [...dnr.rules.values()][0]?.action.redirect.url
    expect(answerOf(url())?.dict.complete).toBe(1)
    await advance(REFRESH_MS)
    expect(answerOf(url())?.dict.complete).toBe(2)
    await advance(REFRESH_MS)
    expect(answerOf(url())?.dict.complete).toBe(3)
  })

  it('stops refreshing a rule nobody announces through, until its next announce', async () => {
    let asked = 0
    const { replacer, advance } = setup(() => {
      asked++
      return Promise.resolve({ complete: 0, incomplete: 0, peers: [] })
    })
    replacer.onAnnounce(seen())
    await replacer.settled()
    for (let t = 0; t < IDLE_MS * 3; t += REFRESH_MS) await advance(REFRESH_MS)
    const idle = asked
    expect(idle).toBe(Math.ceil(IDLE_MS / REFRESH_MS))
    replacer.onAnnounce(seen())
    await replacer.settled()
    expect(asked).toBe(idle + 1)
  })

  it('asks again at once when the client becomes a seeder', async () => {
    const lefts: (bigint | undefined)[] = []
    const { replacer } = setup((_ih, left) => {
      lefts.push(left)
      return Promise.resolve({ complete: 0, incomplete: 0, peers: [] })
    })
    replacer.onAnnounce(seen())
    replacer.onAnnounce(seen({ left: 0n }))
    await replacer.settled()
    expect(lefts).toEqual([5n, 0n])
  })

  it('answers a bencoded failure reason when the relays fail, and reports it', async () => {
    const { dnr, replacer, reports } = setup(() => Promise.reject(new Error('relay down')))
    replacer.onAnnounce(seen())
    await replacer.settled()
    const answer = answerOf([...dnr.rules.values()][0]?.action.redirect.url)
    expect(answer?.failure).toBe('TSEED relay: relay down')
    expect(reports).toEqual(['t.test:6969: replace mode: TSEED relay: relay down'])
  })

  it('removes rules when the tab goes or the site leaves replace mode', async () => {
    const { dnr, replacer } = setup(() =>
      Promise.resolve({ complete: 0, incomplete: 0, peers: [] }),
    )
    replacer.onAnnounce(seen())
    replacer.onAnnounce(seen({ tabId: 8 }))
    replacer.onAnnounce(seen({ tabId: 9, origin: 'https://other.test' }))
    await replacer.settled()
    expect(dnr.rules.size).toBe(3)
    replacer.tabGone(8)
    await replacer.settled()
    expect([...dnr.rules.values()].map((r) => r.condition.tabIds[0]).sort()).toEqual([7, 9])
    replacer.sitesChanged(new Set(['https://other.test']))
    await replacer.settled()
    expect([...dnr.rules.values()].map((r) => r.condition.tabIds[0])).toEqual([9])
    // A new rule after removals never reuses a live id.
    replacer.onAnnounce(seen({ tabId: 10 }))
    await replacer.settled()
    expect(new Set([...dnr.rules.keys()]).size).toBe(2)
  })

  it('clears the rules a stopped worker left behind', async () => {
    const dnr = createFakeDnr()
    await dnr.updateSessionRules({
      addRules: [
        {
          id: 1,
          priority: 1,
          action: { type: 'redirect', redirect: { url: 'data:,' } },
          condition: { urlFilter: '|x', isUrlFilterCaseSensitive: true, tabIds: [1] },
        },
      ],
    })
    const r = createDnrReplacer({
      dnr,
      swarm: () => Promise.resolve({ complete: 0, incomplete: 0, peers: [] }),
      now: () => 0,
      setTimer: () => undefined,
      clearTimer: () => undefined,
      report: () => undefined,
      warn: () => undefined,
    })
    await r.settled()
    expect(dnr.rules.size).toBe(0)
    r.onAnnounce(seen())
    await r.settled()
    expect([...dnr.rules.keys()]).toEqual([1])
  })

  it('ignores requests outside a tab', async () => {
    const { dnr, replacer } = setup(() =>
      Promise.resolve({ complete: 0, incomplete: 0, peers: [] }),
    )
    replacer.onAnnounce(seen({ tabId: -1 }))
    replacer.onAnnounce(seen({ tabId: undefined }))
    await replacer.settled()
    expect(dnr.rules.size).toBe(0)
  })
})

describe('conditionFor', () => {
  it('matches the tracker URL and the info_hash value byte for byte, wherever it sits in the query', () => {
    const c = conditionFor(URL1, 3)!
    expect(c).toEqual({
      urlFilter: `|http://t.test:6969/announce?*info_hash=${ENC}^`,
      isUrlFilterCaseSensitive: true,
      tabIds: [3],
    })
  })

  it('falls back to an escaped regex when the URL holds a URL-filter special character', () => {
    const c = conditionFor('http://t.test/a*b/announce?x=1&info_hash=ab^c|d&y=2', 3)!
    expect(c.urlFilter).toBeUndefined()
    const re = new RegExp(c.regexFilter!)
    expect(re.test('http://t.test/a*b/announce?info_hash=ab^c|d')).toBe(true)
    expect(re.test('http://t.test/a*b/announce?z=1&info_hash=ab^c|d&q')).toBe(true)
    expect(re.test('http://t.test/aXb/announce?info_hash=ab^c|d')).toBe(false)
    expect(re.test('http://t.test/a*b/announce?info_hash=ab^c|de')).toBe(false)
  })

  it('gives no rule for a URL without an info_hash', () => {
    expect(conditionFor('http://t.test/announce', 1)).toBeUndefined()
    expect(conditionFor('http://t.test/announce?peer_id=x', 1)).toBeUndefined()
    expect(conditionFor('http://t.test/announce?info_hash=', 1)).toBeUndefined()
  })
})
