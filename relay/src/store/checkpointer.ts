import type { RelayLogger } from '../core/client'
import { siblingModule, spawnWorker } from '../core/spawn-worker'
import type { CheckpointCommand, CheckpointReply, CheckpointWorkerData } from './checkpoint-worker'
import { WAL_AUTOCHECKPOINT_PAGES, type SqliteDatabase } from './database'

export interface BackgroundCheckpointOptions {
  /** How often the worker checkpoints. Default 250 ms. */
  intervalMs?: number
  /**
   * WAL length, in frames, from which the main connection finishes the
   * worker's checkpoint so that the WAL starts over. Default 10,000.
   */
  restartFrames?: number
  logger?: RelayLogger
}

export interface BackgroundCheckpointStats {
  /** Whether the worker checkpoints now (false before start, after close, or if it died). */
  running: boolean
  /** Worker checkpoints that copied frames, those frames, and the worker's time on them. */
  checkpoints: number
  frames: number
  workerMs: number
  /** Checkpoints the main connection finished, and its time on them. */
  finishes: number
  mainMs: number
}

export interface BackgroundCheckpoints {
  readonly stats: BackgroundCheckpointStats
  /** Stops the worker and brings back the main connection's checkpoints. Idempotent. */
  close(): Promise<void>
}

const WORKER_URL = siblingModule(import.meta.url, 'checkpoint-worker')

/**
 * Moves WAL checkpoints off the thread that commits. SQLite's automatic
 * checkpoint runs inside the COMMIT that crosses its threshold, so every few
 * thousand announces one group waited while about 40 MB were copied and the
 * file synced: a large part of the relay's OK latency at half load
 * (docs/performance.md).
 *
 * Here a worker thread with its own connection runs a PASSIVE checkpoint
 * every `intervalMs`, while the main connection's automatic checkpoint is
 * off. A PASSIVE checkpoint cannot restart the WAL while writes go on, so
 * when the WAL is long the main connection, between two transactions, copies
 * the few frames the worker has not yet (about one interval's worth); the
 * next transaction then rewinds the WAL. The WAL stays bounded at about
 * `restartFrames` plus what is written in one interval.
 *
 * If the worker cannot start, or dies, the automatic checkpoint comes back
 * (with one error logged). An in-memory or non-WAL database gets a
 * checkpointer that does nothing.
 */
export async function startBackgroundCheckpoints(
  db: SqliteDatabase,
  options: BackgroundCheckpointOptions = {},
): Promise<BackgroundCheckpoints> {
  const logger = options.logger ?? console
  const stats: BackgroundCheckpointStats = {
    running: false,
    checkpoints: 0,
    frames: 0,
    workerMs: 0,
    finishes: 0,
    mainMs: 0,
  }
  const journal = db.pragma('journal_mode', { simple: true }) as string
  if (db.memory || journal !== 'wal') return { stats, close: () => Promise.resolve() }

  const data: CheckpointWorkerData = {
    path: db.name,
    intervalMs: options.intervalMs ?? 250,
    restartFrames: options.restartFrames ?? WAL_AUTOCHECKPOINT_PAGES,
  }
  const worker = spawnWorker(WORKER_URL, data)
  const send = (command: CheckpointCommand): void => {
    worker.postMessage(command)
  }
  let stopping = false
  const restoreAutocheckpoint = (): void => {
    stats.running = false
    if (db.open) db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
  }
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopping) {
        restoreAutocheckpoint()
        logger.error('relay: the checkpoint worker stopped; checkpointing on the main thread again')
      }
      resolve()
    })
  })
  worker.on('error', (err) => {
    if (!stopping) logger.error('relay: the checkpoint worker failed', err)
  })

  /** Copies what the worker left, on the main connection, which no transaction holds now. */
  const finish = (): void => {
    if (!stats.running || !db.open) return
    const t0 = performance.now()
    try {
      db.pragma('wal_checkpoint(PASSIVE)')
      stats.finishes++
      stats.mainMs += performance.now() - t0
    } catch (err) {
      // An I/O error here must not take the relay down from a message handler;
      // the WAL just stays longer until a later checkpoint succeeds.
      logger.error('relay: finishing a checkpoint failed', err)
    }
    send('continue')
  }

  const ready = await new Promise<boolean>((resolve) => {
    worker.on('message', (msg: CheckpointReply) => {
      if (msg.type === 'ready') {
        resolve(true)
      } else if (msg.type === 'checkpoint') {
        if (msg.copied > 0) {
          stats.checkpoints++
          stats.frames += msg.copied
          stats.workerMs += msg.ms
        }
        if (msg.finish) finish()
      } else {
        logger.error(`relay: a background checkpoint failed: ${msg.message}`)
      }
    })
    void exited.then(() => {
      resolve(false)
    })
  })
  if (ready) {
    db.pragma('wal_autocheckpoint = 0')
    stats.running = true
  }
  return {
    stats,
    async close() {
      if (!stopping) {
        stopping = true
        if (stats.running) restoreAutocheckpoint()
        send('stop')
      }
      return exited
    },
  }
}
