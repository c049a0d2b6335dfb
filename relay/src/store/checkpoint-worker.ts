/**
 * The background checkpointer's thread (checkpointer.ts): its own connection
 * to the relay's database, running a PASSIVE WAL checkpoint on a timer. A
 * PASSIVE checkpoint takes no lock that the relay's writes need, so the bulk
 * of the copying and the fsync of the database file happen here, not inside
 * a commit on the relay's main thread.
 */
import Database from 'better-sqlite3'
import { parentPort, workerData } from 'node:worker_threads'

export interface CheckpointWorkerData {
  path: string
  intervalMs: number
  /** WAL length, in frames, from which the owner is asked to finish the checkpoint. */
  restartFrames: number
}

/** What the worker reports to its owner. */
export type CheckpointReply =
  | { type: 'ready' }
  /**
   * One checkpoint: `frames` in the WAL, `copied` of them now in the file.
   * With `finish`, the worker waits for `'continue'` before its next one.
   */
  | { type: 'checkpoint'; frames: number; copied: number; ms: number; finish: boolean }
  | { type: 'failed'; message: string }

/** What the owner sends: `continue` after finishing a checkpoint, `stop` to end. */
export type CheckpointCommand = 'continue' | 'stop'

const port = parentPort
if (port === null) throw new Error('checkpoint-worker runs only as a worker thread')
const { path, intervalMs, restartFrames } = (workerData as { data: CheckpointWorkerData }).data
const db = new Database(path, { fileMustExist: true })

let timer: NodeJS.Timeout | undefined
const schedule = (): void => {
  timer = setTimeout(run, intervalMs)
}

function run(): void {
  const t0 = performance.now()
  let row: { log: number; checkpointed: number } | undefined
  try {
    row = (db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[])[0]
  } catch (err) {
    port?.postMessage({ type: 'failed', message: String(err) } satisfies CheckpointReply)
  }
  if (row === undefined || row.log < 0) {
    schedule()
    return
  }
  // Under steady writes the WAL is never fully copied when a transaction
  // starts, so SQLite never rewinds it. Past restartFrames the owner, the only
  // writer, finishes the copy between two of its transactions; it only has
  // the frames written since this pass left, and the next transaction then
  // starts the WAL from the beginning.
  const finish = row.log >= restartFrames
  port?.postMessage({
    type: 'checkpoint',
    frames: row.log,
    copied: row.checkpointed,
    ms: performance.now() - t0,
    finish,
  } satisfies CheckpointReply)
  if (!finish) schedule()
}

port.on('message', (msg: CheckpointCommand) => {
  if (msg === 'continue') {
    schedule()
    return
  }
  clearTimeout(timer)
  db.close()
  port.close()
})
schedule()
port.postMessage({ type: 'ready' } satisfies CheckpointReply)
