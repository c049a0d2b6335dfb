import { describe, expect, it } from 'vitest'
import { contentSite, isOwnContentScript, type ContentSenderLike } from './content-sender'

const OPTS = { runtimeId: 'ourid', extensionBase: 'chrome-extension://ourid/' }
const top: ContentSenderLike = {
  id: 'ourid',
  url: 'https://site.test/watch?token=1',
  frameId: 0,
  tab: { id: 7, url: 'https://site.test/watch?token=1' },
}

describe('isOwnContentScript', () => {
  it.each([
    ['another extension', { ...top, id: 'otherid' }],
    ['our own page', { ...top, url: 'chrome-extension://ourid/src/popup/index.html' }],
    ['no tab', { ...top, tab: undefined }],
    ['a tab without an id', { ...top, tab: { url: 'https://site.test/' } }],
    ['a negative tab id', { ...top, tab: { id: -1, url: 'https://site.test/' } }],
    ['no frame', { ...top, frameId: undefined }],
    ['no URL', { ...top, url: undefined }],
  ])('refuses %s', (_name, sender) => {
    expect(isOwnContentScript(sender, OPTS)).toBe(false)
    expect(contentSite(sender, OPTS)).toBeUndefined()
  })

  it('accepts our content script in a tab', () => {
    expect(isOwnContentScript(top, OPTS)).toBe(true)
  })
})

describe('contentSite', () => {
  it('names a top frame by its own origin', () => {
    expect(contentSite(top, OPTS)).toEqual({ tabId: 7, origin: 'https://site.test' })
  })

  it("names a frame by its tab's top-level page", () => {
    const frame = { ...top, frameId: 3, url: 'https://player.test/embed' }
    expect(contentSite(frame, OPTS)).toEqual({ tabId: 7, origin: 'https://site.test' })
  })

  it("falls back to a frame's own origin for the intake to resolve when the tab's URL is hidden", () => {
    const frame = { ...top, frameId: 3, url: 'https://player.test/embed', tab: { id: 7 } }
    expect(contentSite(frame, OPTS)).toEqual({
      tabId: 7,
      origin: 'https://player.test',
      originFromTab: 7,
    })
  })

  it('counts about:blank frames only under an http(s) tab', () => {
    const blank = { ...top, frameId: 2, url: 'about:blank' }
    expect(contentSite(blank, OPTS)).toEqual({ tabId: 7, origin: 'https://site.test' })
    expect(contentSite({ ...blank, tab: { id: 7 } }, OPTS)).toBeUndefined()
    expect(contentSite({ ...blank, tab: { id: 7, url: 'file:///x.html' } }, OPTS)).toBeUndefined()
  })

  it('refuses pages that are not http(s)', () => {
    for (const url of ['file:///home/x.html', 'data:text/html,x', 'about:config']) {
      expect(contentSite({ ...top, url, tab: { id: 7, url } }, OPTS)).toBeUndefined()
    }
  })
})
