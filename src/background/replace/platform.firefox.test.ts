import { describe, expect, it, vi } from 'vitest'

const added: unknown[][] = []
vi.mock('webextension-polyfill', () => ({
  default: {
    webRequest: {
      onBeforeRequest: {
        addListener: (...a: unknown[]) => added.push(a),
        removeListener: () => undefined,
      },
      filterResponseData: () => ({}),
    },
  },
}))

const { createReplacePlatform } = await import('./platform.firefox')

describe("Firefox's replace platform", () => {
  it("registers a blocking listener on the browser's webRequest once a site is in replace mode", () => {
    const platform = createReplacePlatform({
      swarm: () => Promise.resolve({ complete: 0, incomplete: 0, peers: [] }),
      extensionBase: 'moz-extension://x/',
      now: () => 0,
      setTimer: () => undefined,
      clearTimer: () => undefined,
      report: () => undefined,
      warn: () => undefined,
    })
    expect(added).toHaveLength(0)
    platform.sitesChanged(new Set(['https://a.test']))
    expect(added).toHaveLength(1)
    expect(added[0]?.slice(1)).toEqual([{ urls: ['*://*/*announce*'] }, ['blocking']])
  })
})
