import { describe, expect, it } from 'vitest'
import type { HeldChoice } from '../../background/consent/held-announces'
import type { HeldView } from '../../background/messages'
import { byTestId, expand, findAll, one, text } from '../testing/vnode'
import { ConsentPrompt } from './consent-prompt'

const HASH = '0123456789abcdef0123456789abcdef01234567'

function held(over: Partial<HeldView> = {}): HeldView {
  return {
    id: 7,
    origin: 'https://torrents.test',
    site: 'torrents.test',
    infoHash: HASH,
    uploaded: '0',
    downloaded: '40000000',
    left: '60000000',
    event: 'started',
    seenAt: 0,
    reasons: [{ kind: 'new-site' }],
    estimate: { tokens: '40', bytes: '40000000', exact: true },
    siteAllowed: false,
    ...over,
  }
}

function render(list: HeldView[]) {
  const calls: [number, HeldChoice][] = []
  const tree = expand(
    <ConsentPrompt
      held={list}
      now={3_000}
      onDecide={(id, choice) => {
        calls.push([id, choice])
      }}
    />,
  )
  return { tree, calls }
}

function click(tree: ReturnType<typeof expand>, id: string): void {
  ;(one(tree, id).props.onClick as () => void)()
}

describe('ConsentPrompt', () => {
  it('renders nothing when no announce is held', () => {
    expect(render([]).tree).toEqual([])
  })

  it('asks about a new site with the site, the full info hash and the cost', () => {
    const { tree } = render([held()])
    const prompt = one(tree, 'consent-prompt')
    expect(prompt.props['data-held-id']).toBe(7)
    expect(prompt.props['data-origin']).toBe('https://torrents.test')
    expect(text(one(tree, 'prompt-site'))).toBe('torrents.test')
    expect(text(prompt)).toContain('Allow torrents.test to use your TSEED?')
    expect(text(one(tree, 'prompt-info-hash'))).toBe(HASH)
    const cost = one(tree, 'prompt-cost')
    expect(cost.props['data-tokens']).toBe('40')
    expect(text(cost)).toBe('40 TSEED')
    expect(text(prompt)).not.toContain('default price is assumed')
    const counters = text(one(tree, 'prompt-counters'))
    for (const part of [
      'started',
      '↓ 40.0 MB downloaded',
      '↑ 0 B uploaded',
      '60.0 MB left',
      '3 s ago',
    ]) {
      expect(counters).toContain(part)
    }
    // "new site" is the question itself, not listed as a reason.
    expect(byTestId(tree, 'prompt-reasons')).toHaveLength(0)
    expect(byTestId(tree, 'prompt-more')).toHaveLength(0)
  })

  it('says when the cost is an estimate', () => {
    const { tree } = render([held({ estimate: { tokens: '12', bytes: '12000000', exact: false } })])
    expect(text(one(tree, 'prompt-cost'))).toBe('about 12 TSEED')
    expect(text(one(tree, 'consent-prompt'))).toContain(
      'a relay did not answer, so its default price is assumed',
    )
  })

  it('lists every reason other than the new site, each with its figures', () => {
    const { tree } = render([
      held({
        reasons: [
          { kind: 'new-site' },
          { kind: 'started-with-download' },
          { kind: 'above-confirm', threshold: '25' },
          { kind: 'too-fast', bytes: '40000000', seconds: '2', lineMbps: '100' },
        ],
      }),
    ])
    const items = findAll([one(tree, 'prompt-reasons')], (e) => e.type === 'li')
    expect(items.map((li) => li.props['data-reason'])).toEqual([
      'started-with-download',
      'above-confirm',
      'too-fast',
    ])
    expect(text(items[1] ?? [])).toContain('25 TSEED')
    expect(text(items[2] ?? [])).toContain('40.0 MB downloaded in 2 s')
    expect(text(items[2] ?? [])).toContain('100 Mbit/s')
  })

  it('offers to allow the site, allow once or block it, for a new site', () => {
    const { tree, calls } = render([held()])
    expect(byTestId(tree, 'prompt-decline')).toHaveLength(0)
    click(tree, 'prompt-allow-site')
    click(tree, 'prompt-allow-once')
    click(tree, 'prompt-block')
    expect(calls).toEqual([
      [7, 'allow-site'],
      [7, 'allow-once'],
      [7, 'block-site'],
    ])
  })

  it('offers to publish once, decline or block, for an allowed site', () => {
    const { tree, calls } = render([
      held({
        id: 12,
        siteAllowed: true,
        reasons: [{ kind: 'over-budget', spent: '90', budget: '100' }],
      }),
    ])
    expect(text(one(tree, 'consent-prompt'))).toContain('Confirm this announce from torrents.test')
    expect(byTestId(tree, 'prompt-allow-site')).toHaveLength(0)
    const reason = one(tree, 'prompt-reasons')
    expect(text(reason)).toContain('90 of 100 TSEED')
    click(tree, 'prompt-allow-once')
    click(tree, 'prompt-decline')
    click(tree, 'prompt-block')
    expect(calls).toEqual([
      [12, 'allow-once'],
      [12, 'decline'],
      [12, 'block-site'],
    ])
  })

  it('shows the oldest held announce first and how many more wait', () => {
    const { tree, calls } = render([
      held({ id: 1 }),
      held({ id: 2, site: 'other.test' }),
      held({ id: 3 }),
    ])
    expect(one(tree, 'consent-prompt').props['data-held-id']).toBe(1)
    expect(text(one(tree, 'prompt-more'))).toBe('2 more announces waiting after this one.')
    click(tree, 'prompt-allow-once')
    expect(calls).toEqual([[1, 'allow-once']])

    const two = render([held({ id: 1 }), held({ id: 2 })])
    expect(text(one(two.tree, 'prompt-more'))).toBe('1 more announce waiting after this one.')
  })

  it('says a free announce costs nothing', () => {
    const { tree } = render([
      held({ estimate: { tokens: '0', bytes: '0', exact: true }, downloaded: '0' }),
    ])
    const cost = one(tree, 'prompt-cost')
    expect(cost.props['data-tokens']).toBe('0')
    expect(text(cost)).toBe('nothing')
  })
})
