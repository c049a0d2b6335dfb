import { describe, expect, it } from 'vitest'
import { loadSessionSalt, SESSION_SALT_BYTES } from './session-salt'
import { createMemoryStorageArea } from './storage-item'

const fill = (byte: number) => (n: number) => new Uint8Array(n).fill(byte)

describe('loadSessionSalt', () => {
  it('creates a salt once and returns the same one afterwards', async () => {
    const area = createMemoryStorageArea()
    const first = await loadSessionSalt(area, fill(0xab))
    expect(first).toEqual(new Uint8Array(SESSION_SALT_BYTES).fill(0xab))
    expect(area.dump()).toEqual({ sessionSalt: 'ab'.repeat(32) })
    const again = await loadSessionSalt(area, fill(0x01))
    expect(again).toEqual(first)
  })

  it('replaces a corrupt stored salt', async () => {
    const area = createMemoryStorageArea()
    await area.set({ sessionSalt: 'zz' })
    expect(await loadSessionSalt(area, fill(0x02))).toEqual(new Uint8Array(32).fill(2))
  })

  it('refuses a random source that returns too few bytes', async () => {
    await expect(
      loadSessionSalt(createMemoryStorageArea(), () => new Uint8Array(4)),
    ).rejects.toThrow('short salt')
  })
})
