import { describe, expect, it } from 'vitest'
import { createRouter } from './router'

const BASE = 'chrome-extension://ourid/'
const own = { id: 'ourid', url: BASE + 'src/popup/index.html' }

function setup() {
  const warnings: string[] = []
  const calls: unknown[] = []
  const router = createRouter(
    {
      echo: (params: { text: string }) => {
        calls.push(params)
        return Promise.resolve(params.text)
      },
      fail: () => Promise.reject(new Error('nope')),
    },
    { runtimeId: 'ourid', extensionBase: BASE, warn: (m) => warnings.push(m) },
  )
  return { router, warnings, calls }
}

describe('createRouter', () => {
  it('calls the named handler and wraps its result', async () => {
    const { router } = setup()
    expect(await router({ type: 'echo', params: { text: 'hi' } }, own)).toEqual({
      ok: true,
      data: 'hi',
    })
  })

  it('turns a handler error into an error reply', async () => {
    const { router } = setup()
    expect(await router({ type: 'fail' }, own)).toEqual({ ok: false, error: 'nope' })
  })

  it('answers unknown and malformed messages with an error', async () => {
    const { router } = setup()
    expect(await router({ type: 'toString' }, own)).toEqual({
      ok: false,
      error: 'unknown route toString',
    })
    expect(await router('getState', own)).toEqual({ ok: false, error: 'malformed message' })
    expect(await router({ type: 42 }, own)).toEqual({ ok: false, error: 'malformed message' })
  })

  it.each([
    [
      'a content script of this extension',
      { id: 'ourid', url: 'https://site.example/page?token=SECRET' },
    ],
    ['another extension', { id: 'otherid', url: 'chrome-extension://otherid/x.html' }],
    [
      'a page posing with our URL but another id',
      { id: 'otherid', url: BASE + 'src/popup/index.html' },
    ],
    ['a sender without a URL', { id: 'ourid' }],
  ])('refuses %s and warns without leaking the URL', async (_name, sender) => {
    const { router, warnings, calls } = setup()
    expect(await router({ type: 'echo', params: { text: 'x' } }, sender)).toEqual({
      ok: false,
      error: 'not allowed',
    })
    expect(calls).toEqual([])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('refused message echo')
    expect(warnings[0]).not.toContain('SECRET')
  })
})

describe('createRouter content routes', () => {
  const page = {
    id: 'ourid',
    url: 'https://site.example/watch?token=SECRET',
    frameId: 0,
    tab: { id: 5, url: 'https://site.example/watch?token=SECRET' },
  }

  function setupContent() {
    const warnings: string[] = []
    const calls: [unknown, unknown][] = []
    const router = createRouter(
      { getState: () => Promise.resolve('state') },
      {
        runtimeId: 'ourid',
        extensionBase: BASE,
        warn: (m) => warnings.push(m),
        contentRoutes: {
          report: (params, sender) => {
            calls.push([params, sender])
            return Promise.resolve(null)
          },
          broken: () => Promise.reject(new Error('bad report')),
        },
      },
    )
    return { router, warnings, calls }
  }

  it('passes a content script its params and sender', async () => {
    const { router, calls } = setupContent()
    expect(await router({ type: 'report', params: { a: 1 } }, page)).toEqual({
      ok: true,
      data: null,
    })
    expect(calls).toEqual([[{ a: 1 }, page]])
  })

  it('turns a content handler error into an error reply', async () => {
    const { router } = setupContent()
    expect(await router({ type: 'broken' }, page)).toEqual({ ok: false, error: 'bad report' })
  })

  it.each([
    ['our own pages', own],
    ['another extension', { ...page, id: 'otherid' }],
    ['a script outside any tab', { id: 'ourid', url: 'https://site.example/', frameId: 0 }],
  ])('refuses content routes to %s', async (_name, sender) => {
    const { router, calls, warnings } = setupContent()
    expect(await router({ type: 'report', params: {} }, sender)).toEqual({
      ok: false,
      error: 'not allowed',
    })
    expect(calls).toEqual([])
    expect(warnings[0]).not.toContain('SECRET')
  })

  it('still refuses page routes to content scripts', async () => {
    const { router } = setupContent()
    expect(await router({ type: 'getState' }, page)).toEqual({ ok: false, error: 'not allowed' })
  })
})
