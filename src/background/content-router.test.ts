import { describe, expect, it } from 'vitest'
import type { ContentSenderLike } from './content-sender'
import { topFrameRoutes } from './content-router'
import { createRouter } from './router'

const ID = 'ext-id'
const BASE = 'chrome-extension://ext-id/'
const good: ContentSenderLike = {
  id: ID,
  url: 'https://torrents.example/list?page=2&token=secret',
  tab: { id: 7 },
  frameId: 0,
}

function setup() {
  const warnings: string[] = []
  const calls: unknown[] = []
  const opts = { runtimeId: ID, extensionBase: BASE, warn: (m: string) => warnings.push(m) }
  const route = createRouter(
    { pageOnly: () => Promise.resolve('page') },
    {
      ...opts,
      contentRoutes: topFrameRoutes(
        {
          echo: (params: unknown, ctx) => {
            calls.push({ params, ctx })
            return Promise.resolve('done')
          },
          boom: () => Promise.reject(new Error('relay down')),
        },
        opts,
      ),
    },
  )
  return { route, warnings, calls }
}

describe('topFrameRoutes', () => {
  it('hands the checked tab, URL and origin to the handler, never anything from the message', async () => {
    const { route, calls } = setup()
    const msg = { type: 'echo', params: { origin: 'https://other.example', tabId: 1 } }
    expect(await route(msg, good)).toEqual({ ok: true, data: 'done' })
    expect(calls).toEqual([
      {
        params: { origin: 'https://other.example', tabId: 1 },
        ctx: { tabId: 7, url: good.url, origin: 'https://torrents.example' },
      },
    ])
  })

  it.each<[string, ContentSenderLike]>([
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
  ])('refuses %s', async (_what, sender) => {
    const { route, calls } = setup()
    const reply = await route({ type: 'echo', params: {} }, sender)
    expect(reply.ok).toBe(false)
    expect(calls).toEqual([])
  })

  it('turns a handler error into an error reply, and keeps page routes from content scripts', async () => {
    const { route, warnings } = setup()
    expect(await route({ type: 'boom' }, good)).toEqual({ ok: false, error: 'relay down' })
    expect(await route({ type: 'pageOnly' }, good)).toEqual({ ok: false, error: 'not allowed' })
    expect(warnings.join(' ')).not.toContain('secret')
  })
})
