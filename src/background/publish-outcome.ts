/** How one publish attempt to one relay ended. */
export type PublishOutcome =
  | { kind: 'ok'; message: string }
  | { kind: 'refused'; message: string }
  | { kind: 'retry'; error: string }

/**
 * Rejections nostr-tools raises itself as `Error`s, which look like `OK false`
 * reasons but mean the answer never came. Relay reasons carry a NIP-01
 * `prefix:`, these do not.
 */
const TRANSPORT_ERRORS = new Set([
  'publish timed out',
  'relay connection closed',
  'relay connection closed by us',
  'relay connection failed',
  'relay connection timed out',
  'auth timed out',
])

/** `OK false` prefixes worth trying again later (NIP-01). */
const TRANSIENT_PREFIXES = new Set(['rate-limited', 'error'])

/**
 * Sorts the rejection of `AbstractRelay.publish` (or of `connect`) into a
 * final refusal or a retry. nostr-tools rejects with an `Error` carrying the
 * relay's message on `OK false`, and with a plain string when the connection
 * fails.
 */
export function classifyPublishFailure(err: unknown): PublishOutcome {
  if (typeof err === 'string') return { kind: 'retry', error: err || 'connection failed' }
  if (!(err instanceof Error)) return { kind: 'retry', error: 'connection failed' }
  if (err.name === 'SendingOnClosedConnection') return { kind: 'retry', error: 'connection closed' }
  const message = err.message
  if (TRANSPORT_ERRORS.has(message)) return { kind: 'retry', error: message }
  const prefix = okPrefix(message)
  if (prefix !== undefined && TRANSIENT_PREFIXES.has(prefix))
    return { kind: 'retry', error: message }
  // The relay already has this very event: it was delivered.
  if (prefix === 'duplicate') return { kind: 'ok', message }
  return { kind: 'refused', message: message || 'refused without a reason' }
}

/** The machine-readable prefix of an OK/CLOSED message, e.g. `blocked` in `blocked: …`. */
export function okPrefix(message: string): string | undefined {
  const m = /^([a-z-]+):/.exec(message)
  return m?.[1]
}
