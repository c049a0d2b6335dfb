/**
 * The part of `browser.storage.local` / `storage.session` this code uses, so
 * unit tests can pass a plain in-memory area.
 */
export interface StorageAreaLike {
  get(key: string): Promise<Record<string, unknown>>
  set(items: Record<string, unknown>): Promise<void>
  remove(key: string): Promise<void>
}

export interface StorageItem<T> {
  readonly key: string
  /** The stored value, or the default when nothing (or something unreadable) is stored. */
  get(): Promise<T>
  set(value: T): Promise<void>
  remove(): Promise<void>
}

export interface StorageItemOptions<T> {
  defaultValue: T
  /**
   * Turns what storage holds back into a T, or returns undefined when it is
   * not one. Storage outlives code versions, so nothing read is trusted.
   */
  parse: (raw: unknown) => T | undefined
}

/**
 * One typed key in a storage area, with a default.
 *
 * @example
 * const relays = createStorageItem(browser.storage.local, 'relays', {
 *   defaultValue: ['ws://127.0.0.1:7447'],
 *   parse: (raw) => (isStringArray(raw) ? raw : undefined),
 * })
 */
export function createStorageItem<T>(
  area: StorageAreaLike,
  key: string,
  opts: StorageItemOptions<T>,
): StorageItem<T> {
  return {
    key,
    async get() {
      const raw = (await area.get(key))[key]
      if (raw === undefined) return opts.defaultValue
      return opts.parse(raw) ?? opts.defaultValue
    },
    set: (value) => area.set({ [key]: value }),
    remove: () => area.remove(key),
  }
}

/** An in-memory storage area with the same copy-on-write behaviour as the real ones. */
export function createMemoryStorageArea(): StorageAreaLike & { dump(): Record<string, unknown> } {
  const data = new Map<string, unknown>()
  return {
    get(key) {
      const v = data.get(key)
      return Promise.resolve(v === undefined ? {} : { [key]: structuredClone(v) })
    },
    set(items) {
      for (const [k, v] of Object.entries(items)) data.set(k, structuredClone(v))
      return Promise.resolve()
    },
    remove(key) {
      data.delete(key)
      return Promise.resolve()
    },
    dump: () => Object.fromEntries(data),
  }
}

/**
 * Runs async functions one at a time, in call order. Read-modify-write on a
 * storage area is not atomic, so every writer of one key goes through one
 * of these; a failure is returned to its caller and does not stop the queue.
 */
export function createSerialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve()
  return (fn) => {
    const run = queue.then(fn, fn)
    queue = run.catch(() => undefined)
    return run
  }
}
