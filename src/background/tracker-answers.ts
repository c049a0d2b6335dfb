import type { TrackerAnswer } from './ws-hook-report'

/** The latest reply a WebSocket tracker gave a page's announce for one torrent. */
export interface TrackerAnswerEntry extends TrackerAnswer {
  /** The top-level page's host, as announces show it. */
  site: string
  trackerHost: string
  at: number
}

export interface TrackerAnswers {
  record(entry: TrackerAnswerEntry): void
  /** Newest first. */
  recent(limit?: number): TrackerAnswerEntry[]
}

export const TRACKER_ANSWERS_SIZE = 200

/**
 * What the trackers of web torrent pages say about their swarms (seeders,
 * leechers, the announce interval), one entry per (site, torrent, tracker).
 * In memory and bounded: it describes the present and is rebuilt by the next
 * announce after a worker restart.
 */
export function createTrackerAnswers(size = TRACKER_ANSWERS_SIZE): TrackerAnswers {
  // Insertion order is age order: re-recording a key moves it to the end.
  const entries = new Map<string, TrackerAnswerEntry>()
  return {
    record(entry) {
      const key = `${entry.site}\n${entry.infoHash}\n${entry.trackerHost}`
      entries.delete(key)
      entries.set(key, entry)
      for (const oldest of entries.keys()) {
        if (entries.size <= size) break
        entries.delete(oldest)
      }
    },
    recent(limit = size) {
      return [...entries.values()].reverse().slice(0, limit)
    },
  }
}
