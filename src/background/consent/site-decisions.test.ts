import { describe, expect, it } from 'vitest'
import { rejectionOf } from '../../../tests/support/rejection'
import { createMemoryStorageArea } from '../storage-item'
import { canonicalOrigin, createSiteDecisions, MAX_SITES, SiteOriginError } from './site-decisions'

const A = 'https://a.test'
const B = 'https://b.test'
const C = 'http://c.test:8080'

function setup() {
  const area = createMemoryStorageArea()
  return { area, decisions: createSiteDecisions(area) }
}

describe('canonicalOrigin', () => {
  it('keeps scheme, host and port, and drops path, query and fragment', () => {
    expect(canonicalOrigin('https://a.test/watch?v=1#t=3')).toBe('https://a.test')
    expect(canonicalOrigin('http://c.test:8080/x')).toBe('http://c.test:8080')
    expect(canonicalOrigin('https://user:pw@a.test/')).toBe('https://a.test')
  })

  it('drops a default port and lower-cases the host', () => {
    expect(canonicalOrigin('https://A.Test:443/')).toBe('https://a.test')
    expect(canonicalOrigin('http://a.test:80')).toBe('http://a.test')
    // The other scheme's default port is not a default here.
    expect(canonicalOrigin('https://a.test:80')).toBe('https://a.test:80')
  })

  it('refuses anything but http and https', () => {
    for (const input of [
      'ftp://a.test',
      'file:///etc/passwd',
      'chrome-extension://abc/',
      'data:,x',
    ]) {
      expect(() => canonicalOrigin(input), input).toThrow(SiteOriginError)
    }
    expect(() => canonicalOrigin('ws://a.test')).toThrow('only http and https sites can be decided')
  })

  it('refuses an input longer than 300 characters, before parsing it', () => {
    const justFits = `https://${'a'.repeat(300 - 'https://'.length - '.test'.length)}.test`
    expect(justFits).toHaveLength(300)
    expect(() => canonicalOrigin(justFits)).not.toThrow()
    expect(() => canonicalOrigin(`${justFits}/`)).toThrow('origin is too long')
  })

  it('refuses garbage with a SiteOriginError that quotes the input', () => {
    for (const input of ['', 'a.test', 'not a url', 'https://']) {
      expect(() => canonicalOrigin(input), input).toThrow(SiteOriginError)
    }
    expect(() => canonicalOrigin('no scheme here')).toThrow('not an origin: no scheme here')
  })
})

