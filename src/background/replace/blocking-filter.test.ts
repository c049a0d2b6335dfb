import { describe, expect, it } from 'vitest'
import type { RequestDetails } from '../tracker-observer'
import { createBlockingFilterReplacer } from './blocking-filter'
import type { StreamFilterLike } from './response-filter'

const ENC = '%AB'.repeat(20)
const ANNOUNCE = `http://t.test/announce?info_hash=${ENC}&peer_id=-WW0001-abcdefghijkl&port=1&uploaded=0&downloaded=0&left=9`

function setup() {
  type Listener = (d: RequestDetails & { requestId: string }) => Record<string, never>
  let listener: Listener | undefined
  const adds: unknown[] = []
  const filtered: string[] = []
  const asked: string[] = []
  const replacer = createBlockingFilterReplacer({
    webRequest: {
      onBeforeRequest: {
        addListener: (cb, filter, extra) => {
          listener = cb
          adds.push([filter, extra])
        },
        removeListener: (cb) => {
          if (cb === listener) listener = undefined
        },
      },
      filterResponseData: (id) => {
        filtered.push(id)
        return { ondata: null, onstop: null, onerror: null } as unknown as StreamFilterLike
      },
    },
    swarm: (ih, left) => {
      asked.push(`${ih}/${left}`)
      return Promise.resolve({ complete: 0, incomplete: 0, peers: [] })
    },
    extensionBase: 'moz-extension://abc/',
    report: () => undefined,
    warn: () => undefined,
  })
  const request = (d: Partial<RequestDetails> & { requestId: string }) =>
    listener?.({ url: ANNOUNCE, ...d })
  return { replacer, adds, filtered, asked, request, registered: () => listener !== undefined }
}

describe('the Firefox blocking listener', () => {
  it('exists only while some site is in replace mode', () => {
    const s = setup()
    expect(s.registered()).toBe(false)
    s.replacer.sitesChanged(new Set(['https://a.test']))
    expect(s.registered()).toBe(true)
    expect(s.adds).toEqual([[{ urls: ['*://*/*announce*'] }, ['blocking']]])
    s.replacer.sitesChanged(new Set(['https://a.test', 'https://b.test']))
    expect(s.adds).toHaveLength(1)
    s.replacer.sitesChanged(new Set())
    expect(s.registered()).toBe(false)
  })

  it('filters the announces of replace-mode sites only, and never blocks', () => {
    const s = setup()
    s.replacer.sitesChanged(new Set(['https://a.test']))
    const top = (url: string) => ({ frameAncestors: [{ url }] })
    expect(s.request({ requestId: '1', documentUrl: 'https://a.test/page' })).toEqual({})
    s.request({ requestId: '2', documentUrl: 'https://b.test/page' })
    s.request({ requestId: '3', documentUrl: 'https://x.test/frame', ...top('https://a.test/') })
    s.request({ requestId: '4', documentUrl: 'https://a.test/', url: 'http://t.test/announce?x=1' })
    s.request({ requestId: '5', originUrl: 'moz-extension://abc/popup.html' })
    s.request({ requestId: '6', documentUrl: 'https://a.test/', url: 'http://t.test/index.html' })
    expect(s.filtered).toEqual(['1', '3'])
    expect(s.asked).toEqual([`${'ab'.repeat(20)}/9`, `${'ab'.repeat(20)}/9`])
  })
})
