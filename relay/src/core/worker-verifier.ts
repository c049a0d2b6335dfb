import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import type { NostrEvent } from 'nostr-tools/core'
import {
  chooseImplementation,
  inThreadVerifier,
  loadBatchChecker,
  verifierChoiceFromEnv,
  type BatchChecker,
  type VerifierChoice,
  type VerifierImplementation,
} from './batch-checker'
import type { RelayLogger } from './client'
import { DEFAULT_ADDON_PATH } from './native-secp256k1'
import { siblingModule, spawnWorker } from './spawn-worker'
import {
  OUTCOMES,
  type VerifyReply,
  type VerifyRequest,
  type VerifyWorkerData,
} from './verify-protocol'
import { createWasmVerifier, type Verifier, type VerifyOutcome } from './verifier'

export interface WorkerVerifierOptions {
  /** Worker threads, at least 1; default one per core. */
  threads?: number
  /**
   * Which secp256k1 verifies: `native` (the libsecp256k1 addon; start fails
   * without it), `wasm` (nostr-wasm), or `auto` (native when the addon loads,
   * otherwise nostr-wasm with one warning). Default: the TSEED_VERIFIER
   * environment variable, else `auto`.
   */
  implementation?: VerifierChoice
  /** The native addon's file; default the one `npm run build:native` builds. */
  nativeAddonPath?: string
  /** Most events per message to a worker. Default 256. */
  maxBatch?: number
  /**
   * A worker that has work and has answered nothing for this long is taken
   * as stuck: it is terminated and replaced, and its events retried.
   * Default 10 s, far above a full batch (about 0.3 ms per event with
   * nostr-wasm, 0.1 ms native).
   */
  stallTimeoutMs?: number
  /** How long a new worker may take to load before it counts as failed. Default 30 s. */
  startTimeoutMs?: number
  /** Workers an event may see crash under it before it is answered with an error. Default 2. */
  maxAttempts?: number
  logger?: RelayLogger
  /** The worker module. Tests substitute one that misbehaves. */
  workerUrl?: URL
}

/** Counters for monitoring and benchmarks. */
export interface WorkerVerifierStats {
  /** The secp256k1 the workers run. */
  implementation: VerifierImplementation
  /** Worker threads running and ready now. */
  ready: number
  batches: number
  events: number
  /** Workers that exited or were terminated while the pool was open. */
  crashes: number
  /** Events checked on the main thread because no worker was ready. */
  inThread: number
}

interface Item {
  /** The event's JSON, taken when it was submitted. */
  json: string
  ev: NostrEvent
  /** Workers that died while holding it. */
  attempts: number
  resolve: (outcome: VerifyOutcome) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  ready: boolean
  /** Events sent and not yet answered. */
  load: number
  batches: Map<number, Item[]>
  /** When it last answered, or was handed work while idle. */
  lastProgress: number
  startTimer: NodeJS.Timeout | undefined
}

const DEFAULTS = {
  maxBatch: 256,
  stallTimeoutMs: 10_000,
  startTimeoutMs: 30_000,
  maxAttempts: 2,
}

const DEFAULT_WORKER_URL = siblingModule(import.meta.url, 'verify-worker')

/**
 * Verifies signatures on a pool of worker threads, one per core by default,
 * each running the native libsecp256k1 addon or, without it, the WASM
 * secp256k1 (see `implementation`). Events submitted in one event-loop turn
 * are batched, a batch per `postMessage`, spread over the least loaded
 * workers.
 *
 * A worker that crashes or stalls (`stallTimeoutMs`) is replaced, and no
 * event it held is lost. The batch it was checking is retried one event per
 * message, so a poisonous event cannot take others down with it again; an
 * event that has now seen `maxAttempts` workers die under it is answered by a
 * rejected promise (the relay replies `error:`). Batches still queued behind
 * it are resent as they were. While no worker is ready and the last start
 * failed, events are checked on the main thread, so nothing waits forever.
 */
export class WorkerPoolVerifier implements Verifier {
  private readonly slots = new Set<Slot>()
  private queue: Item[] = []
  private flushScheduled = false
  private nextBatch = 0
  private closed = false
  /** Workers in a row that died before they were ready. */
  private startFailures = 0
  private readonly watchdog: NodeJS.Timeout
  private readonly counters = { batches: 0, events: 0, crashes: 0, inThread: 0 }

  private constructor(
    private readonly threads: number,
    private readonly opts: Required<
      Omit<WorkerVerifierOptions, 'threads' | 'implementation' | 'nativeAddonPath'>
    >,
    /** What every worker is started with. */
    private readonly workerData: VerifyWorkerData,
    /** The same checker on this thread, for when no worker can answer. */
    private readonly local: BatchChecker,
  ) {
    this.watchdog = setInterval(
      () => {
        this.checkStalls()
      },
      Math.max(100, Math.floor(opts.stallTimeoutMs / 4)),
    )
    this.watchdog.unref()
  }

