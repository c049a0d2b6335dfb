import type { TrackerAnswerEntry, TrackerAnswers } from './tracker-answers'

export interface TrackerAnswerRouteDeps {
  trackerAnswers: Pick<TrackerAnswers, 'recent'>
}

/** How many tracker answers a page gets at once. */
export const TRACKER_ANSWERS_SHOWN = 50

/** What the WebSocket trackers of web torrent pages answered, for the extension's pages. */
export function createTrackerAnswerRoutes(d: TrackerAnswerRouteDeps) {
  return {
    /** The latest answer per (site, torrent, tracker), newest first. */
    getTrackerAnswers(): Promise<TrackerAnswerEntry[]> {
      return Promise.resolve(d.trackerAnswers.recent(TRACKER_ANSWERS_SHOWN))
    },
  }
}
