import { describe, expect, it } from 'vitest'
import { createMemoryStorageArea } from '../storage-item'
import { createAutoLock } from './auto-lock'
import { createEncryptedKeyIdentity } from './encrypted-key-identity'

async function setup() {
  let now = 1_000_000
  const local = createMemoryStorageArea()
  const session = createMemoryStorageArea()
  const identity = createEncryptedKeyIdentity({ localArea: local, sessionArea: session, logN: 4 })
  await identity.load()
  await identity.generate('password1')
  const autoLock = createAutoLock({
    identity,
    localArea: local,
    sessionArea: session,
    now: () => now,
    warn: () => undefined,
  })
  return {
    identity,
    autoLock,
    advance: (ms: number) => {
      now += ms
    },
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0))

describe('createAutoLock', () => {
  it('by default never locks on time: the browser closing locks it', async () => {
    const s = await setup()
    s.autoLock.touch()
    await settle()
    s.advance(7 * 24 * 3600_000)
    expect(await s.autoLock.check()).toBe(false)
    expect(s.identity.state()).toBe('unlocked')
  })

  it('locks after the chosen idle time, counted from the last use', async () => {
    const s = await setup()
    await s.autoLock.minutes.set(15)
    s.autoLock.touch()
    await settle()
    s.advance(14 * 60_000)
    expect(await s.autoLock.check()).toBe(false)
    s.autoLock.touch()
    await settle()
    s.advance(14 * 60_000)
    expect(await s.autoLock.check()).toBe(false)
    s.advance(2 * 60_000)
    expect(await s.autoLock.check()).toBe(true)
    expect(s.identity.state()).toBe('locked')
    // Nothing to lock twice.
    expect(await s.autoLock.check()).toBe(false)
  })

  it('starts the idle time at the first check when no use was recorded in this session', async () => {
    const s = await setup()
    await s.autoLock.minutes.set(15)
    expect(await s.autoLock.check()).toBe(false)
    s.advance(16 * 60_000)
    expect(await s.autoLock.check()).toBe(true)
  })
})
