import { describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../nostr/kind21000'
import { createSessionClock } from './session-clock'

const T = 1_700_000_000
const a = (infoHash: string, session?: string): Kind21000Announce => ({
  infoHash: infoHash.repeat(40),
  uploaded: 0n,
  downloaded: 0n,
  left: 1n,
  ...(session === undefined ? {} : { session }),
})

describe('createSessionClock', () => {
  it('never gives one session the same second twice', () => {
    const clock = createSessionClock()
    expect(clock.next(a('a', 's1'), T)).toBe(T)
    expect(clock.next(a('a', 's1'), T)).toBe(T + 1)
    expect(clock.next(a('a', 's1'), T)).toBe(T + 2)
    // The clock catches up: no gap is kept once real time passes the last one.
    expect(clock.next(a('a', 's1'), T + 10)).toBe(T + 10)
  })

  it('keeps sessions, torrents and sessionless announces apart', () => {
    const clock = createSessionClock()
    expect(clock.next(a('a', 's1'), T)).toBe(T)
    expect(clock.next(a('a', 's2'), T)).toBe(T)
    expect(clock.next(a('b', 's1'), T)).toBe(T)
    expect(clock.next(a('a'), T)).toBe(T)
    expect(clock.next(a('a'), T)).toBe(T + 1)
  })

  it('forgets old sessions once it holds many, without forgetting recent ones', () => {
    const clock = createSessionClock()
    for (let i = 0; i < 1_001; i++) clock.next(a('c', i.toString(16).padStart(32, '0')), T)
    const recent = a('d', 'f'.repeat(32))
    expect(clock.next(recent, T + 100)).toBe(T + 100)
    expect(clock.next(recent, T + 100)).toBe(T + 101)
  })
})
