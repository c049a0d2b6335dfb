/**
 * One thread of the raw verification measurement (raw-verify.ts): does a
 * verify worker's whole job per batch (parse the JSON, hash each id, check
 * each signature) in a loop, for as long as each message asks, with no relay
 * around it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadBatchChecker } from '../relay/src/core/batch-checker'
import { answerVerifyRequest } from '../relay/src/core/verify-protocol'
import type { RawJob, RawReply } from './raw-verify'

const port = parentPort
if (port === null) throw new Error('runs only as a worker thread')
const job = (workerData as { data: RawJob }).data
const checker = await loadBatchChecker(job.implementation)
let next = 0

/** Runs batches for `ms` milliseconds; returns events checked and the time taken. */
function spin(ms: number): RawReply {
  const t0 = performance.now()
  let events = 0
  let invalid = 0
  while (performance.now() - t0 < ms) {
    const batch = job.batches[next++ % job.batches.length]!
    const { outcomes } = answerVerifyRequest(checker, { batch: next, events: batch })
    events += outcomes.length
    for (const o of outcomes) if (o !== 0) invalid++
  }
  return { events, ms: performance.now() - t0, invalid }
}

// JIT and caches warm up once, before the first measured slice.
spin(job.warmupMs)
port.on('message', (ms: number) => {
  port.postMessage(spin(ms) satisfies RawReply)
})
port.postMessage('ready')
