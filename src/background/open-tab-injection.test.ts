import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { BRIDGE_GLOBAL } from '../content/bridge-handover'
import { createFakePage, type FakePage } from '../content/testing/fake-page'
import { startWsBridge } from '../content/ws-bridge'
import {
  bridgeFilesFromManifest,
  injectIntoOpenTabs,
  type Injection,
  type InjectionResultLike,
} from './open-tab-injection'

/** One frame: its page (MAIN world) and our isolated world, each its own realm. */
interface Frame {
  page: FakePage
  isolated: vm.Context
  messages: unknown[]
}

function frame(): Frame {
  return { page: createFakePage(), isolated: vm.createContext({}), messages: [] }
}

const isolatedGlobals = (f: Frame) =>
  vm.runInContext('globalThis', f.isolated) as Record<string, unknown>

/** Runs a serialised function as `scripting.executeScript` does: from its source text. */
const runSource = (fn: (a: string) => unknown, arg: string, run: (code: string) => unknown) =>
  run(`(${fn.toString()})(${JSON.stringify(arg)})`)

function browser(tabs: Record<number, { url: string; frames: Record<number, Frame> }>) {
  const calls: Injection[] = []
  const failing = new Set<number>()
  const executeScript = (inj: Injection): Promise<InjectionResultLike[]> => {
    calls.push(inj)
    const tab = tabs[inj.target.tabId]
    if (tab === undefined || failing.has(inj.target.tabId)) {
      return Promise.reject(new Error('Cannot access contents of the page'))
    }
    const ids = inj.target.allFrames
      ? Object.keys(tab.frames).map(Number)
      : (inj.target.frameIds ?? [0])
    return Promise.resolve(
      ids.map((frameId) => {
        const f = tab.frames[frameId]!
        if ('files' in inj) {
          // What the bridge file does when it runs.
          startWsBridge({
            window: f.page.window as unknown as Window,
            CustomEvent: f.page.classes.CustomEvent as never,
            globals: isolatedGlobals(f),
            runtime: {
              id: 'ourid',
              sendMessage: (m) => {
                f.messages.push(m)
                return Promise.resolve()
              },
            },
            now: () => 0,
            randomBytes: (n) => new Uint8Array(n),
          })
          return { frameId }
        }
        const result =
          inj.world === 'MAIN'
            ? runSource(inj.func, inj.args[0], (c) => f.page.run(c))
            : runSource(inj.func, inj.args[0], (c) => vm.runInContext(c, f.isolated))
        return { frameId, result }
      }),
    )
  }
  return { executeScript, calls, failing }
}

const ANNOUNCE = JSON.stringify({
  action: 'announce',
  info_hash: 'h'.repeat(20),
  peer_id: 'p'.repeat(20),
  uploaded: 0,
  downloaded: 0,
  left: 0,
})

function announceFrom(f: Frame): void {
  f.page.run(`new WebSocket('wss://tracker.test').send(${JSON.stringify(ANNOUNCE)})`)
  f.page.deliver()
}

describe('injectIntoOpenTabs', () => {
  it('gives every frame without a live bridge the pair, sharing one secret per tab', async () => {
    const tab1 = { 0: frame(), 5: frame() }
    const tab2 = { 0: frame() }
    isolatedGlobals(tab2[0]).__tseedWsBridge = { alive: () => true }
    const b = browser({
      1: { url: 'https://a.test/', frames: tab1 },
      2: { url: 'http://b.test/', frames: tab2 },
    })
    const secrets = ['1'.repeat(32), '2'.repeat(32)]
    const summary = await injectIntoOpenTabs({
      tabs: () =>
        Promise.resolve([
          { id: 1, url: 'https://a.test/' },
          { id: 2, url: 'http://b.test/' },
          { id: 3, url: 'chrome://settings/' },
          { url: 'https://no-id.test/' },
        ]),
      executeScript: b.executeScript,
      bridgeFiles: ['src/content/ws-bridge.iife.js'],
      secret: () => secrets.shift()!,
      warn: () => undefined,
    })
    expect(summary).toEqual({ injected: 1, skipped: 1, failed: 0 })
    expect(b.calls.map((c) => ('files' in c ? 'files' : c.world))).toEqual([
      'ISOLATED',
      'ISOLATED',
      'files',
      'MAIN',
    ])
    expect(b.calls[2]?.target).toEqual({ tabId: 1, frameIds: [0, 5] })
    for (const f of Object.values(tab1)) {
      announceFrom(f)
      expect(f.messages).toHaveLength(1)
      expect((isolatedGlobals(f)[BRIDGE_GLOBAL] as { alive(): boolean }).alive()).toBe(true)
    }
    // The frame that had a bridge was left alone: no second hook, no second report.
    expect(tab2[0].page.run('Function.prototype.toString.call(WebSocket.prototype.send)')).toMatch(
      /^send\(|^send /,
    )
  })

  it('replaces a bridge an earlier version left behind', async () => {
    const f = frame()
    isolatedGlobals(f).__tseedWsBridge = {
      alive: () => {
        throw new Error('Extension context invalidated.')
      },
    }
    const b = browser({ 1: { url: 'https://a.test/', frames: { 0: f } } })
    const summary = await injectIntoOpenTabs({
      tabs: () => Promise.resolve([{ id: 1, url: 'https://a.test/' }]),
      executeScript: b.executeScript,
      bridgeFiles: ['b.js'],
      secret: () => '3'.repeat(32),
      warn: () => undefined,
    })
    expect(summary.injected).toBe(1)
    announceFrom(f)
    expect(f.messages).toHaveLength(1)
  })

  it('counts tabs it may not enter and goes on with the others', async () => {
    const ok = frame()
    const b = browser({
      1: { url: 'https://store.test/', frames: { 0: frame() } },
      2: { url: 'https://a.test/', frames: { 0: ok } },
    })
    b.failing.add(1)
    const summary = await injectIntoOpenTabs({
      tabs: () =>
        Promise.resolve([
          { id: 1, url: 'https://store.test/' },
          { id: 2, url: 'https://a.test/' },
        ]),
      executeScript: b.executeScript,
      bridgeFiles: ['b.js'],
      secret: () => '4'.repeat(32),
      warn: () => undefined,
    })
    expect(summary).toEqual({ injected: 1, skipped: 0, failed: 1 })
  })

  it('does nothing, and says so, without a bridge file', async () => {
    const warnings: string[] = []
    const b = browser({})
    const summary = await injectIntoOpenTabs({
      tabs: () => Promise.resolve([{ id: 1, url: 'https://a.test/' }]),
      executeScript: b.executeScript,
      bridgeFiles: [],
      secret: () => '5'.repeat(32),
      warn: (m) => warnings.push(m),
    })
    expect(summary).toEqual({ injected: 0, skipped: 0, failed: 0 })
    expect(b.calls).toEqual([])
    expect(warnings).toHaveLength(1)
  })
})

describe('bridgeFilesFromManifest', () => {
  it('finds the isolated-world bridge among the built content scripts', () => {
    expect(
      bridgeFilesFromManifest({
        content_scripts: [
          { js: ['src/content/ws-hook.iife.js'], world: 'MAIN' },
          { js: ['src/content/ws-bridge.iife.js'] },
          { js: ['src/content/other.js'], world: 'ISOLATED' },
        ],
      }),
    ).toEqual(['src/content/ws-bridge.iife.js'])
    expect(bridgeFilesFromManifest({})).toEqual([])
  })
})
