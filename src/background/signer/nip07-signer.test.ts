import type { EventTemplate } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createNip07Signer,
  detectNip07Signer,
  Nip07Error,
  NoSignerError,
  NoTabError,
  SignerRefusedError,
  SignerTimeoutError,
  verifiedNip07Signer,
  WrongPubkeyError,
  type Nip07Deps,
} from './nip07-signer'
import { SignatureCheckError } from './verifying-signer'

const userSk = generateSecretKey()
const userPubkey = getPublicKey(userSk)

const template: EventTemplate = {
  kind: 21000,
  created_at: 1700000000,
  tags: [['i', 'ab'.repeat(20)]],
  content: '',
}

/** A nos2x-like `window.nostr` holding `sk`; `sign` can be replaced to misbehave. */
function fakeNostr(
  sk: Uint8Array,
  sign: (t: EventTemplate) => unknown = (t) => finalizeEvent({ ...t }, sk),
): object {
  return {
    getPublicKey: () => Promise.resolve(getPublicKey(sk)),
    signEvent: (t: EventTemplate) => Promise.resolve(sign(t)),
  }
}

/**
 * Tabs as `window` objects. `executeInTab` runs the injected function for
 * real, with that tab's object installed as the global `window`, and passes
 * its result through a JSON copy as `executeScript` would.
 */
