import { afterEach, describe, expect, it } from 'vitest'
import { createFakeDnr } from '../testing/fake-dnr'
import { createReplacePlatform } from './platform'

const g = globalThis as unknown as { chrome?: unknown }
afterEach(() => {
  delete g.chrome
})

describe("Chrome's replace platform", () => {
  it("installs its rules through chrome.declarativeNetRequest's session rules", async () => {
    const dnr = createFakeDnr()
    g.chrome = { declarativeNetRequest: dnr }
    const platform = createReplacePlatform({
      swarm: () => Promise.resolve({ complete: 1, incomplete: 0, peers: [] }),
      extensionBase: 'chrome-extension://x/',
      now: () => 0,
      setTimer: () => undefined,
      clearTimer: () => undefined,
      report: () => undefined,
      warn: () => undefined,
    })
    platform.onAnnounce({
      url: `http://t.test/announce?info_hash=${'%AB'.repeat(20)}&left=1`,
      tabId: 2,
      origin: 'https://a.test',
      trackerHost: 't.test',
      infoHash: 'ab'.repeat(20),
      left: 1n,
    })
    await platform.settled()
    expect(dnr.rules.size).toBe(1)
  })
})
