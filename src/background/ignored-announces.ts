import {
  createOnceFilter,
  type ActivityEntry,
  type ActivityLog,
  type OnceFilter,
} from './activity-log'

export interface IgnoredAnnounceDeps {
  activity: ActivityLog
  warn: (message: string) => void
  now: () => number
  once?: OnceFilter
  /** `replace`: a replace-mode failure (the page still got an answer); default `ignored`. */
  kind?: ActivityEntry['kind']
}

/** Reports an announce that was seen but cannot be published. */
export type ReportIgnored = (host: string, reason: string) => void

const MAX_REASON_LENGTH = 200

/**
 * Logs each (tracker host, reason) pair once, to the console and the activity
 * log. Callers pass only the host and a parser message: the path and query
 * are never logged, because private trackers put the passkey there.
 */
export function createIgnoredReporter(deps: IgnoredAnnounceDeps): ReportIgnored {
  const once = deps.once ?? createOnceFilter()
  return (host, reason) => {
    const short =
      reason.length > MAX_REASON_LENGTH ? reason.slice(0, MAX_REASON_LENGTH) + '…' : reason
    if (!once.first(`${host}\n${short}`)) return
    const kind = deps.kind ?? 'ignored'
    deps.warn(
      `tseed: ${kind === 'ignored' ? 'ignored an announce' : 'replace mode'} to ${host}: ${short}`,
    )
    deps.activity.add({ at: deps.now(), kind, host, reason: short })
  }
}