function tabsDeps(tabs: Record<number, object>, extra: Partial<Nip07Deps> = {}) {
  const calls: number[] = []
  const deps: Nip07Deps = {
    candidateTabs: () => Promise.resolve(Object.keys(tabs).map(Number)),
    async executeInTab(tabId, func, args) {
      calls.push(tabId)
      const win = tabs[tabId]
      if (win === undefined) throw new Error('No tab with id')
      vi.stubGlobal('window', win)
      const result = await func(...args)
      return JSON.parse(JSON.stringify(result)) as unknown
    },
    waitForSignerMs: 300,
    pollMs: 10,
    ...extra,
  }
  return { deps, calls }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('createNip07Signer', () => {
  it('connects and signs through window.nostr in the first tab that has one', async () => {
    const { deps, calls } = tabsDeps({ 1: {}, 2: { nostr: fakeNostr(userSk) } })
    const signer = createNip07Signer(deps)
    expect(await signer.connect()).toBe(userPubkey)
    expect(calls).toEqual([1, 2])
    const ev = await verifiedNip07Signer(deps, userPubkey).signEvent(template)
    expect(ev.pubkey).toBe(userPubkey)
    expect(ev.tags).toEqual(template.tags)
  })

  it('waits for a signer that injects window.nostr late', async () => {
    const win: { nostr?: object } = {}
    setTimeout(() => {
      win.nostr = fakeNostr(userSk)
    }, 100)
    const { deps } = tabsDeps({ 7: win }, { waitForSignerMs: 2_000 })
    expect(await createNip07Signer(deps).connect()).toBe(userPubkey)
  })

  it('stops waiting soon on a loaded page without a signer', async () => {
    vi.stubGlobal('document', { readyState: 'complete' })
    const { deps } = tabsDeps({ 1: {} }, { waitForSignerMs: 10_000 })
    const started = Date.now()
    await expect(createNip07Signer(deps).connect()).rejects.toBeInstanceOf(NoSignerError)
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('says when no tab has a signer, or no tab is open, or tabs cannot be scripted', async () => {
    const none = tabsDeps({ 1: {}, 2: { nostr: null } })
    await expect(createNip07Signer(none.deps).connect()).rejects.toThrow(
      /No Nostr signer extension answered in your open tabs/,
    )
    const noTabs = tabsDeps({})
    await expect(createNip07Signer(noTabs.deps).connect()).rejects.toBeInstanceOf(NoTabError)
    const restricted = tabsDeps({}, { candidateTabs: () => Promise.resolve([3, 4]) })
    await expect(createNip07Signer(restricted.deps).connect()).rejects.toBeInstanceOf(NoSignerError)
  })

  it('reports a refusal without trying another tab', async () => {
    const rejecting = {
      getPublicKey: () => Promise.reject(new Error('User rejected the request')),
      signEvent: () => Promise.reject(new Error('denied')),
    }
    const { deps, calls } = tabsDeps({ 1: { nostr: rejecting }, 2: { nostr: fakeNostr(userSk) } })
    const signer = createNip07Signer(deps)
    await expect(signer.connect()).rejects.toBeInstanceOf(SignerRefusedError)
    await expect(signer.signEvent(template)).rejects.toThrow('declined')
    expect(calls).toEqual([1, 1])
  })

  it('passes other signer errors on as plain words, bounded in length', async () => {
    const broken = { getPublicKey: () => Promise.reject(new Error(`locked ${'x'.repeat(5000)}`)) }
    const { deps } = tabsDeps({ 1: { nostr: broken } })
    const err: unknown = await createNip07Signer(deps)
      .connect()
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Nip07Error)
    expect((err as Error).message).toMatch(/reported an error: locked x+$/)
    expect((err as Error).message.length).toBeLessThan(300)
  })

  it('times out on a signer that never answers', async () => {
    const hanging = { getPublicKey: () => new Promise(() => undefined) }
    const { deps } = tabsDeps({ 1: { nostr: hanging } }, { timeoutMs: 200 })
    await expect(createNip07Signer(deps).connect()).rejects.toBeInstanceOf(SignerTimeoutError)
  })

  it('refuses a signer that answers for another pubkey, and says which', async () => {
    const otherSk = generateSecretKey()
    const { deps } = tabsDeps({ 1: { nostr: fakeNostr(otherSk) } })
    const err: unknown = await createNip07Signer({ ...deps, expectedPubkey: userPubkey })
      .connect()
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WrongPubkeyError)
    expect((err as WrongPubkeyError).actual).toBe(getPublicKey(otherSk))
    expect((err as Error).message).toMatch(/is using npub1\w+, but TSEED is connected to npub1/)
    await expect(verifiedNip07Signer(deps, userPubkey).signEvent(template)).rejects.toBeInstanceOf(
      WrongPubkeyError,
    )
  })

  it('rejects a forged signature through the verifying wrapper', async () => {
    const forging = fakeNostr(userSk, (t) => {
      const ev = finalizeEvent({ ...t }, userSk)
      return { ...ev, sig: ev.sig.replace(/^./, ev.sig.startsWith('0') ? '1' : '0') }
    })
    const { deps } = tabsDeps({ 1: { nostr: forging } })
    // Unverified, the forged event passes: it has the right shape and pubkey.
    expect((await createNip07Signer(deps).signEvent(template)).pubkey).toBe(userPubkey)
    await expect(verifiedNip07Signer(deps, userPubkey).signEvent(template)).rejects.toThrow(
      SignatureCheckError,
    )
  })

  it('rejects an event other than the one asked for through the verifying wrapper', async () => {
    const swapping = fakeNostr(userSk, (t) => finalizeEvent({ ...t, content: 'other' }, userSk))
    const { deps } = tabsDeps({ 1: { nostr: swapping } })
    await expect(verifiedNip07Signer(deps, userPubkey).signEvent(template)).rejects.toThrow(
      'signer changed the event',
    )
  })

  it('rejects garbage from the signer or the page', async () => {
    const garbage = {
      getPublicKey: () => Promise.resolve('F'.repeat(64)),
      signEvent: () => Promise.resolve({ id: 1, sig: [] }),
    }
    const { deps } = tabsDeps({ 1: { nostr: garbage } })
    const signer = createNip07Signer(deps)
    await expect(signer.connect()).rejects.toThrow('not a public key')
    await expect(signer.signEvent(template)).rejects.toThrow('not an event')

    // The page itself may answer anything in place of the injected function.
    const answers: unknown[] = [
      'x'.repeat(70_000),
      { ok: true, value: 'a'.repeat(70_000) },
      { ok: 'yes' },
      null,
      { ok: false, error: 42 },
    ]
    for (const answer of answers) {
      const page: Nip07Deps = {
        ...deps,
        executeInTab: () => Promise.resolve(answer),
      }
      await expect(createNip07Signer(page).connect()).rejects.toThrow('cannot read')
    }
  })

  it('never lets an exception cross the page boundary', async () => {
    const weird = {
      getPublicKey: () => {
        // Thrown synchronously, and not an Error.
        throw { toString: () => 'cancelled by user' } as unknown as Error
      },
    }
    const cyclic = {
      getPublicKey: () => {
        const o: Record<string, unknown> = {}
        o.self = o
        return Promise.resolve(o)
      },
    }
    const a = tabsDeps({ 1: { nostr: weird } })
    await expect(createNip07Signer(a.deps).connect()).rejects.toBeInstanceOf(SignerRefusedError)
    const b = tabsDeps({ 1: { nostr: cyclic } })
    await expect(createNip07Signer(b.deps).connect()).rejects.toThrow(/reported an error/)
  })
})

describe('detectNip07Signer', () => {
  it('finds a signer in an open tab without asking it anything', async () => {
    let asked = 0
    const nostr = {
      getPublicKey: () => {
        asked++
        return Promise.resolve(userPubkey)
      },
    }
    const { deps, calls } = tabsDeps({ 1: {}, 2: { nostr } })
    expect(await detectNip07Signer(deps)).toBe('found')
    expect(calls).toEqual([1, 2])
    expect(asked).toBe(0)
  })

  it('says none for tabs without one, no-tab without tabs, and survives a closed tab', async () => {
    expect(await detectNip07Signer(tabsDeps({ 1: {}, 2: { nostr: 'not a signer' } }).deps)).toBe(
      'none',
    )
    expect(await detectNip07Signer(tabsDeps({}).deps)).toBe('no-tab')
    const closed = tabsDeps(
      { 2: { nostr: fakeNostr(userSk) } },
      { candidateTabs: () => Promise.resolve([1, 2]) },
    )
    expect(await detectNip07Signer(closed.deps)).toBe('found')
  })

  it('looks at no more than three tabs', async () => {
    const { deps, calls } = tabsDeps({ 1: {}, 2: {}, 3: {}, 4: { nostr: fakeNostr(userSk) } })
    expect(await detectNip07Signer(deps)).toBe('none')
    expect(calls).toEqual([1, 2, 3])
  })
})
