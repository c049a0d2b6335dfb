/**
 * Runs async tasks one at a time per key, in arrival order. The announce path
 * needs it: between "is there a newer announce?" and "store this one" the
 * ledger policy may await, and two announces of one session must not
 * interleave there.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  /** Runs `task` after every earlier task for `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const current = previous.then(() => task())
    const tail = current.then(
      () => undefined,
      () => undefined,
    )
    this.tails.set(key, tail)
    try {
      return await current
    } finally {
      // Only the last task of a chain may drop the entry, or a waiter would be skipped.
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.tails.size
  }
}
