/**
 * What one relay made of one announce. `pending` and `retry` are unfinished;
 * the others are final.
 */
export type RelayResult =
  | { state: 'pending' }
  | { state: 'ok'; message: string; eventId: string; at: number }
  | { state: 'refused'; message: string; at: number }
  | { state: 'retry'; error: string; attempts: number; nextAttemptAt: number }
  /**
   * A newer announce of the same torrent session was queued before this one
   * went out. Counters are cumulative, so the newer one carries everything,
   * and sending the older one after it would look like a counter reset.
   */
  | { state: 'superseded'; at: number }

export type RelayResults = Record<string, RelayResult>

/** Whether the relay still has to be asked. */
export function isUnfinished(r: RelayResult): boolean {
  return r.state === 'pending' || r.state === 'retry'
}

/** An entry stays in the queue while a relay still has to be asked, or while no relay is configured. */
export function isOpen(results: RelayResults): boolean {
  const all = Object.values(results)
  return all.length === 0 || all.some(isUnfinished)
}

const INSUFFICIENT_BALANCE = 'blocked: insufficient balance'
const INSUFFICIENT_BALANCE_FIGURES =
  /^blocked: insufficient balance: need ([0-9]{1,78}) TSEED, have ([0-9]{1,78})$/

/**
 * Refusals for lack of funds. They are final for the publisher, but a later
 * top-up can requeue them (Outbox.findRefused + Outbox.requeue).
 */
export function isInsufficientBalance(message: string): boolean {
  return message.startsWith(INSUFFICIENT_BALANCE)
}

/** The relay's exact refusal for funds, read into BigInts; null for any other message. */
export function parseInsufficientBalance(message: string): { need: bigint; have: bigint } | null {
  const m = INSUFFICIENT_BALANCE_FIGURES.exec(message)
  if (m?.[1] === undefined || m[2] === undefined) return null
  return { need: BigInt(m[1]), have: BigInt(m[2]) }
}
