import { describe, expect, it } from 'vitest'
import { KeyedLock } from './keyed-lock'

const tick = () => new Promise((r) => setTimeout(r, 1))

describe('KeyedLock', () => {
  it('runs tasks of one key one at a time, in order', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const task = (name: string) => async () => {
      log.push(`${name} start`)
      await tick()
      log.push(`${name} end`)
      return name
    }
    const results = await Promise.all([lock.run('k', task('a')), lock.run('k', task('b'))])
    expect(results).toEqual(['a', 'b'])
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end'])
    expect(lock.size).toBe(0)
  })

  it('lets different keys run concurrently', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const task = (name: string) => async () => {
      log.push(`${name} start`)
      await tick()
      log.push(`${name} end`)
    }
    await Promise.all([lock.run('x', task('a')), lock.run('y', task('b'))])
    expect(log.slice(0, 2)).toEqual(['a start', 'b start'])
  })

  it('keeps the queue going after a task fails', async () => {
    const lock = new KeyedLock()
    const failing = lock.run('k', () => Promise.reject(new Error('boom')))
    const next = lock.run('k', () => Promise.resolve('ok'))
    await expect(failing).rejects.toThrow('boom')
    await expect(next).resolves.toBe('ok')
    expect(lock.size).toBe(0)
  })
})
