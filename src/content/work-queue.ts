/**
 * Runs many small DOM jobs (placing a thousand badges) in slices of a few
 * milliseconds, yielding to the page between slices, so no task of ours
 * blocks the page long enough to drop frames or delay its input.
 */
export interface WorkQueue {
  push(job: () => void): void
  readonly pending: number
}

export interface WorkQueueOptions {
  /** Milliseconds of work per slice before yielding. */
  sliceMs: number
  now: () => number
  setTimer: (fn: () => void, ms: number) => void
}

export function createWorkQueue(o: WorkQueueOptions): WorkQueue {
  const jobs: (() => void)[] = []
  let head = 0
  let scheduled = false
  const run = (): void => {
    scheduled = false
    const start = o.now()
    while (head < jobs.length) {
      const job = jobs[head]
      jobs[head++] = noop
      try {
        job?.()
      } catch {
        // One broken link (a node the page removed mid-way) must not stop the others.
      }
      if (o.now() - start >= o.sliceMs) break
    }
    if (head >= jobs.length) {
      jobs.length = 0
      head = 0
    } else schedule()
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    o.setTimer(run, 0)
  }
  return {
    push(job) {
      jobs.push(job)
      schedule()
    },
    get pending() {
      return jobs.length - head
    },
  }
}

function noop(): void {
  // Replaces a job once it ran, so the closure can be collected before the queue drains.
}
