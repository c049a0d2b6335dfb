import { describe, expect, it } from 'vitest'
import type { AnnounceView } from '../../background/messages'
import { byTestId, expand, one, text } from '../testing/vnode'
import { AnnouncesSection } from './announces'

describe('AnnouncesSection', () => {
  const announce: AnnounceView = {
    id: 1,
    infoHash: '0123456789abcdef0123456789abcdef01234567',
    uploaded: '9007199254740993',
    downloaded: '1500000',
    left: '0',
    event: 'started',
    seenAt: 0,
    site: 'torrents.example',
    results: [
      { relay: 'ws://a', result: { state: 'ok', message: '', eventId: 'e', at: 1 } },
      {
        relay: 'ws://b',
        result: {
          state: 'refused',
          message: 'blocked: insufficient balance: need 2 TSEED, have 0',
          at: 1,
        },
      },
      { relay: 'ws://c', result: { state: 'pending' } },
    ],
  }

  it('shows each announce with the full hash, counters and every relay answer', () => {
    const tree = expand(
      <AnnouncesSection
        announces={[announce]}
        pendingCount={1}
        hasKey={false}
        now={5_000}
        onRetry={() => undefined}
      />,
    )
    const row = one(tree, 'announce-row')
    expect(row.props['data-info-hash']).toBe(announce.infoHash)
    const rowText = text(row)
    for (const part of [
      '01234567…4567',
      'started',
      'torrents.example',
      '5 s ago',
      '↑ 9.0 PB',
      '↓ 1.5 MB',
      'left 0 B',
    ]) {
      expect(rowText).toContain(part)
    }
    const results = byTestId([row], 'relay-result')
    expect(results.map((r) => r.props['data-relay'])).toEqual(['ws://a', 'ws://b', 'ws://c'])
    expect(results.map((r) => text(r))).toEqual([
      'OK',
      'blocked: insufficient balance: need 2 TSEED, have 0',
      'waiting for key',
    ])
    expect(text(one(tree, 'waiting-for-key'))).toContain('Waiting for your key')
    expect(text(one(tree, 'pending-count'))).toBe('1 waiting')
  })

  it('has a retry action', () => {
    let retried = 0
    const tree = expand(
      <AnnouncesSection
        announces={[]}
        pendingCount={0}
        hasKey={true}
        now={0}
        onRetry={() => retried++}
      />,
    )
    ;(one(tree, 'retry-now').props.onClick as () => void)()
    expect(retried).toBe(1)
    expect(byTestId(tree, 'announce-row')).toHaveLength(0)
    expect(byTestId(tree, 'waiting-for-key')).toHaveLength(0)
  })
})
