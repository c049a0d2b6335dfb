import type { DrainResult } from './publisher'

export const DRAIN_ALARM = 'tseed-outbox'
/** Chrome does not fire alarms more often than every 30 s. */
const ALARM_PERIOD_MINUTES = 0.5
/** Keeps a burst of wake-ups from spinning. */
const MIN_TIMER_MS = 200

export interface AlarmsLike {
  create(
    name: string,
    info: { delayInMinutes?: number; periodInMinutes?: number },
  ): void | Promise<void>
  get(name: string): Promise<unknown>
  clear(name: string): Promise<boolean>
}

export interface DrainSchedulerDeps {
  drain: (force: boolean) => Promise<DrainResult>
  alarms: AlarmsLike
  now: () => number
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (handle: unknown) => void
  warn: (message: string) => void
}

export interface DrainScheduler {
  /**
   * Runs a drain soon. Calls made while one runs are folded into a single
   * follow-up run, so nothing is published twice and nothing is missed.
   * Resolves once a drain that started after this call has finished.
   */
  request(force?: boolean): Promise<DrainResult>
  /** The last drain's outcome, for the popup. */
  last(): DrainResult | undefined
}

/**
 * Drives the publisher: a timer for the next retry while the worker lives,
 * and a periodic alarm as a safety net for a worker that was stopped with
 * work left (the alarm wakes it; every start drains too).
 */
export function createDrainScheduler(deps: DrainSchedulerDeps): DrainScheduler {
  let active: Promise<void> | null = null
  let wanted: { force: boolean; waiters: ((r: DrainResult) => void)[] } | null = null
  let timer: unknown = null
  let lastResult: DrainResult | undefined

  const runOnce = async (force: boolean): Promise<DrainResult> => {
    let result: DrainResult
    try {
      result = await deps.drain(force)
    } catch (e) {
      // A failed drain must not stop the queue: try again shortly.
      deps.warn(`tseed: outbox drain failed: ${(e as Error).message}`)
      result = { nextWakeAt: deps.now() + 5_000, waitingForKey: lastResult?.waitingForKey ?? false }
    }
    lastResult = result
    try {
      await arm(result)
    } catch (e) {
      deps.warn(`tseed: could not schedule the next drain: ${(e as Error).message}`)
    }
    return result
  }

  const arm = async (result: DrainResult): Promise<void> => {
    if (timer !== null) deps.clearTimer(timer)
    timer = null
    if (result.nextWakeAt === null) {
      await deps.alarms.clear(DRAIN_ALARM)
      return
    }
    const delay = Math.max(MIN_TIMER_MS, result.nextWakeAt - deps.now())
    timer = deps.setTimer(() => {
      timer = null
      void request(false)
    }, delay)
    if ((await deps.alarms.get(DRAIN_ALARM)) === undefined) {
      await deps.alarms.create(DRAIN_ALARM, {
        delayInMinutes: ALARM_PERIOD_MINUTES,
        periodInMinutes: ALARM_PERIOD_MINUTES,
      })
    }
  }

  const loop = async (): Promise<void> => {
    while (wanted !== null) {
      const batch = wanted
      wanted = null
      const result = await runOnce(batch.force)
      for (const resolve of batch.waiters) resolve(result)
    }
    // Cleared in the same turn as the last check, so a request arriving now starts a new loop.
    active = null
  }

  function request(force = false): Promise<DrainResult> {
    return new Promise((resolve) => {
      if (wanted === null) wanted = { force, waiters: [resolve] }
      else {
        wanted.force ||= force
        wanted.waiters.push(resolve)
      }
      active ??= loop()
    })
  }

  return { request, last: () => lastResult }
}
