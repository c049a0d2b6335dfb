import { describe, expect, it } from 'vitest'
import { createWorkQueue } from './work-queue'

function setup(costMs: number) {
  let now = 0
  const timers: (() => void)[] = []
  const q = createWorkQueue({
    sliceMs: 8,
    now: () => now,
    setTimer: (fn) => timers.push(fn),
  })
  const ran: number[] = []
  const slices: number[][] = []
  const runTimers = () => {
    while (timers.length > 0) {
      const fn = timers.shift()!
      slices.push([])
      fn()
    }
  }
  const job = (i: number) => () => {
    now += costMs
    ran.push(i)
    slices.at(-1)?.push(i)
  }
  return { q, ran, slices, runTimers, job, timers }
}

describe('createWorkQueue', () => {
  it('runs nothing synchronously and everything in order, in slices of the set length', () => {
    const { q, ran, slices, runTimers, job, timers } = setup(3)
    for (let i = 0; i < 7; i++) q.push(job(i))
    expect(ran).toEqual([])
    expect(timers).toHaveLength(1)
    runTimers()
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6])
    // 3 ms each, 8 ms slices: three jobs reach 9 ms, then it yields.
    expect(slices).toEqual([[0, 1, 2], [3, 4, 5], [6]])
    expect(q.pending).toBe(0)
  })

  it('keeps going after a job that throws', () => {
    const { q, ran, runTimers, job } = setup(1)
    q.push(job(1))
    q.push(() => {
      throw new Error('node gone')
    })
    q.push(job(2))
    runTimers()
    expect(ran).toEqual([1, 2])
  })

  it('takes jobs pushed while it runs into the same or a later slice', () => {
    const { q, ran, runTimers, job } = setup(1)
    q.push(() => {
      q.push(job(2))
    })
    q.push(job(1))
    runTimers()
    expect(ran).toEqual([1, 2])
  })
})
