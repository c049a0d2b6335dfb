import type { NostrEvent } from 'nostr-tools/core'
import type { Nostr } from 'nostr-wasm'
import { checkEventWith, type VerifyOutcome } from './verifier'

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

/** Verdict codes on the wire, in index order. */
export const OUTCOMES: readonly VerifyOutcome[] = ['valid', 'bad-id', 'bad-signature']

/** What a verify worker does with one request: hash and verify every event of the batch. */
export function answerVerifyRequest(
  nw: Nostr,
  req: VerifyRequest,
): Extract<VerifyReply, { type: 'result' }> {
  const events = JSON.parse(req.events) as NostrEvent[]
  const outcomes = new Uint8Array(events.length)
  events.forEach((ev, i) => {
    outcomes[i] = OUTCOMES.indexOf(checkEventWith(nw, ev))
  })
  return { type: 'result', batch: req.batch, outcomes }
}
