import { describe, expect, it } from 'vitest'
import { createActivityLog, createOnceFilter } from './activity-log'

describe('createActivityLog', () => {
  it('returns the newest entries first and keeps only the last ones', () => {
    const log = createActivityLog(3)
    for (let i = 0; i < 5; i++) log.add({ at: i, kind: 'ignored', host: 'h', reason: `r${i}` })
    expect(log.recent().map((e) => e.at)).toEqual([4, 3, 2])
    expect(log.recent(2).map((e) => e.at)).toEqual([4, 3])
  })
})

describe('createOnceFilter', () => {
  it('reports a key only the first time', () => {
    const f = createOnceFilter()
    expect(f.first('a')).toBe(true)
    expect(f.first('a')).toBe(false)
    expect(f.first('b')).toBe(true)
  })

  it('forgets the oldest keys beyond its size', () => {
    const f = createOnceFilter(2)
    f.first('a')
    f.first('b')
    f.first('c')
    expect(f.first('c')).toBe(false)
    expect(f.first('a')).toBe(true)
  })
})
