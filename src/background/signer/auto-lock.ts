import { createStorageItem, type StorageAreaLike, type StorageItem } from '../storage-item'
import type { Identity } from './encrypted-key-identity'

/** Checked once a minute by an alarm, so a stopped worker still locks on time. */
export const AUTO_LOCK_ALARM = 'tseed-auto-lock'

/** Activity is written at most this often: the popup reports it on every poll. */
const TOUCH_EVERY_MS = 30_000

export interface AutoLock {
  /** Minutes without use before the key locks; 0 locks only when the browser closes. */
  minutes: StorageItem<number>
  /** The user is looking at the extension: the idle time starts again. */
  touch(): void
  /** Locks the key if it has been idle too long; true when it did. */
  check(): Promise<boolean>
}

export function createAutoLock(deps: {
  identity: Identity
  localArea: StorageAreaLike
  /** Last use lives with the unlocked key: both go when the browser closes. */
  sessionArea: StorageAreaLike
  now: () => number
  warn: (message: string) => void
}): AutoLock {
  const minutes = createStorageItem<number>(deps.localArea, 'autoLockMinutes', {
    defaultValue: 0,
    parse: (raw) =>
      Number.isSafeInteger(raw) && (raw as number) >= 0 ? (raw as number) : undefined,
  })
  const lastUse = createStorageItem<number>(deps.sessionArea, 'lastUse', {
    defaultValue: 0,
    parse: (raw) => (typeof raw === 'number' ? raw : undefined),
  })
  let lastWritten = 0
  return {
    minutes,
    touch() {
      const now = deps.now()
      if (now - lastWritten < TOUCH_EVERY_MS) return
      lastWritten = now
      lastUse.set(now).catch((e: unknown) => {
        deps.warn(`tseed: could not record activity: ${(e as Error).message}`)
      })
    },
    async check() {
      if (deps.identity.state() !== 'unlocked') return false
      const [idleMinutes, last] = await Promise.all([minutes.get(), lastUse.get()])
      if (last === 0) {
        // No use recorded in this browser session yet: the idle time starts now.
        await lastUse.set(deps.now())
        return false
      }
      if (idleMinutes === 0 || deps.now() - last < idleMinutes * 60_000) return false
      await deps.identity.lock()
      return true
    },
  }
}
