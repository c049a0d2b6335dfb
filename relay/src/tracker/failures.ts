/**
 * The `failure reason` texts. A desktop client shows them as the tracker's
 * status, often cut short, so each starts with what went wrong and ends with
 * what to do about it.
 */

/** What kind of refusal an answer was; counted in the tracker's stats. */
export type FailureKind =
  'credential' | 'balance' | 'limit' | 'malformed' | 'refused' | 'rate' | 'request' | 'error'

export interface Failure {
  kind: FailureKind
  reason: string
}

const NEW_URL =
  'create a tracker URL in the TSEED extension (Settings, "Use TSEED in your desktop client") ' +
  "and use it as the torrent's tracker"

export const unknownCredential = (): Failure => ({
  kind: 'credential',
  reason: `unknown or revoked tracker credential: ${NEW_URL}`,
})

export const missingCredential = (): Failure => ({
  kind: 'credential',
  reason: `this tracker needs a personal URL, /t/<credential>/announce or /announce?auth=<credential>: ${NEW_URL}`,
})

/** `why` names the field and the problem, as the announce parser words it. */
export const malformed = (why: string): Failure => ({
  kind: 'malformed',
  reason: `malformed request: ${why}`,
})

export const rateLimited = (): Failure => ({
  kind: 'rate',
  reason: 'too many requests from this address; announce less often',
})

export const badRequest = (why: string): Failure => ({ kind: 'request', reason: why })

export const internalError = (): Failure => ({
  kind: 'error',
  reason: 'the tracker could not process this announce; it will be retried',
})

const BALANCE = /^blocked: insufficient balance: need ([0-9]+) TSEED, have ([0-9]+)$/

/**
 * A ledger refusal as a failure reason. The balance case keeps the ledger's
 * exact figures and says where to top up; a spending limit keeps the
 * ledger's text, which names the window and the figures.
 */
export function ledgerRefusal(message: string, topUpAt: string): Failure {
  const m = BALANCE.exec(message)
  if (m !== null) {
    return {
      kind: 'balance',
      reason:
        `insufficient balance: need ${m[1] ?? '?'} TSEED, have ${m[2] ?? '?'}; ` +
        `top up in the TSEED extension (Wallet, Top up) or at ${topUpAt}, ` +
        'then this client finds peers on its next announce',
    }
  }
  if (message.startsWith('blocked: spending limit: ')) {
    return {
      kind: 'limit',
      reason: `${message.slice('blocked: '.length)}; raise the limit in the TSEED extension or wait`,
    }
  }
  return { kind: 'refused', reason: `announce refused: ${message.replace(/^[a-z-]+: /, '')}` }
}
