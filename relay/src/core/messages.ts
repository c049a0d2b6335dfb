import { readEventId } from './event-validation'

/** A client message whose command and arity are known; payloads are still unchecked. */
export type ClientMessage =
  | { type: 'EVENT'; event: unknown }
  | { type: 'REQ'; subId: string; filters: unknown[] }
  | { type: 'CLOSE'; subId: string }

/** What a raw frame turned into: a command, an event refused by id, or a NOTICE. */
export type FrameResult =
  | { kind: 'message'; message: ClientMessage }
  | { kind: 'reject-event'; id: string; reason: string }
  | { kind: 'notice'; message: string }

/**
 * Oversized frames up to this multiple of the limit are still parsed, only to
 * find an event id so the publisher gets an OK instead of waiting for a
 * timeout. The transport drops anything larger before it reaches the core.
 */
export const OVERSIZE_PARSE_FACTOR = 4

const MAX_ECHOED_COMMAND = 32
const EVENT_FRAME = /^\s*\[\s*"EVENT"/

/**
 * Parses one WebSocket text frame into a client message (NIP-01).
 *
 * @example
 * parseFrame('["CLOSE","sub1"]', 65536, 64)
 * // → { kind: 'message', message: { type: 'CLOSE', subId: 'sub1' } }
 */
export function parseFrame(raw: string, maxBytes: number, maxSubIdLength: number): FrameResult {
  // A UTF-8 byte count costs a pass over the string; skip it when it cannot matter.
  const bytes = raw.length * 3 <= maxBytes ? raw.length : Buffer.byteLength(raw, 'utf8')
  if (bytes > maxBytes) return oversized(raw, bytes, maxBytes)

  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return notice('invalid: message is not valid JSON')
  }
  if (!Array.isArray(value) || typeof value[0] !== 'string') {
    return notice('invalid: message must be a JSON array that starts with a command name')
  }
  const msg = value as unknown[]
  const command = msg[0] as string
  switch (command) {
    case 'EVENT':
      if (msg.length !== 2) return notice('invalid: EVENT takes exactly one event')
      return { kind: 'message', message: { type: 'EVENT', event: msg[1] } }
    case 'REQ': {
      const subId = checkSubId(msg[1], maxSubIdLength)
      if (typeof subId !== 'string') return subId
      if (msg.length < 3) return notice('invalid: REQ needs at least one filter')
      return { kind: 'message', message: { type: 'REQ', subId, filters: msg.slice(2) } }
    }
    case 'CLOSE': {
      const subId = checkSubId(msg[1], maxSubIdLength)
      if (typeof subId !== 'string') return subId
      if (msg.length !== 2) return notice('invalid: CLOSE takes exactly one subscription id')
      return { kind: 'message', message: { type: 'CLOSE', subId } }
    }
    default:
      return notice(`invalid: unknown command ${JSON.stringify(truncate(command))}`)
  }
}

function checkSubId(value: unknown, max: number): string | FrameResult {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    return notice(`invalid: subscription id must be a string of 1 to ${max} chars`)
  }
  return value
}

function oversized(raw: string, bytes: number, maxBytes: number): FrameResult {
  const reason = `${bytes} bytes, limit ${maxBytes}`
  if (bytes <= maxBytes * OVERSIZE_PARSE_FACTOR && EVENT_FRAME.test(raw)) {
    try {
      const value: unknown = JSON.parse(raw)
      const id = Array.isArray(value) ? readEventId(value[1]) : undefined
      if (id !== undefined)
        return { kind: 'reject-event', id, reason: `invalid: event too large: ${reason}` }
    } catch {
      // Falls through to the NOTICE: nothing readable to answer with OK.
    }
  }
  return notice(`invalid: message too large: ${reason}`)
}

function notice(message: string): FrameResult {
  return { kind: 'notice', message }
}

function truncate(s: string): string {
  return s.length > MAX_ECHOED_COMMAND ? `${s.slice(0, MAX_ECHOED_COMMAND)}…` : s
}