describe('createSiteDecisions', () => {
  it('knows nothing at first', async () => {
    const { decisions } = setup()
    expect(await decisions.get(A)).toBeUndefined()
    expect(await decisions.list()).toEqual([])
  })

  it('stores decisions under the canonical origin and lists the most recent first', async () => {
    const { decisions } = setup()
    await decisions.decide(`${A}/some/page?q=1`, 'allow', 100)
    await decisions.decide(B, 'block', 300)
    await decisions.decide(C, 'allow', 200)
    expect(await decisions.get(A)).toEqual({ decision: 'allow', decidedAt: 100 })
    expect(await decisions.get(B)).toEqual({ decision: 'block', decidedAt: 300 })
    expect((await decisions.list()).map(([origin]) => origin)).toEqual([B, C, A])
    // A later decision moves the site to the top.
    await decisions.decide(A, 'block', 400)
    expect(await decisions.list()).toEqual([
      [A, { decision: 'block', decidedAt: 400 }],
      [B, { decision: 'block', decidedAt: 300 }],
      [C, { decision: 'allow', decidedAt: 200 }],
    ])
  })

  it('refuses to decide a site that is not an http(s) origin, and stores nothing', async () => {
    const { area, decisions } = setup()
    await rejectionOf(decisions.decide('javascript:alert(1)', 'allow', 1), SiteOriginError)
    expect(await decisions.list()).toEqual([])
    expect(area.dump().siteDecisions).toBeUndefined()
    // The queue goes on after a failure.
    await decisions.decide(A, 'allow', 2)
    expect(await decisions.get(A)).toEqual({ decision: 'allow', decidedAt: 2 })
  })

  it('keeps a custom budget when the site is decided again', async () => {
    const { decisions } = setup()
    await decisions.decide(A, 'allow', 1)
    await decisions.setBudget(A, 500n)
    await decisions.decide(A, 'block', 2)
    await decisions.decide(A, 'allow', 3)
    expect(await decisions.get(A)).toEqual({ decision: 'allow', decidedAt: 3, dailyBudget: 500n })
  })

  it('forgets one site and leaves the others', async () => {
    const { decisions } = setup()
    await decisions.decide(A, 'allow', 1)
    await decisions.decide(B, 'block', 2)
    await decisions.forget(A)
    expect(await decisions.get(A)).toBeUndefined()
    expect(await decisions.list()).toEqual([[B, { decision: 'block', decidedAt: 2 }]])
  })

  it('sets a budget above 2^53, restores the default with null, and keeps the decision', async () => {
    const { area, decisions } = setup()
    await decisions.decide(A, 'allow', 7)
    const big = 2n ** 60n + 1n
    await decisions.setBudget(A, big)
    expect(await decisions.get(A)).toEqual({ decision: 'allow', decidedAt: 7, dailyBudget: big })
    // Stored as a decimal string: storage cannot hold a BigInt.
    expect(area.dump().siteDecisions).toEqual({
      [A]: { decision: 'allow', decidedAt: 7, dailyBudget: big.toString() },
    })
    await decisions.setBudget(A, 0n)
    expect((await decisions.get(A))?.dailyBudget).toBe(0n)
    await decisions.setBudget(A, null)
    const rule = await decisions.get(A)
    expect(rule).toEqual({ decision: 'allow', decidedAt: 7 })
    expect(rule).not.toHaveProperty('dailyBudget')
  })

  it('refuses a budget for a site with no decision, and changes nothing', async () => {
    const { decisions } = setup()
    await decisions.decide(A, 'allow', 1)
    const err = await rejectionOf(decisions.setBudget(B, 10n), SiteOriginError)
    expect(err.message).toBe(`${B} has no decision to set a budget on`)
    expect(await decisions.list()).toEqual([[A, { decision: 'allow', decidedAt: 1 }]])
  })

  it(`keeps at most ${MAX_SITES} sites, dropping the oldest decision`, async () => {
    const { decisions } = setup()
    const site = (i: number) => `https://s${i}.test`
    // Decided out of order: the oldest decision is s1 (at 0), not the first one made.
    await decisions.decide(site(0), 'allow', 5)
    await decisions.decide(site(1), 'block', 0)
    for (let i = 2; i < MAX_SITES; i++) await decisions.decide(site(i), 'allow', 10 + i)
    expect(await decisions.list()).toHaveLength(MAX_SITES)
    expect(await decisions.get(site(1))).toBeDefined()

    await decisions.decide('https://new.test', 'allow', 100_000)
    const list = await decisions.list()
    expect(list).toHaveLength(MAX_SITES)
    expect(list[0]?.[0]).toBe('https://new.test')
    expect(await decisions.get(site(1))).toBeUndefined()
    expect(await decisions.get(site(0))).toEqual({ decision: 'allow', decidedAt: 5 })

    // Deciding a site already kept again does not push any other out.
    await decisions.decide(site(0), 'block', 100_001)
    expect(await decisions.list()).toHaveLength(MAX_SITES)
    expect(await decisions.get(site(2))).toBeDefined()
  })

  it('ignores unreadable storage instead of throwing', async () => {
    for (const garbage of ['nonsense', 42, null, ['https://a.test'], true]) {
      const { area, decisions } = setup()
      await area.set({ siteDecisions: garbage })
      expect(await decisions.get(A), JSON.stringify(garbage)).toBeUndefined()
      expect(await decisions.list()).toEqual([])
      // Deciding over garbage replaces it.
      await decisions.decide(A, 'allow', 1)
      expect(await decisions.list()).toEqual([[A, { decision: 'allow', decidedAt: 1 }]])
    }
  })

  it('skips unreadable entries and keeps the readable ones', async () => {
    const { area, decisions } = setup()
    await area.set({
      siteDecisions: {
        [A]: { decision: 'allow', decidedAt: 1, dailyBudget: '40' },
        [B]: { decision: 'maybe', decidedAt: 2 },
        [C]: { decision: 'block', decidedAt: '3' },
        'https://d.test': null,
        'https://e.test': 'allow',
        // An unreadable budget falls back to the default; the decision stands.
        'https://f.test': { decision: 'block', decidedAt: 4, dailyBudget: '-5' },
        'https://g.test': { decision: 'allow', decidedAt: 5, dailyBudget: 12 },
      },
    })
    expect(await decisions.list()).toEqual([
      ['https://g.test', { decision: 'allow', decidedAt: 5 }],
      ['https://f.test', { decision: 'block', decidedAt: 4 }],
      [A, { decision: 'allow', decidedAt: 1, dailyBudget: 40n }],
    ])
    expect(await decisions.get(B)).toBeUndefined()
    expect(await decisions.get(C)).toBeUndefined()
  })

  it('lands every one of many concurrent decisions', async () => {
    const { decisions } = setup()
    const sites = Array.from({ length: 25 }, (_, i) => `https://c${i}.test`)
    await Promise.all([
      ...sites.map((s, i) => decisions.decide(s, i % 2 === 0 ? 'allow' : 'block', i)),
      decisions.decide(A, 'allow', 100),
    ])
    // A budget set right after a decision in the same tick finds the decision.
    await Promise.all([decisions.decide(B, 'allow', 101), decisions.setBudget(B, 9n)])
    const list = await decisions.list()
    expect(list).toHaveLength(27)
    for (const [i, s] of sites.entries()) {
      expect(await decisions.get(s)).toEqual({
        decision: i % 2 === 0 ? 'allow' : 'block',
        decidedAt: i,
      })
    }
    expect((await decisions.get(B))?.dailyBudget).toBe(9n)
  })

  it('reads, forgets and budgets a site by any URL of it, not only its canonical origin', async () => {
    const area = createMemoryStorageArea()
    const d = createSiteDecisions(area)
    await d.decide('https://a.test', 'allow', 1)
    expect(await d.get('https://A.test:443/some/page?q=1')).toMatchObject({ decision: 'allow' })
    await d.setBudget('https://a.test/x', 9n)
    expect((await d.get('https://a.test'))?.dailyBudget).toBe(9n)
    await d.forget('https://A.test/x')
    expect(await d.get('https://a.test')).toBeUndefined()
  })
})

