import { describe, expect, it } from 'vitest'
import { createDrainScheduler, DRAIN_ALARM, type AlarmsLike } from './drain-scheduler'
import type { DrainResult } from './publisher'

function fakeAlarms() {
  const alarms = new Map<string, unknown>()
  const api: AlarmsLike = {
    create: (name, info) => {
      alarms.set(name, info)
    },
    get: (name) => Promise.resolve(alarms.get(name)),
    clear: (name) => Promise.resolve(alarms.delete(name)),
  }
  return { api, alarms }
}

function fakeTimers() {
  const timers = new Map<number, { fn: () => void; ms: number }>()
  let next = 1
  return {
    timers,
    setTimer: (fn: () => void, ms: number) => {
      timers.set(next, { fn, ms })
      return next++
    },
    clearTimer: (h: unknown) => void timers.delete(h as number),
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('createDrainScheduler', () => {
  it('folds requests made during a drain into one follow-up drain', async () => {
    const calls: boolean[] = []
    let release: () => void = () => undefined
    const { api } = fakeAlarms()
    const t = fakeTimers()
    const s = createDrainScheduler({
      drain: async (force) => {
        calls.push(force)
        if (calls.length === 1) await new Promise<void>((r) => (release = r))
        return { nextWakeAt: null, waitingForKey: false }
      },
      alarms: api,
      now: () => 0,
      ...t,
      warn: () => undefined,
    })
    const first = s.request()
    await tick()
    const second = s.request()
    const third = s.request(true)
    release()
    await Promise.all([first, second, third])
    expect(calls).toEqual([false, true])
  })

  it('sets a timer for the next wake and an alarm as a safety net, and clears both when idle', async () => {
    const { api, alarms } = fakeAlarms()
    const t = fakeTimers()
    let result: DrainResult = { nextWakeAt: 1_000 + 4_000, waitingForKey: false }
    const s = createDrainScheduler({
      drain: () => Promise.resolve(result),
      alarms: api,
      now: () => 1_000,
      ...t,
      warn: () => undefined,
    })
    await s.request()
    expect([...t.timers.values()].map((x) => x.ms)).toEqual([4_000])
    expect(alarms.get(DRAIN_ALARM)).toEqual({ delayInMinutes: 0.5, periodInMinutes: 0.5 })
    result = { nextWakeAt: null, waitingForKey: true }
    // The timer fires: a drain runs, finds nothing to wait for, and disarms.
    const [id, timer] = [...t.timers.entries()][0]!
    t.timers.delete(id)
    timer.fn()
    await tick()
    await tick()
    expect(t.timers.size).toBe(0)
    expect(alarms.has(DRAIN_ALARM)).toBe(false)
    expect(s.last()).toEqual({ nextWakeAt: null, waitingForKey: true })
  })

  it('survives a failing drain and tries again shortly', async () => {
    const warnings: string[] = []
    const t = fakeTimers()
    const s = createDrainScheduler({
      drain: () => Promise.reject(new Error('database is gone')),
      alarms: fakeAlarms().api,
      now: () => 0,
      ...t,
      warn: (m) => warnings.push(m),
    })
    expect((await s.request()).nextWakeAt).toBe(5_000)
    expect(warnings).toEqual(['tseed: outbox drain failed: database is gone'])
    expect([...t.timers.values()].map((x) => x.ms)).toEqual([5_000])
  })

  it('starts a new drain for a request made right as the previous one finishes', async () => {
    let n = 0
    const s = createDrainScheduler({
      drain: () =>
        Promise.resolve({ nextWakeAt: null, waitingForKey: false, n: ++n } as DrainResult),
      alarms: fakeAlarms().api,
      now: () => 0,
      ...fakeTimers(),
      warn: () => undefined,
    })
    await s.request().then(() => s.request())
    expect(n).toBe(2)
  })
})
