import { describe, expect, it } from 'vitest'
import { openWelcomeOnInstall, WELCOME_PATH } from './welcome'

describe('openWelcomeOnInstall', () => {
  it('opens the welcome view on a fresh install only', () => {
    const opened: string[] = []
    const listener = openWelcomeOnInstall({
      getURL: (p) => `moz-extension://uuid/${p}`,
      openTab: (url) => Promise.resolve(opened.push(url)),
      warn: () => undefined,
    })
    listener({ reason: 'update' })
    listener({ reason: 'browser_update' })
    listener({ reason: 'install' })
    expect(opened).toEqual(['moz-extension://uuid/src/popup/index.html?view=welcome'])
    expect(WELCOME_PATH).toBe('src/popup/index.html?view=welcome')
  })

  it('logs when the tab cannot be opened', async () => {
    const warnings: string[] = []
    openWelcomeOnInstall({
      getURL: (p) => p,
      openTab: () => Promise.reject(new Error('no windows')),
      warn: (m) => warnings.push(m),
    })({ reason: 'install' })
    await new Promise((r) => setTimeout(r, 0))
    expect(warnings).toEqual(['tseed: could not open the welcome page: no windows'])
  })
})
