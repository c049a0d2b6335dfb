import { describe, expect, it } from 'vitest'
import { ReadsAhead, type PendingRead } from './reads-ahead'

type Read = PendingRead<string, string>

/** A read of `key`, asked under the scope keys `keys` (none: outside a scoped unit). */
function read(key: string, keys?: readonly string[]): Read {
  return { key, item: `item ${key}`, read: `shape ${key}`, keys: keys && new Set(keys) }
}

function reads(): ReadsAhead<string, string, string[]> {
  return new ReadsAhead<string, string, string[]>()
}

/** Asks for `r`, sends it and lets its rows arrive. */
function arrive(ahead: ReturnType<typeof reads>, r: Read): void {
  ahead.ask(r)
  ahead.send()
  ahead.arrived(r.key, [`rows ${r.key}`])
}

const keysOf = (list: readonly Read[]) => list.map((r) => r.key)

describe('ReadsAhead', () => {
  it('keeps the reads asked, in order, until sent', () => {
    const ahead = reads()
    const a = read('a', ['x'])
    const b = read('b')
    ahead.ask(a)
    ahead.ask(b)
    expect(ahead.pendingCount).toBe(2)
    expect(ahead.waiting()).toEqual([a, b])
    expect(ahead.waiting()).toEqual([a, b])
  })

  it('ignores a read already waiting', () => {
    const ahead = reads()
    ahead.ask(read('a', ['x']))
    ahead.ask(read('a', ['y']))
    expect(keysOf(ahead.waiting())).toEqual(['a'])
    expect(ahead.pendingCount).toBe(1)
  })

  it('ignores a read whose rows already arrived', () => {
    const ahead = reads()
    arrive(ahead, read('a', ['x']))
    ahead.ask(read('a', ['x']))
    expect(ahead.pendingCount).toBe(0)
    expect(ahead.take('a')).toEqual(['rows a'])
  })

  it('hands out the waiting reads once and empties the list', () => {
    const ahead = reads()
    const a = read('a', ['x'])
    const b = read('b', ['y'])
    ahead.ask(a)
    ahead.ask(b)
    expect(ahead.send()).toEqual([a, b])
    expect(ahead.pendingCount).toBe(0)
    expect(ahead.waiting()).toEqual([])
    expect(ahead.send()).toEqual([])
  })

  it('asks a sent read again while its rows have not arrived', () => {
    const ahead = reads()
    ahead.ask(read('a', ['x']))
    ahead.send()
    ahead.ask(read('a', ['x']))
    expect(keysOf(ahead.waiting())).toEqual(['a'])
  })

  it('answers a read once', () => {
    const ahead = reads()
    expect(ahead.hasRows).toBe(false)
    arrive(ahead, read('a', ['x']))
    expect(ahead.hasRows).toBe(true)
    expect(ahead.take('a')).toEqual(['rows a'])
    expect(ahead.take('a')).toBeUndefined()
    expect(ahead.hasRows).toBe(false)
  })

  it('answers nothing for a read that never arrived', () => {
    const ahead = reads()
    ahead.ask(read('a', ['x']))
    expect(ahead.take('a')).toBeUndefined()
    expect(ahead.take('b')).toBeUndefined()
  })

  it('forgets, on a scoped write, only the arrived rows read under one of its keys', () => {
    const ahead = reads()
    arrive(ahead, read('a', ['x']))
    arrive(ahead, read('b', ['y']))
    arrive(ahead, read('c', ['z', 'x']))
    ahead.wrote(new Set(['x']))
    expect(ahead.take('a')).toBeUndefined()
    expect(ahead.take('c')).toBeUndefined()
    expect(ahead.take('b')).toEqual(['rows b'])
  })

  it('forgets, on a scoped write, only the waiting reads asked under one of its keys', () => {
    const ahead = reads()
    ahead.ask(read('a', ['x']))
    ahead.ask(read('b', ['y']))
    ahead.ask(read('c', ['w', 'z']))
    ahead.wrote(new Set(['z', 'v']))
    expect(keysOf(ahead.waiting())).toEqual(['a', 'b'])
    expect(ahead.pendingCount).toBe(2)
  })

  it('forgets reads asked outside a scoped unit on any write', () => {
    const ahead = reads()
    arrive(ahead, read('a'))
    ahead.ask(read('b'))
    ahead.ask(read('c', ['x']))
    ahead.wrote(new Set(['y']))
    expect(ahead.take('a')).toBeUndefined()
    expect(keysOf(ahead.waiting())).toEqual(['c'])
  })

  it('forgets reads asked outside a scoped unit on an unscoped write', () => {
    const ahead = reads()
    arrive(ahead, read('a'))
    ahead.ask(read('b'))
    ahead.wrote(undefined)
    expect(ahead.take('a')).toBeUndefined()
    expect(ahead.waiting()).toEqual([])
  })

  it('forgets everything on a write outside a scoped unit', () => {
    const ahead = reads()
    arrive(ahead, read('a', ['x']))
    ahead.ask(read('b', ['y']))
    ahead.wrote(undefined)
    expect(ahead.hasRows).toBe(false)
    expect(ahead.take('a')).toBeUndefined()
    expect(ahead.pendingCount).toBe(0)
    expect(ahead.waiting()).toEqual([])
  })

  it('forgets everything on clear', () => {
    const ahead = reads()
    arrive(ahead, read('a', ['x']))
    ahead.ask(read('b'))
    ahead.clear()
    expect(ahead.hasRows).toBe(false)
    expect(ahead.take('a')).toBeUndefined()
    expect(ahead.pendingCount).toBe(0)
    expect(ahead.waiting()).toEqual([])
  })

  it('asks a read again once a scoped write forgot it', () => {
    const ahead = reads()
    arrive(ahead, read('a', ['x']))
    ahead.ask(read('b', ['x']))
    ahead.wrote(new Set(['x']))
    ahead.ask(read('a', ['x']))
    ahead.ask(read('b', ['x']))
    expect(keysOf(ahead.waiting())).toEqual(['a', 'b'])
    // Forgotten again by the next write under the same key.
    ahead.wrote(new Set(['x']))
    expect(ahead.waiting()).toEqual([])
  })

  it('asks a read again once an unscoped write or clear forgot it', () => {
    const ahead = reads()
    arrive(ahead, read('a'))
    ahead.wrote(undefined)
    ahead.ask(read('a'))
    expect(keysOf(ahead.waiting())).toEqual(['a'])
    ahead.clear()
    ahead.ask(read('a'))
    expect(keysOf(ahead.waiting())).toEqual(['a'])
  })
})
