import { describe, expect, it } from 'vitest'
import { TurnBatch } from './turn-batch'

describe('TurnBatch', () => {
  it('answers the lookups of one turn with one call, in order', async () => {
    const calls: number[][] = []
    const batch = new TurnBatch((keys: number[]) => {
      calls.push(keys)
      return keys.map((k) => k * 10)
    })
    const first = await Promise.all([batch.get(1), batch.get(2), batch.get(3)])
    expect(first).toEqual([10, 20, 30])
    expect(await batch.get(4)).toBe(40)
    expect(calls).toEqual([[1, 2, 3], [4]])
  })

  it('rejects every lookup of the turn when the call throws or answers short, then works again', async () => {
    let mode: 'throw' | 'short' | 'ok' = 'throw'
    const batch = new TurnBatch((keys: string[]) => {
      if (mode === 'throw') throw new Error('database gone')
      return mode === 'short' ? keys.slice(1) : keys.map((k) => k.toUpperCase())
    })
    const failed = await Promise.allSettled([batch.get('a'), batch.get('b')])
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch('database gone')
    mode = 'short'
    await expect(batch.get('c')).rejects.toThrow('answered 0 of 1 keys')
    mode = 'ok'
    expect(await batch.get('d')).toBe('D')
  })
})
