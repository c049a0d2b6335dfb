/**
 * Worker-thread side of ledger.concurrency.test.ts: its own connection to the
 * shared database file, spending from one pubkey as fast as it can.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../store/database'
import { InsufficientFunds } from './errors'
import { Ledger } from './ledger'

interface Job {
  file: string
  worker: number
  pubkey: string
  infoHash: string
  iterations: number
  now: number
  /** Both workers start spending together, after their (slow) module loading. */
  barrier: SharedArrayBuffer
}

const job = workerData as Job
const db = openDatabase(job.file)
const ledger = new Ledger(db, { clock: () => job.now })
const gate = new Int32Array(job.barrier)
Atomics.add(gate, 0, 1)
Atomics.notify(gate, 0)
for (let v = Atomics.load(gate, 0); v < 2; v = Atomics.load(gate, 0)) Atomics.wait(gate, 0, v, 50)
let reserved = 0
let charged = 0n
let blocked = 0
let insufficient = 0
for (let i = 0; i < job.iterations; i++) {
  try {
    ledger.reserveWithdrawal(job.pubkey, 7n, 0n, `w${job.worker}-${i}`)
    reserved++
  } catch (e) {
    if (!(e instanceof InsufficientFunds)) throw e
    insufficient++
  }
  const out = ledger.applyAnnounce(
    {
      pubkey: job.pubkey,
      eventId: (job.worker * 1_000_000 + i + 1).toString(16).padStart(64, '0'),
      createdAt: job.now,
      announce: {
        infoHash: job.infoHash,
        uploaded: 0n,
        downloaded: BigInt(i + 1) * 3_000_000n,
        left: 1n,
        session: String(job.worker).repeat(32),
      },
    },
    job.now,
  )
  if (out.accept) charged += out.charged
  else blocked++
}
db.close()
parentPort?.postMessage({ reserved, charged: charged.toString(), blocked, insufficient })
