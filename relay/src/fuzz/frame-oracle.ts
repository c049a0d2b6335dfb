/**
 * What the relay must answer a client frame with, worked out from NIP-01 and
 * the relay's documented replies (docs/relay.md, "Replies"), independently of
 * the relay's own parser, so a disagreement shows up as a finding.
 *
 * The oracle predicts the key of the answer (a NOTICE, an OK for this event
 * id, a CLOSED or EOSE for this subscription, nothing, or a closed
 * connection) and the machine-readable prefixes the answer may carry; it does
 * not predict the human-readable rest.
 */

/** How a frame travels. */
export type FrameTransport =
  /** One text frame. */
  | 'text'
  /** One binary frame. */
  | 'binary'
  /** A text message sent as several continuation frames. */
  | 'fragmented'
  /** A text frame whose bytes are not valid UTF-8. */
  | 'bad-utf8'

export type Expectation =
  | { kind: 'notice'; prefixes: readonly string[] }
  | { kind: 'ok'; id: string; prefixes: readonly string[]; mayAccept: boolean }
  | { kind: 'req'; subId: string; prefixes: readonly string[] }
  | { kind: 'none' }
  | { kind: 'close'; codes: readonly number[] }

export interface OracleLimits {
  maxMessageBytes: number
  maxSubIdLength: number
  /** The parse factor above which the transport closes the connection (docs: 4). */
  closeFactor: number
}

/** NIP-01's machine-readable prefixes that a refusal of client input may carry. */
export const INPUT_PREFIXES: readonly string[] = [
  'invalid:',
  'blocked:',
  'rate-limited:',
  'restricted:',
  'pow:',
  'duplicate:',
]
/** Malformed frames are refused as invalid, or before parsing by the rate limit. */
const MALFORMED: readonly string[] = ['invalid:', 'rate-limited:']
const HEX64 = /^[0-9a-f]{64}$/
/** The relay tries to read an id from an oversized frame only when it starts like this. */
const EVENT_START = /^\s*\[\s*"EVENT"/

/**
 * The answer `text` (the message as the relay receives it) must get.
 * `forged` marks an event whose signature or id was broken on purpose: it
 * must never be accepted.
 *
 * @example
 * expectAnswer('["CLOSE",1]', 'text', limits, false) // → { kind: 'notice', prefixes: ['invalid:', …] }
 */
export function expectAnswer(
  text: string,
  transport: FrameTransport,
  limits: OracleLimits,
  forged: boolean,
): Expectation {
  if (transport === 'bad-utf8') return { kind: 'close', codes: [1007] }
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > limits.maxMessageBytes * limits.closeFactor) {
    return { kind: 'close', codes: [1009] }
  }
  if (transport === 'binary') return notice()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return notice()
  }
  if (bytes > limits.maxMessageBytes) {
    const id =
      EVENT_START.test(text) && Array.isArray(value) && value[0] === 'EVENT'
        ? eventId(value[1])
        : undefined
    return id === undefined ? notice() : { kind: 'ok', id, prefixes: MALFORMED, mayAccept: false }
  }
  if (!Array.isArray(value) || typeof value[0] !== 'string') return notice()
  const msg = value as unknown[]
  switch (msg[0]) {
    case 'EVENT': {
      if (msg.length !== 2) return notice()
      const id = eventId(msg[1])
      if (id === undefined) return notice()
      return { kind: 'ok', id, prefixes: INPUT_PREFIXES, mayAccept: !forged }
    }
    case 'REQ': {
      const subId = subscriptionId(msg[1], limits.maxSubIdLength)
      if (subId === undefined || msg.length < 3) return notice()
      return { kind: 'req', subId, prefixes: INPUT_PREFIXES }
    }
    case 'CLOSE': {
      const subId = subscriptionId(msg[1], limits.maxSubIdLength)
      if (subId === undefined || msg.length !== 2) return notice()
      return { kind: 'none' }
    }
    default:
      return notice()
  }
}

/** The prefix of a relay message (`invalid: …` → `invalid:`), or '' for an empty one. */
export function prefixOf(message: string): string {
  const m = /^([a-z-]+):/.exec(message)
  return m?.[1] === undefined ? '' : `${m[1]}:`
}

function notice(): Expectation {
  return { kind: 'notice', prefixes: MALFORMED }
}

function eventId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const id = (value as Record<string, unknown>).id
  return typeof id === 'string' && HEX64.test(id) ? id : undefined
}

function subscriptionId(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length >= 1 && value.length <= max ? value : undefined
}
