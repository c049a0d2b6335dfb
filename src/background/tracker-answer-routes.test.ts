import { describe, expect, it } from 'vitest'
import { createTrackerAnswerRoutes, TRACKER_ANSWERS_SHOWN } from './tracker-answer-routes'
import { createTrackerAnswers } from './tracker-answers'

describe('getTrackerAnswers', () => {
  it('returns the newest answers, at most a page of them', async () => {
    const trackerAnswers = createTrackerAnswers()
    for (let i = 0; i < TRACKER_ANSWERS_SHOWN + 5; i++) {
      trackerAnswers.record({
        site: 'site.test',
        infoHash: i.toString(16).padStart(40, '0'),
        trackerHost: 'tracker.test',
        complete: i,
        at: i,
      })
    }
    const got = await createTrackerAnswerRoutes({ trackerAnswers }).getTrackerAnswers()
    expect(got).toHaveLength(TRACKER_ANSWERS_SHOWN)
    expect(got[0]?.complete).toBe(TRACKER_ANSWERS_SHOWN + 4)
  })
})
