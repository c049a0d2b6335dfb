import { describe, expect, it } from 'vitest'
import type { SwarmBadgeView } from '../background/site-badges/protocol'
import {
  badgeText,
  formatSize,
  groupDigits,
  panelNotes,
  panelRows,
  type BadgeContext,
} from './badge-text'

const view = (v: Partial<SwarmBadgeView> = {}): SwarmBadgeView => ({
  infoHash: 'a'.repeat(40),
  seeders: 3,
  leechers: 1,
  tokensPerMb: '2',
  rare: false,
  bytes: '276134947',
  bytesFrom: 'magnet',
  cost: '553',
  title: null,
  exact: true,
  ...v,
})
const ctx = (c: Partial<BadgeContext> = {}): BadgeContext => ({
  balance: '1000',
  relays: 1,
  answered: 1,
  testMode: false,
  ...c,
})
const row = (v: SwarmBadgeView, c: BadgeContext, key: string) =>
  panelRows(v, c).find((r) => r.key === key)?.value

describe('groupDigits and formatSize', () => {
  it('groups thousands and keeps the sign', () => {
    expect(['0', '999', '1000', '1234567', '-12345'].map(groupDigits)).toEqual([
      '0',
      '999',
      '1,000',
      '1,234,567',
      '-12,345',
    ])
  })

  it('sizes in decimal units, rounded down to a tenth', () => {
    expect(
      ['512', '1000', '276134947', '4000000000', '18446744073709551615'].map(formatSize),
    ).toEqual(['512 bytes', '1.0 kB', '276.1 MB', '4.0 GB', '18,446,744.0 TB'])
  })
})

describe('badgeText', () => {
  it('says the counts, the price and the cost, in words for screen readers', () => {
    expect(badgeText(view({ seeders: 1, leechers: 2000, cost: '12345' }))).toEqual({
      seeders: '1',
      leechers: '2000',
      price: '2',
      cost: '12,345',
      label:
        'TSEED: 1 seeder and 2000 leechers on your TSEED relays, 2 TSEED per MB, at most 12,345 TSEED for this download. Show details.',
    })
  })

  it('leaves out what is unknown instead of guessing', () => {
    expect(badgeText(view({ cost: null })).label).toBe(
      'TSEED: 3 seeders and 1 leecher on your TSEED relays, 2 TSEED per MB. Show details.',
    )
    expect(badgeText(view({ tokensPerMb: null, cost: null }))).toMatchObject({
      price: '?',
      cost: null,
    })
    expect(badgeText(view({ seeders: null, leechers: null }))).toMatchObject({
      seeders: '?',
      leechers: '?',
      label: 'TSEED: your relays did not answer about this torrent. Show details.',
    })
  })
})

describe('panelRows', () => {
  it('gives the balance after the download, or how much is missing', () => {
    expect(row(view(), ctx(), 'balance-after')).toBe('447 TSEED (you have 1,000)')
    expect(row(view({ cost: '1500' }), ctx(), 'balance-after')).toBe(
      '500 TSEED short: top up first (you have 1,000)',
    )
    expect(row(view(), ctx({ balance: null }), 'balance-after')).toMatch(/^Unknown: open TSEED/)
    expect(row(view({ cost: null }), ctx(), 'balance-after')).toBe(
      'Unknown without the cost (you have 1,000 TSEED)',
    )
  })

  it('says where the size came from and why a price is high', () => {
    expect(row(view(), ctx(), 'size')).toBe('276.1 MB (from the magnet link)')
    expect(row(view({ bytesFrom: 'nip35' }), ctx(), 'size')).toBe(
      '276.1 MB (from a Nostr torrent event)',
    )
    expect(row(view({ bytes: null }), ctx(), 'size')).toBe('Unknown: the link does not say')
    expect(row(view({ rare: true }), ctx(), 'price')).toBe(
      '2 TSEED per MB (few seeders, so it costs more)',
    )
    expect(row(view(), ctx(), 'cost')).toBe('at most 553 TSEED')
  })
})

describe('panelNotes', () => {
  it('warns about titles anyone can publish, partial counts and play money', () => {
    const notes = panelNotes(view({ title: 'X' }), ctx({ relays: 2, answered: 1, testMode: true }))
    expect(notes[0]).toMatch(/NIP-35\)\. Anyone can publish one\./)
    expect(notes[1]).toBe('1 of your 2 TSEED relays answered; the counts may be missing peers.')
    expect(notes.at(-1)).toBe('Test mode: these TSEED are play money.')
    expect(panelNotes(view({ exact: false }), ctx())[0]).toMatch(/too large to count/)
    expect(panelNotes(view(), ctx())).toEqual([
      'Counted from the announces of the last hour on your TSEED relay.',
    ])
    expect(panelNotes(view(), ctx({ relays: 3, answered: 3 }))).toEqual([
      'Counted from the announces of the last hour on your 3 TSEED relays. Each relay charges on its own, so their prices and costs are added up.',
    ])
  })
})
