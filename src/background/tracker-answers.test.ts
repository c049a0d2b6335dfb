import { describe, expect, it } from 'vitest'
import { createTrackerAnswers, type TrackerAnswerEntry } from './tracker-answers'

const entry = (over: Partial<TrackerAnswerEntry> = {}): TrackerAnswerEntry => ({
  site: 'site.test',
  infoHash: 'ab'.repeat(20),
  trackerHost: 'tracker.test',
  complete: 1,
  incomplete: 2,
  interval: 120,
  at: 0,
  ...over,
})

describe('createTrackerAnswers', () => {
  it('keeps the latest answer per site, torrent and tracker, newest first', () => {
    const a = createTrackerAnswers()
    a.record(entry({ at: 1 }))
    a.record(entry({ at: 2, trackerHost: 'other.test' }))
    a.record(entry({ at: 3, complete: 5 }))
    expect(a.recent().map((e) => [e.trackerHost, e.at, e.complete])).toEqual([
      ['tracker.test', 3, 5],
      ['other.test', 2, 1],
    ])
  })

  it('forgets the oldest beyond its size', () => {
    const a = createTrackerAnswers(3)
    for (let i = 0; i < 5; i++) a.record(entry({ infoHash: String(i).repeat(40), at: i }))
    expect(a.recent().map((e) => e.at)).toEqual([4, 3, 2])
    expect(a.recent(1).map((e) => e.at)).toEqual([4])
  })
})
