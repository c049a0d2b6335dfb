/**
 * The tracker's start flags (`npm run relay -- --tracker-interval 900`),
 * appended to the relay's in relay/src/operator/start.ts.
 */
import { integerFlag, onOffFlag, type CliFlag } from '../cli-options'
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from './tracker'

export interface TrackerCliOptions {
  trackerInterval: number
  trackerMinInterval: number
  trackerIpParam: boolean
}

export const TRACKER_CLI_DEFAULTS: Readonly<TrackerCliOptions> = Object.freeze({
  trackerInterval: DEFAULT_TRACKER_OPTIONS.intervalSeconds,
  trackerMinInterval: DEFAULT_TRACKER_OPTIONS.minIntervalSeconds,
  trackerIpParam: DEFAULT_TRACKER_OPTIONS.allowIpParam,
})

export const TRACKER_FLAGS: readonly CliFlag<TrackerCliOptions>[] = [
  {
    name: 'tracker-interval',
    valueName: '<seconds>',
    description: `how often desktop clients re-announce to the HTTP tracker (default ${TRACKER_CLI_DEFAULTS.trackerInterval})`,
    apply: (o, v) => {
      o.trackerInterval = integerFlag('tracker-interval', v, 1, 7 * 86_400)
    },
  },
  {
    name: 'tracker-min-interval',
    valueName: '<seconds>',
    description: `the soonest they may announce again; at most the interval (default ${TRACKER_CLI_DEFAULTS.trackerMinInterval})`,
    apply: (o, v) => {
      o.trackerMinInterval = integerFlag('tracker-min-interval', v, 1, 7 * 86_400)
    },
  },
  onOffFlag(
    'tracker-ip-param',
    'list tracker peers under the ip= they send instead of the address their request came from; ' +
      'lets anyone point a swarm at a third party (default off)',
    (o, on) => {
      o.trackerIpParam = on
    },
  ),
]

/** The tracker part of `startTseedRelay`'s options. */
export function trackerOptions(o: TrackerCliOptions): Partial<TrackerOptions> {
  return {
    intervalSeconds: o.trackerInterval,
    // An interval below the default minimum lowers the minimum with it.
    minIntervalSeconds: Math.min(o.trackerMinInterval, o.trackerInterval),
    allowIpParam: o.trackerIpParam,
  }
}
