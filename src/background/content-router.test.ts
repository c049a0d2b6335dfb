import { describe, expect, it } from 'vitest'
import { createContentRouter, withContentRoutes, type ContentSender } from './content-router'

const ID = 'ext-id'
const BASE = 'chrome-extension://ext-id/'
const good: ContentSender = {
  id: ID,
  url: 'https://torrents.example/list?page=2&token=secret',
  tab: { id: 7 },
  frameId: 0,
}

function setup() {
  const warnings: string[] = []
  const calls: unknown[] = []
  const router = createContentRouter(
    {
      echo: (params: unknown, ctx) => {
        calls.push({ params, ctx })
        return Promise.resolve('done')
      },
      boom: () => Promise.reject(new Error('relay down')),
    },
    { runtimeId: ID, extensionBase: BASE, warn: (m) => warnings.push(m) },
  )
  return { router, warnings, calls }
}

describe('createContentRouter', () => {
  it('hands the checked tab, URL and origin to the handler, never anything from the message', async () => {
    const { router, calls } = setup()
    const msg = { type: 'echo', params: { origin: 'https://other.example', tabId: 1 } }
    expect(await router.route(msg, good)).toEqual({ ok: true, data: 'done' })
    expect(calls).toEqual([
      {
        params: { origin: 'https://other.example', tabId: 1 },
        ctx: { tabId: 7, url: good.url, origin: 'https://torrents.example' },
      },
    ])
  })

  it.each<[string, ContentSender]>([
    ['another extension', { ...good, id: 'other' }],
    ['no tab (a popup or the worker)', { ...good, tab: undefined }],
    ['a tab without an id', { ...good, tab: {} }],
    ['a sub-frame', { ...good, frameId: 3 }],
    ['no frame id', { ...good, frameId: undefined }],
    ['an extension page opened in a tab', { ...good, url: `${BASE}src/popup/index.html` }],
    ['a file: page', { ...good, url: 'file:///home/u/list.html' }],
    ['a data: page', { ...good, url: 'data:text/html,<a href="magnet:">' }],
    ['no URL', { ...good, url: undefined }],
    ['an unparsable URL', { ...good, url: 'https://' }],
    ['an absurdly long URL', { ...good, url: `https://a.example/${'x'.repeat(9000)}` }],
  ])('refuses %s and warns with the origin only', async (_what, sender) => {
    const { router, warnings, calls } = setup()
    expect(await router.route({ type: 'echo', params: {} }, sender)).toEqual({
      ok: false,
      error: 'not allowed',
    })
    expect(calls).toEqual([])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).not.toContain('secret')
  })

  it('turns a handler error into an error reply', async () => {
    expect(await setup().router.route({ type: 'boom' }, good)).toEqual({
      ok: false,
      error: 'relay down',
    })
  })

  it('claims only its own route names', () => {
    const { router } = setup()
    expect(router.handles({ type: 'echo' })).toBe(true)
    expect(router.handles({ type: 'getState' })).toBe(false)
    expect(router.handles({ type: 'toString' })).toBe(false)
    expect(router.handles(null)).toBe(false)
  })
})

describe('withContentRoutes', () => {
  it('sends content routes to the content router and everything else to the page router', async () => {
    const { router } = setup()
    const pageCalls: unknown[] = []
    const onMessage = withContentRoutes((m) => {
      pageCalls.push(m)
      return Promise.resolve({ ok: false, error: 'not allowed' })
    }, router)
    expect(await onMessage({ type: 'echo' }, good)).toEqual({ ok: true, data: 'done' })
    // A content script asking for a page route still meets the page router's refusal.
    expect(await onMessage({ type: 'exportKey', params: {} }, good)).toEqual({
      ok: false,
      error: 'not allowed',
    })
    expect(pageCalls).toEqual([{ type: 'exportKey', params: {} }])
  })
})