  /** Starts the pool and resolves once every worker has loaded. */
  static async start(options: WorkerVerifierOptions = {}): Promise<WorkerPoolVerifier> {
    const threads = options.threads ?? availableParallelism()
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new RangeError(`verifier threads must be an integer >= 1, got ${threads}`)
    }
    const opts = {
      maxBatch: options.maxBatch ?? DEFAULTS.maxBatch,
      stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
      startTimeoutMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
      logger: options.logger ?? console,
      workerUrl: options.workerUrl ?? DEFAULT_WORKER_URL,
    }
    for (const [name, value] of Object.entries(opts)) {
      if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(`verifier option ${name} must be an integer >= 1, got ${value}`)
      }
    }
    const addonPath = options.nativeAddonPath ?? DEFAULT_ADDON_PATH
    const choice = options.implementation ?? verifierChoiceFromEnv() ?? 'auto'
    const implementation = chooseImplementation(choice, opts.logger, addonPath)
    const local = await loadBatchChecker(implementation, addonPath)
    const pool = new WorkerPoolVerifier(threads, opts, { implementation, addonPath }, local)
    try {
      await Promise.all(Array.from({ length: threads }, () => pool.spawn()))
    } catch (err) {
      await pool.close()
      throw err
    }
    return pool
  }

  verify(ev: NostrEvent): Promise<boolean> {
    return this.check(ev).then((outcome) => outcome === 'valid')
  }

  check(ev: NostrEvent): Promise<VerifyOutcome> {
    if (this.closed) return Promise.reject(new Error('the verifier is closed'))
    return new Promise<VerifyOutcome>((resolve, reject) => {
      this.queue.push({ json: JSON.stringify(ev), ev, attempts: 0, resolve, reject })
      this.scheduleFlush()
    })
  }

  get stats(): WorkerVerifierStats {
    let ready = 0
    for (const s of this.slots) if (s.ready) ready++
    return { implementation: this.workerData.implementation, ready, ...this.counters }
  }

  /** Terminates the workers; events still waiting are rejected. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.watchdog)
    const error = new Error('the verifier is closed')
    for (const item of this.queue.splice(0)) item.reject(error)
    // exit handlers reject what the workers still held.
    await Promise.all([...this.slots].map((s) => s.worker.terminate()))
  }

  /** Starts one worker; resolves when it is ready, rejects if it dies first. */
  private spawn(): Promise<void> {
    const worker = spawnWorker(this.opts.workerUrl, this.workerData)
    worker.unref()
    const slot: Slot = {
      worker,
      ready: false,
      load: 0,
      batches: new Map(),
      lastProgress: Date.now(),
      startTimer: undefined,
    }
    this.slots.add(slot)
    return new Promise<void>((resolve, reject) => {
      slot.startTimer = setTimeout(() => {
        this.opts.logger.error(
          `relay: a verify worker did not load within ${this.opts.startTimeoutMs} ms`,
        )
        void worker.terminate()
      }, this.opts.startTimeoutMs)
      slot.startTimer.unref()
      worker.on('message', (msg: VerifyReply) => {
        if (msg.type === 'ready') {
          clearTimeout(slot.startTimer)
          slot.ready = true
          slot.lastProgress = Date.now()
          this.startFailures = 0
          resolve()
          this.scheduleFlush()
          return
        }
        this.onResult(slot, msg.batch, msg.outcomes)
      })
      worker.on('error', (err) => {
        if (!this.closed) this.opts.logger.error('relay: a verify worker failed', err)
      })
      worker.on('exit', (code) => {
        clearTimeout(slot.startTimer)
        reject(new Error(`a verify worker exited with code ${code} before it was ready`))
        this.onExit(slot, code)
      })
    })
  }

  private onResult(slot: Slot, batch: number, outcomes: Uint8Array): void {
    const items = slot.batches.get(batch)
    if (items === undefined) return
    slot.batches.delete(batch)
    slot.load -= items.length
    slot.lastProgress = Date.now()
    items.forEach((item, i) => {
      const outcome = OUTCOMES[outcomes[i] ?? -1]
      if (outcome === undefined) item.reject(new Error('a verify worker sent a malformed reply'))
      else item.resolve(outcome)
    })
  }

  private onExit(slot: Slot, code: number): void {
    this.slots.delete(slot)
    const batches = [...slot.batches.values()]
    slot.batches.clear()
    if (this.closed) {
      const error = new Error('the verifier is closed')
      for (const item of batches.flat()) item.reject(error)
      return
    }
    this.counters.crashes++
    if (!slot.ready) this.startFailures++
    this.opts.logger.error(
      `relay: a verify worker exited (code ${code}) holding ${batches.flat().length} events; replacing it`,
    )
    // A worker handles its messages in order, so only its oldest batch was
    // being checked when it died: those events are suspects and count an
    // attempt. The later batches never started and go back unblamed.
    const [current = [], ...untouched] = batches
    for (const item of current) {
      item.attempts++
      if (item.attempts >= this.opts.maxAttempts) {
        item.reject(new Error(`${item.attempts} verify workers died while checking this event`))
      } else {
        this.queue.push(item)
      }
    }
    for (const items of untouched) this.queue.push(...items)
    this.respawn()
    this.scheduleFlush()
  }

  /** Starts a replacement now, or after a back-off when replacements keep dying while loading. */
  private respawn(): void {
    const start = (): void => {
      if (!this.closed && this.slots.size < this.threads) this.spawn().catch(() => undefined)
    }
    if (this.startFailures === 0) {
      start()
      return
    }
    const timer = setTimeout(start, Math.min(5000, 100 * 2 ** this.startFailures))
    timer.unref()
  }

  private checkStalls(): void {
    const now = Date.now()
    for (const slot of this.slots) {
      if (slot.load > 0 && now - slot.lastProgress > this.opts.stallTimeoutMs) {
        this.opts.logger.error(
          `relay: a verify worker answered nothing for ${now - slot.lastProgress} ms; replacing it`,
        )
        slot.lastProgress = now
        void slot.worker.terminate()
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return
    this.flushScheduled = true
    // After this turn's I/O callbacks: every event read in the turn joins the batch.
    setImmediate(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  private flush(): void {
    if (this.queue.length === 0 || this.closed) return
    const ready = [...this.slots].filter((s) => s.ready)
    if (ready.length === 0) {
      // A worker is loading and the last one loaded fine: its ready message
      // flushes again. Otherwise nothing would answer, so the main thread does.
      const starting = this.slots.size > 0 && this.startFailures === 0
      if (!starting) this.checkInThread()
      return
    }
    const items = this.queue
    this.queue = []
    const fresh: Item[] = []
    for (const item of items) {
      // A retried event goes alone, so it cannot take other events down again.
      if (item.attempts > 0) this.send(leastLoaded(ready), [item])
      else fresh.push(item)
    }
    const size = Math.min(this.opts.maxBatch, Math.ceil(fresh.length / ready.length))
    for (let i = 0; i < fresh.length; i += size) {
      this.send(leastLoaded(ready), fresh.slice(i, i + size))
    }
  }

  private send(slot: Slot, items: Item[]): void {
    const batch = ++this.nextBatch
    if (slot.load === 0) slot.lastProgress = Date.now()
    slot.batches.set(batch, items)
    slot.load += items.length
    this.counters.batches++
    this.counters.events += items.length
    const req: VerifyRequest = { batch, events: `[${items.map((i) => i.json).join(',')}]` }
    slot.worker.postMessage(req)
  }

  private checkInThread(): void {
    const items = this.queue
    this.queue = []
    this.counters.inThread += items.length
    const codes = this.local.check(items.map((item) => item.ev))
    items.forEach((item, i) => {
      const outcome = OUTCOMES[codes[i] ?? -1]
      if (outcome === undefined) item.reject(new Error('the verifier returned no verdict'))
      else item.resolve(outcome)
    })
  }
}

function leastLoaded(slots: readonly Slot[]): Slot {
  let best = slots[0]
  if (best === undefined) throw new Error('no ready verify worker')
  for (const s of slots) if (s.load < best.load) best = s
  return best
}

/**
 * The relay's verifier for `threads` worker threads: a {@link WorkerPoolVerifier},
 * or an in-thread verifier for 0, with the implementation chosen as the pool
 * would.
 */
export async function createVerifier(
  threads: number,
  options: Omit<WorkerVerifierOptions, 'threads'> = {},
): Promise<Verifier> {
  if (threads !== 0) return WorkerPoolVerifier.start({ ...options, threads })
  const addonPath = options.nativeAddonPath ?? DEFAULT_ADDON_PATH
  const choice = options.implementation ?? verifierChoiceFromEnv() ?? 'auto'
  const implementation = chooseImplementation(choice, options.logger ?? console, addonPath)
  if (implementation === 'wasm') return createWasmVerifier()
  return inThreadVerifier(await loadBatchChecker(implementation, addonPath))
}
