import { describe, expect, it } from 'vitest'
import { createBatcher, type SendOutcome } from './batcher'

/** A manual clock and timer queue: time moves only when the test says. */
function fakeTime() {
  let now = 0
  let timers: { at: number; fn: () => void }[] = []
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      timers.push({ at: now + ms, fn })
    },
    async advance(ms: number) {
      const until = now + ms
      for (;;) {
        timers.sort((a, b) => a.at - b.at)
        const next = timers[0]
        if (next === undefined || next.at > until) break
        timers = timers.slice(1)
        now = next.at
        next.fn()
        // Let the send's promise settle before the next timer.
        await Promise.resolve()
        await Promise.resolve()
      }
      now = until
    },
    get timers() {
      return timers.length
    },
  }
}

function setup(outcomes: SendOutcome[] = []) {
  const time = fakeTime()
  const sends: { at: number; items: number[] }[] = []
  const batcher = createBatcher<number>({
    send: (items) => {
      sends.push({ at: time.now(), items })
      return Promise.resolve(outcomes.shift() ?? { kind: 'done' })
    },
    maxBatch: 3,
    delayMs: 100,
    minIntervalMs: 1000,
    setTimer: time.setTimer,
    now: time.now,
  })
  return { batcher, sends, time }
}

describe('createBatcher', () => {
  it('sends a burst of items together after the delay, each key once', async () => {
    const { batcher, sends, time } = setup()
    batcher.add('a', 1)
    batcher.add('b', 2)
    batcher.add('a', 99)
    await time.advance(99)
    expect(sends).toEqual([])
    await time.advance(1)
    expect(sends).toEqual([{ at: 100, items: [1, 2] }])
    batcher.add('a', 3)
    await time.advance(5000)
    expect(sends).toHaveLength(1)
  })

  it('splits more than maxBatch into sends spaced by the minimum interval', async () => {
    const { batcher, sends, time } = setup()
    for (let i = 1; i <= 7; i++) batcher.add(String(i), i)
    await time.advance(3000)
    expect(sends).toEqual([
      { at: 100, items: [1, 2, 3] },
      { at: 1100, items: [4, 5, 6] },
      { at: 2100, items: [7] },
    ])
  })

  it('keeps items that arrive while a send is out for the next send', async () => {
    const { batcher, sends, time } = setup()
    batcher.add('a', 1)
    await time.advance(100)
    batcher.add('b', 2)
    await time.advance(2000)
    expect(sends.map((s) => s.items)).toEqual([[1], [2]])
    expect(sends[1]!.at).toBe(1100)
  })

  it('sends the same items again when told to retry later', async () => {
    const { batcher, sends, time } = setup([{ kind: 'retry', afterMs: 5000 }])
    batcher.add('a', 1)
    await time.advance(100)
    await time.advance(4999)
    expect(sends).toHaveLength(1)
    await time.advance(1)
    expect(sends).toEqual([
      { at: 100, items: [1] },
      { at: 5100, items: [1] },
    ])
  })

  it('stops for good when told to, and drops what waits', async () => {
    const { batcher, sends, time } = setup([{ kind: 'stop' }])
    for (let i = 1; i <= 5; i++) batcher.add(String(i), i)
    await time.advance(100)
    expect(batcher.stopped).toBe(true)
    expect(batcher.waiting).toBe(0)
    batcher.add('z', 9)
    await time.advance(10_000)
    expect(sends).toHaveLength(1)
    expect(time.timers).toBe(0)
  })
})
