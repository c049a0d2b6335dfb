import { describe, expect, it } from 'vitest'
import { newKey, signAnnounce } from '../../../tests/fixtures'
import { decodeFeedItem, encodeFeedItem } from './event-feed'

describe('event feed payloads', () => {
  it('carries a small event whole and a large one by id', () => {
    const ev = signAnnounce(newKey().sk, 1_700_000_000)
    expect(decodeFeedItem(encodeFeedItem(ev))).toEqual({ event: ev })
    const big = { ...ev, content: 'x'.repeat(9000) }
    expect(decodeFeedItem(encodeFeedItem(big))).toEqual({ id: ev.id })
  })

  it('refuses payloads that are not ours', () => {
    for (const p of [
      '',
      'not json',
      '[]',
      '{"id":"xyz"}',
      '{"id":"' + 'a'.repeat(64) + '","x":1}',
    ]) {
      expect(decodeFeedItem(p)).toBeUndefined()
    }
  })
})
