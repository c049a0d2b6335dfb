import { describe, expect, it } from 'vitest'
import type { CostEstimate, HoldReason } from './hold'
import { describeCost, describeHoldReason, heldNotification } from './hold-text'

const estimate = (tokens: string, exact = true): CostEstimate => ({
  tokens,
  bytes: '1000',
  exact,
})

describe('describeHoldReason', () => {
  it('explains a new site', () => {
    expect(describeHoldReason({ kind: 'new-site' })).toBe(
      'You have not allowed this site to publish announces yet.',
    )
  })

  it('gives what was spent and the budget', () => {
    const s = describeHoldReason({ kind: 'over-budget', spent: '73', budget: '120' })
    expect(s).toBe(
      'This would take the site past its budget: 73 of 120 TSEED spent in the last 24 hours.',
    )
  })

  it('gives the confirmation threshold', () => {
    expect(describeHoldReason({ kind: 'above-confirm', threshold: '31' })).toBe(
      'It costs more than 31 TSEED, the most you allow without asking.',
    )
  })

  it('gives the download in readable units, the seconds and the line speed', () => {
    expect(
      describeHoldReason({ kind: 'too-fast', bytes: '2500000000', seconds: '3', lineMbps: '100' }),
    ).toBe('It reports 2.5 GB downloaded in 3 s, faster than your 100 Mbit/s line.')
    // Counters beyond 2^53 are formatted exactly.
    expect(
      describeHoldReason({
        kind: 'too-fast',
        bytes: '18446744073709551615',
        seconds: '1',
        lineMbps: '1',
      }),
    ).toContain('18.4 EB')
  })

  it('explains a started announce with a download', () => {
    expect(describeHoldReason({ kind: 'started-with-download' })).toBe(
      'It says the download just started, yet reports bytes already downloaded.',
    )
  })

  it('has a distinct sentence for every kind', () => {
    const all: HoldReason[] = [
      { kind: 'new-site' },
      { kind: 'over-budget', spent: '1', budget: '2' },
      { kind: 'above-confirm', threshold: '3' },
      { kind: 'too-fast', bytes: '4', seconds: '5', lineMbps: '6' },
      { kind: 'started-with-download' },
    ]
    const sentences = all.map(describeHoldReason)
    expect(new Set(sentences).size).toBe(all.length)
    for (const s of sentences) expect(s).toMatch(/^[A-Z].*\.$/)
  })
})

describe('describeCost', () => {
  it('says nothing for a free announce, exact or not', () => {
    expect(describeCost(estimate('0'))).toBe('nothing')
    expect(describeCost(estimate('0', false))).toBe('nothing')
  })

  it('gives an exact cost as is and an estimate as "about"', () => {
    expect(describeCost(estimate('900'))).toBe('900 TSEED')
    expect(describeCost(estimate('900', false))).toBe('about 900 TSEED')
    expect(describeCost(estimate('18446744073709551616'))).toBe('18446744073709551616 TSEED')
  })
})

describe('heldNotification', () => {
  it('asks to allow a new site, and gives the cost and the first other reason', () => {
    const n = heldNotification(
      'torrents.test',
      [
        { kind: 'new-site' },
        { kind: 'above-confirm', threshold: '25' },
        { kind: 'started-with-download' },
      ],
      estimate('40', false),
    )
    expect(n.title).toBe('Allow torrents.test to use TSEED?')
    expect(n.message).toBe(
      'Publishing its announce costs about 40 TSEED. ' +
        'It costs more than 25 TSEED, the most you allow without asking. Open TSEED to decide.',
    )
    expect(n.message).not.toContain('just started')
  })

  it('asks to confirm one announce of an allowed site', () => {
    const n = heldNotification(
      'torrents.test',
      [{ kind: 'over-budget', spent: '95', budget: '100' }],
      estimate('10'),
    )
    expect(n.title).toBe('torrents.test: confirm a TSEED announce')
    expect(n.message).toBe(
      'Publishing its announce costs 10 TSEED. ' +
        'This would take the site past its budget: 95 of 100 TSEED spent in the last 24 hours. ' +
        'Open TSEED to decide.',
    )
  })

  it('gives only the cost when the site is the only question', () => {
    const n = heldNotification('torrents.test', [{ kind: 'new-site' }], estimate('0'))
    expect(n.message).toBe('Publishing its announce costs nothing. Open TSEED to decide.')
  })
})
