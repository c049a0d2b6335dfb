import { createRequire } from 'node:module'
import type LibpqClass from 'libpq'

export type { LibpqClass }

// Through require: imported as an ES module, libpq believes it is the main
// program and prints its include folder on stdout.
export const Libpq = createRequire(import.meta.url)('libpq') as typeof LibpqClass

const closing = new Set<LibpqClass>()

/**
 * Call after `finish()`. libpq's finish() hands its socket watcher to libuv to
 * close on the next loop turn, but the watcher lives inside the connection
 * object: if the garbage collector frees that object first, libuv touches
 * freed memory and aborts the process. Holding the object until two turns
 * later (past the loop's close phase) keeps it alive long enough.
 */
export function keepUntilClosed(pq: LibpqClass): void {
  closing.add(pq)
  setImmediate(() => setImmediate(() => closing.delete(pq)))
}
