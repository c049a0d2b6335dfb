/**
 * One thread of the raw verification measurement (raw-verify.ts): does a
 * verify worker's whole job per batch (parse the JSON, hash each id, check
 * each signature) in a loop for a fixed time, with no relay around it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadBatchChecker } from '../relay/src/core/batch-checker'
import { answerVerifyRequest } from '../relay/src/core/verify-protocol'
import type { RawJob, RawReply } from './raw-verify'

const port = parentPort
if (port === null) throw new Error('runs only as a worker thread')
const job = (workerData as { data: RawJob }).data
const checker = await loadBatchChecker(job.implementation)

/** Runs batches for `ms` milliseconds; returns events checked and the time taken. */
function spin(ms: number): { events: number; ms: number; invalid: number } {
  const t0 = performance.now()
  let events = 0
  let invalid = 0
  for (let i = 0; performance.now() - t0 < ms; i++) {
    const events_ = job.batches[i % job.batches.length]!
    const { outcomes } = answerVerifyRequest(checker, { batch: i, events: events_ })
    events += outcomes.length
    for (const o of outcomes) if (o !== 0) invalid++
  }
  return { events, ms: performance.now() - t0, invalid }
}

port.once('message', () => {
  // Warm up first (JIT, caches), then measure; the caller starts every thread at once.
  spin(job.warmupMs)
  port.postMessage(spin(job.durationMs) satisfies RawReply)
})
port.postMessage('ready')
