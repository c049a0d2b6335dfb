import { Worker } from 'node:worker_threads'

/**
 * Worker threads are plain Node: the parent's `--import tsx` does not make a
 * worker load `.ts` files. A TypeScript worker therefore first registers tsx
 * (a runtime dependency of the relay) in its own thread, then imports the
 * module. Written as CommonJS because an eval'd worker is a script.
 */
const TSX_BOOT = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((tsx) => { tsx.register(); return import(workerData.entry) });
`

/**
 * Starts a worker thread on `url`, a `.ts` module (source, under tsx or
 * vitest) or a compiled `.js` one. `data` arrives as `workerData.data`.
 * The parent's execArgv is not passed on: profiling and loader flags
 * belong to the main thread.
 */
export function spawnWorker(url: URL, data?: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { execArgv: [], workerData: { data } })
  return new Worker(TSX_BOOT, {
    eval: true,
    execArgv: [],
    workerData: { tsx: import.meta.resolve('tsx/esm/api'), entry: url.href, data },
  })
}

/**
 * The sibling module `name` (without extension) of `moduleUrl`, with the
 * extension the running code has: `.ts` from source, `.js` once compiled.
 */
export function siblingModule(moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl)
}
