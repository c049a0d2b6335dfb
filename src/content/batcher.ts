/**
 * Collects the info hashes a page shows and asks the background about them
 * in batches: links found in one burst (the first scan, a page of results
 * added by script) go in one message of up to `maxBatch`, sends are spaced
 * by `minIntervalMs`, one at a time, and each hash is asked once per page.
 */

/** What a send says about the items it was given. */
export type SendOutcome =
  | { kind: 'done' }
  /** Ask again for the same items after this long (the background is rate limiting). */
  | { kind: 'retry'; afterMs: number }
  /** Stop batching for good (the site is switched off, or the extension went away). */
  | { kind: 'stop' }

export interface BatcherOptions<T> {
  send: (items: T[]) => Promise<SendOutcome>
  maxBatch: number
  /** Wait after the first new item, so a burst of them goes in one send. */
  delayMs: number
  /** Least time from the end of one send to the start of the next. */
  minIntervalMs: number
  setTimer: (fn: () => void, ms: number) => void
  /** Milliseconds. */
  now: () => number
}

export interface Batcher<T> {
  /** Queues `item` unless `key` was queued before. */
  add(key: string, item: T): void
  /** Items waiting to be sent. */
  readonly waiting: number
  readonly stopped: boolean
}

export function createBatcher<T>(o: BatcherOptions<T>): Batcher<T> {
  const known = new Set<string>()
  let queue: T[] = []
  let timerSet = false
  let inFlight = false
  let stopped = false
  let lastEnd = -Infinity

  const schedule = (minDelay: number): void => {
    if (timerSet || inFlight || stopped || queue.length === 0) return
    timerSet = true
    const spacing = lastEnd + o.minIntervalMs - o.now()
    o.setTimer(flush, Math.max(minDelay, spacing, 0))
  }

  const flush = (): void => {
    timerSet = false
    if (inFlight || stopped || queue.length === 0) return
    const items = queue.slice(0, o.maxBatch)
    queue = queue.slice(items.length)
    inFlight = true
    o.send(items).then(
      (outcome) => {
        inFlight = false
        lastEnd = o.now()
        if (outcome.kind === 'stop') {
          stopped = true
          queue = []
          return
        }
        if (outcome.kind === 'retry') {
          queue = [...items, ...queue]
          schedule(outcome.afterMs)
          return
        }
        schedule(0)
      },
      () => {
        // A send that throws is a bug in the caller, not a reason to retry forever.
        inFlight = false
        stopped = true
      },
    )
  }

  return {
    add(key, item) {
      if (stopped || known.has(key)) return
      known.add(key)
      queue.push(item)
      schedule(o.delayMs)
    },
    get waiting() {
      return queue.length
    },
    get stopped() {
      return stopped
    },
  }
}
