import type { NostrEvent } from 'nostr-tools/core'
import type { BatchChecker, VerifierImplementation } from './batch-checker'

export { OUTCOMES } from './verifier'

/**
 * Messages between the worker pool and a verify worker. Events travel as one
 * JSON string per batch: a single string copy is the cheapest way across
 * `postMessage`, cheaper than cloning hundreds of small objects.
 */
export interface VerifyRequest {
  batch: number
  /** JSON array of NostrEvent, already shape-checked by the relay. */
  events: string
}

export type VerifyReply =
  | { type: 'ready' }
  /** outcomes[i] is the index in OUTCOMES of events[i]'s verdict. */
  | { type: 'result'; batch: number; outcomes: Uint8Array<ArrayBuffer> }

/** What a verify worker is started with (its `workerData.data`). */
export interface VerifyWorkerData {
  implementation: VerifierImplementation
  /** The native addon's file, when `implementation` is native. */
  addonPath: string
}

/** What a verify worker does with one request: hash and verify every event of the batch. */
export function answerVerifyRequest(
  checker: BatchChecker,
  req: VerifyRequest,
): Extract<VerifyReply, { type: 'result' }> {
  const events = JSON.parse(req.events) as NostrEvent[]
  return { type: 'result', batch: req.batch, outcomes: checker.check(events) }
}
