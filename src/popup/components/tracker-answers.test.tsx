import { describe, expect, it } from 'vitest'
import { byTestId, expand, text } from '../testing/vnode'
import { TrackerAnswersSection } from './tracker-answers'

describe('TrackerAnswersSection', () => {
  it('lists what each tracker said, and shows nothing before any answer', () => {
    expect(expand(<TrackerAnswersSection answers={[]} now={0} />)).toEqual([])
    const tree = expand(
      <TrackerAnswersSection
        now={60_000}
        answers={[
          {
            site: 'app.example',
            infoHash: 'ab'.repeat(20),
            trackerHost: 'tracker.example',
            complete: 3,
            incomplete: 1,
            interval: 120,
            at: 0,
          },
          { site: 'app.example', infoHash: 'cd'.repeat(20), trackerHost: 't2.example', at: 0 },
        ]}
      />,
    )
    const rows = byTestId(tree, 'tracker-answer')
    expect(rows.map((r) => r.props['data-info-hash'])).toEqual(['ab'.repeat(20), 'cd'.repeat(20)])
    expect(text(rows.slice(0, 1))).toContain('3 seeding, 1 downloading')
    expect(text(rows.slice(0, 1))).toContain('announces every 120 s')
    expect(text(rows.slice(1, 2))).toContain('? seeding, ? downloading')
  })
})
