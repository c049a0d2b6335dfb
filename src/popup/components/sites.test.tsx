import { describe, expect, it } from 'vitest'
import type { SiteView, SpendingView } from '../../background/messages'
import { byTestId, expand, one, text, type Element } from '../testing/vnode'
import { SitesSection } from './sites'

const spending: SpendingView = { dailyBudget: '100', confirmAbove: '25', lineMbps: 1000 }

const allowed: SiteView = {
  origin: 'https://a.test',
  decision: 'allow',
  decidedAt: 2,
  dailyBudget: '100',
  customBudget: false,
  spentToday: '37',
  replace: false,
}
const custom: SiteView = {
  origin: 'https://c.test',
  decision: 'allow',
  decidedAt: 3,
  dailyBudget: '500',
  customBudget: true,
  spentToday: '0',
  replace: false,
}
const blocked: SiteView = {
  origin: 'http://b.test:8080',
  decision: 'block',
  decidedAt: 1,
  dailyBudget: '100',
  customBudget: false,
  spentToday: '0',
  replace: false,
}

function render(sites: SiteView[]) {
  const calls: [string, 'allow' | 'block' | 'ask'][] = []
  const replaced: [string, boolean][] = []
  const tree = expand(
    <SitesSection
      sites={sites}
      spending={spending}
      onDecide={(origin, decision) => {
        calls.push([origin, decision])
      }}
      onBudget={() => Promise.resolve(true)}
      onReplace={(origin, on) => {
        replaced.push([origin, on])
      }}
      onDefaults={() => Promise.resolve(true)}
    />,
  )
  return { tree, calls, replaced }
}

function row(tree: ReturnType<typeof expand>, origin: string): Element {
  const found = byTestId(tree, 'site-row').filter((r) => r.props['data-origin'] === origin)
  if (found.length !== 1) throw new Error(`expected one row for ${origin}, found ${found.length}`)
  return found[0] as Element
}

function click(el: Element, id: string): void {
  ;(one([el], id).props.onClick as () => void)()
}

describe('SitesSection', () => {
  it('says no site is decided yet when the list is empty', () => {
    const { tree } = render([])
    expect(text(one(tree, 'no-sites'))).toContain('No site decided yet')
    expect(byTestId(tree, 'site-row')).toHaveLength(0)
  })

  it('lists each site in the given order with its decision', () => {
    const { tree } = render([custom, allowed, blocked])
    expect(byTestId(tree, 'no-sites')).toHaveLength(0)
    const rows = byTestId(tree, 'site-row')
    expect(rows.map((r) => [r.props['data-origin'], r.props['data-decision']])).toEqual([
      ['https://c.test', 'allow'],
      ['https://a.test', 'allow'],
      ['http://b.test:8080', 'block'],
    ])
    expect(rows.map((r) => text(one([r], 'site-decision')))).toEqual([
      'allowed',
      'allowed',
      'blocked',
    ])
  })

  it("shows an allowed site's spend against its budget, and whether the budget is its own", () => {
    const { tree } = render([allowed, custom, blocked])
    expect(text(one([row(tree, allowed.origin)], 'site-spent'))).toBe(
      '37 of 100 TSEED spent in the last 24 h (default budget)',
    )
    expect(text(one([row(tree, custom.origin)], 'site-spent'))).toBe(
      '0 of 500 TSEED spent in the last 24 h',
    )
    // A blocked site spends nothing and has no budget to set.
    expect(byTestId([row(tree, blocked.origin)], 'site-spent')).toHaveLength(0)
    expect(byTestId([row(tree, blocked.origin)], 'site-budget-input')).toHaveLength(0)
    // The budget field shows the site's own budget, or the default as a hint.
    const ownInput = one([row(tree, custom.origin)], 'site-budget-input')
    expect(ownInput.props.defaultValue).toBe('500')
    const defaultInput = one([row(tree, allowed.origin)], 'site-budget-input')
    expect(defaultInput.props.defaultValue).toBe('')
    expect(defaultInput.props.placeholder).toBe('100')
  })

  it('blocks an allowed site, allows a blocked one, and forgets either', () => {
    const { tree, calls } = render([allowed, blocked])
    const a = row(tree, allowed.origin)
    const b = row(tree, blocked.origin)
    expect(text(one([a], 'site-toggle'))).toBe('Block')
    expect(text(one([b], 'site-toggle'))).toBe('Allow')
    expect(text(one([a], 'site-forget'))).toBe('Ask again')
    click(a, 'site-toggle')
    click(b, 'site-toggle')
    click(a, 'site-forget')
    click(b, 'site-forget')
    expect(calls).toEqual([
      ['https://a.test', 'block'],
      ['http://b.test:8080', 'allow'],
      ['https://a.test', 'ask'],
      ['http://b.test:8080', 'ask'],
    ])
  })

  it('shows the defaults for every site', () => {
    const { tree } = render([])
    expect(one(tree, 'default-budget').props.defaultValue).toBe('100')
    expect(one(tree, 'default-confirm').props.defaultValue).toBe('25')
    expect(one(tree, 'default-line').props.defaultValue).toBe('1000')
  })

  it('offers replace mode, off by default, with one line of explanation, on allowed sites only', () => {
    const { tree, replaced } = render([allowed, { ...custom, replace: true }, blocked])
    const a = one([row(tree, allowed.origin)], 'site-replace')
    expect(a.props['data-replace']).toBe('false')
    expect(text(a)).toBe(
      "Replace mode: this site's tracker announces also get peers from your TSEED relays",
    )
    expect(one([row(tree, custom.origin)], 'site-replace').props['data-replace']).toBe('true')
    expect(byTestId([row(tree, blocked.origin)], 'site-replace')).toHaveLength(0)
    const toggle = one([row(tree, allowed.origin)], 'site-replace-toggle')
    expect(toggle.props.checked).toBe(false)
    ;(toggle.props.onChange as (e: { currentTarget: { checked: boolean } }) => void)({
      currentTarget: { checked: true },
    })
    expect(replaced).toEqual([[allowed.origin, true]])
  })
})