describe('replace mode per site', () => {
  it('is off by default, on only for an allowed site, and kept through budget changes', async () => {
    const { decisions: d } = setup()
    await d.decide(A, 'allow', 1)
    expect((await d.get(A))?.replace).toBeUndefined()
    await d.setReplace(A, true)
    await d.setBudget(A, 5n)
    expect(await d.get(A)).toEqual({
      decision: 'allow',
      decidedAt: 1,
      dailyBudget: 5n,
      replace: true,
    })
    expect(await d.replaceSites()).toEqual([A])
    await d.setReplace(A, false)
    expect((await d.get(A))?.replace).toBeUndefined()
    expect(await d.replaceSites()).toEqual([])
  })

  it('refuses a site that is not allowed, with a clear error', async () => {
    const { decisions: d } = setup()
    await d.decide(B, 'block', 1)
    const e = await rejectionOf(d.setReplace(B, true), SiteOriginError)
    expect(e.message).toBe('https://b.test is not an allowed site; allow it first')
    await expect(d.setReplace(C, true)).rejects.toThrow(/not an allowed site/)
  })

  it('goes off when the site is blocked or forgotten', async () => {
    const { decisions: d } = setup()
    await d.decide(A, 'allow', 1)
    await d.setReplace(A, true)
    await d.decide(A, 'block', 2)
    await d.decide(A, 'allow', 3)
    expect((await d.get(A))?.replace).toBeUndefined()
    await d.setReplace(A, true)
    await d.forget(A)
    await d.decide(A, 'allow', 4)
    expect(await d.replaceSites()).toEqual([])
  })

  it('reads decisions stored before replace mode existed, and drops a flag on a blocked site', async () => {
    const { area } = setup()
    await area.set({
      siteDecisions: {
        [A]: { decision: 'allow', decidedAt: 1 },
        [B]: { decision: 'block', decidedAt: 2, replace: true },
        [C]: { decision: 'allow', decidedAt: 3, replace: 'yes' },
      },
    })
    const d = createSiteDecisions(area)
    expect(await d.get(A)).toEqual({ decision: 'allow', decidedAt: 1 })
    expect(await d.get(B)).toEqual({ decision: 'block', decidedAt: 2 })
    expect(await d.get(C)).toEqual({ decision: 'allow', decidedAt: 3 })
    expect(await d.replaceSites()).toEqual([])
  })

  it('tells its owner after every stored change', async () => {
    let changes = 0
    const d = createSiteDecisions(createMemoryStorageArea(), () => {
      changes++
    })
    await d.decide(A, 'allow', 1)
    await d.setReplace(A, true)
    await d.setBudget(A, 3n)
    await d.decide(A, 'block', 2)
    await d.forget(A)
    await d.setReplace(A, true).catch(() => undefined)
    expect(changes).toBe(5)
  })
})
