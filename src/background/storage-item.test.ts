import { describe, expect, it } from 'vitest'
import { createMemoryStorageArea, createStorageItem } from './storage-item'

const parseCount = (raw: unknown): number | undefined =>
  typeof raw === 'number' && Number.isInteger(raw) ? raw : undefined

describe('createStorageItem', () => {
  it('returns the default until a value is stored', async () => {
    const area = createMemoryStorageArea()
    const item = createStorageItem(area, 'count', { defaultValue: 3, parse: parseCount })
    expect(await item.get()).toBe(3)
    await item.set(7)
    expect(await item.get()).toBe(7)
    expect(area.dump()).toEqual({ count: 7 })
    await item.remove()
    expect(await item.get()).toBe(3)
  })

  it('falls back to the default when storage holds something of the wrong shape', async () => {
    const area = createMemoryStorageArea()
    await area.set({ count: 'seven' })
    const item = createStorageItem(area, 'count', { defaultValue: 3, parse: parseCount })
    expect(await item.get()).toBe(3)
  })

  it('hands out copies, so callers cannot change what is stored', async () => {
    const area = createMemoryStorageArea()
    const item = createStorageItem<string[]>(area, 'list', {
      defaultValue: [],
      parse: (raw) => (Array.isArray(raw) ? (raw as string[]) : undefined),
    })
    const list = ['a']
    await item.set(list)
    list.push('b')
    const read = await item.get()
    read.push('c')
    expect(await item.get()).toEqual(['a'])
  })
})
