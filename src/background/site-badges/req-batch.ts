/**
 * One relay, one connection, the fewest REQs: asks a batch of info hashes
 * for their live announces (kind 21000) and torrent events (kind 2003), and
 * asks again in halves wherever an answer may have been cut at the relay's
 * limit (req-plan.ts). Everything the relay sends is untrusted: only events
 * of the asked kinds naming an asked hash are kept, within a cap.
 */
import type { NostrEvent } from 'nostr-tools/core'
import { TORRENT_ANNOUNCE, TORRENT_METADATA } from '../../nostr/kinds'
import type { WebSocketImplementation } from '../../nostr/nwc-client'
import {
  followUps,
  planUnits,
  reqFrame,
  SUB_ID_CHARS,
  type PlanLimits,
  type QueryPart,
  type QueryUnit,
} from './req-plan'

export interface BatchQuery {
  url: string
  infoHashes: readonly string[]
  /** Unix seconds: announces older than this are not asked for. */
  since: number
  limits: PlanLimits
}

export interface BatchQueryDeps {
  WebSocket: WebSocketImplementation
  setTimer: (fn: () => void, ms: number) => unknown
  clearTimer: (handle: unknown) => void
  /** The whole lookup, connection included. */
  timeoutMs?: number
  /** REQs per lookup, splits included. */
  maxReqs?: number
  /** Events kept per lookup; a relay sending more is cut off. */
  maxEvents?: number
}

export interface BatchAnswer {
  announces: NostrEvent[]
  torrents: NostrEvent[]
  /** REQs sent. */
  reqs: number
  /**
   * Hashes whose answer may be incomplete: one swarm filled a whole answer,
   * the REQ budget ran out, the relay refused a REQ, or time ran out.
   */
  incomplete: Set<string>
}

const DEFAULTS = { timeoutMs: 8_000, maxReqs: 32, maxEvents: 20_000 }
/** Subscriptions open at once; the TSEED relay allows 20 per connection. */
const MAX_OPEN_SUBS = 8
/** An EVENT larger than this is not a real announce or torrent event. */
const MAX_FRAME_CHARS = 256 * 1024
const HEX40 = /^[0-9a-f]{40}$/

/**
 * Runs the lookup. Rejects only when nothing could be asked at all
 * (connection failed or closed before any answer); otherwise resolves with
 * what came back and the hashes it may be missing.
 */
export function queryBatch(q: BatchQuery, deps: BatchQueryDeps): Promise<BatchAnswer> {
  const opts = { ...DEFAULTS, ...deps }
  const asked = new Set(q.infoHashes)
  const limit = q.limits.maxLimit
  const queue: QueryUnit[] = planUnits(q.infoHashes, q.since, q.limits)
  const answer: BatchAnswer = { announces: [], torrents: [], reqs: 0, incomplete: new Set() }
  interface Open {
    unit: QueryUnit
    events: Record<QueryPart, NostrEvent[]>
    /** Ids this subscription delivered: a relay repeating itself counts once. */
    seen: Set<string>
  }
  const open = new Map<string, Open>()
  let nextSub = 0
  let kept = 0
  let answered = false

  return new Promise((resolve, reject) => {
    if (queue.length === 0) {
      resolve(answer)
      return
    }
    let ws: WebSocket
    try {
      ws = new opts.WebSocket(q.url)
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)))
      return
    }
    let done = false
    const finish = (error?: string): void => {
      if (done) return
      done = true
      opts.clearTimer(timer)
      ws.onmessage = null
      ws.onclose = null
      ws.onerror = null
      try {
        ws.close()
      } catch {
        // Closing a socket that never opened throws in some implementations.
      }
      if (error !== undefined && !answered) {
        reject(new Error(error))
        return
      }
      for (const u of [...queue, ...[...open.values()].map((o) => o.unit)]) {
        for (const h of u.hashes) answer.incomplete.add(h)
      }
      resolve(answer)
    }
    const timer = opts.setTimer(() => {
      finish(`${q.url} did not answer within ${opts.timeoutMs} ms`)
    }, opts.timeoutMs)

    const pump = (): void => {
      while (open.size < MAX_OPEN_SUBS && queue.length > 0) {
        const unit = queue.shift()
        if (unit === undefined) break
        if (answer.reqs >= opts.maxReqs) {
          for (const h of unit.hashes) answer.incomplete.add(h)
          continue
        }
        const subId = `b${(nextSub++).toString(36)}`.padEnd(SUB_ID_CHARS, '0')
        open.set(subId, { unit, events: { announces: [], torrents: [] }, seen: new Set() })
        answer.reqs++
        ws.send(reqFrame(subId, unit, q.since, limit))
      }
      if (open.size === 0 && queue.length === 0) finish()
    }

    const settle = (subId: string, refused: boolean): void => {
      const sub = open.get(subId)
      if (sub === undefined) return
      open.delete(subId)
      answered = true
      if (!refused) ws.send(JSON.stringify(['CLOSE', subId]))
      if (refused) {
        for (const h of sub.unit.hashes) answer.incomplete.add(h)
      } else {
        const received = {
          announces: sub.events.announces.length,
          torrents: sub.events.torrents.length,
        }
        const next = followUps(sub.unit, received, limit)
        queue.push(...next.units)
        if (next.saturated.length > 0) for (const h of sub.unit.hashes) answer.incomplete.add(h)
        // A part asked again in halves is taken from the halves' complete answers instead.
        const redo = new Set(next.units.flatMap((u) => u.parts))
        if (!redo.has('announces')) answer.announces.push(...sub.events.announces)
        if (!redo.has('torrents')) answer.torrents.push(...sub.events.torrents)
      }
      pump()
    }

    ws.onopen = () => {
      pump()
    }
    ws.onerror = () => {
      finish(`could not reach ${q.url}`)
    }
    ws.onclose = () => {
      finish(`${q.url} closed the connection`)
    }
    ws.onmessage = (m: MessageEvent) => {
      const data: unknown = m.data
      if (typeof data !== 'string' || data.length > MAX_FRAME_CHARS) return
      let msg: unknown
      try {
        msg = JSON.parse(data)
      } catch {
        return
      }
      if (!Array.isArray(msg) || typeof msg[1] !== 'string') return
      const [type, subId] = msg as [unknown, string, unknown]
      if (type === 'EOSE') settle(subId, false)
      else if (type === 'CLOSED') settle(subId, true)
      else if (type === 'EVENT') {
        const sub = open.get(subId)
        const part = sub === undefined ? undefined : partOf(msg[2], sub.unit, asked)
        if (sub === undefined || part === undefined) return
        const ev = msg[2] as NostrEvent
        if (sub.seen.has(ev.id)) return
        sub.seen.add(ev.id)
        if (++kept > opts.maxEvents) {
          finish()
          return
        }
        sub.events[part].push(ev)
      }
    }
  })
}

/** Which asked part an event answers, or undefined for anything not asked for. */
function partOf(
  value: unknown,
  unit: QueryUnit,
  asked: ReadonlySet<string>,
): QueryPart | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const ev = value as { id?: unknown; kind?: unknown; tags?: unknown }
  if (typeof ev.id !== 'string' || !Array.isArray(ev.tags)) return undefined
  const part: QueryPart | undefined =
    ev.kind === TORRENT_ANNOUNCE
      ? 'announces'
      : ev.kind === TORRENT_METADATA
        ? 'torrents'
        : undefined
  if (part === undefined || !unit.parts.includes(part)) return undefined
  const letter = part === 'announces' ? 'i' : 'x'
  const hash = (ev.tags as unknown[]).find(
    (t): t is [string, string] => Array.isArray(t) && t[0] === letter && typeof t[1] === 'string',
  )?.[1]
  return hash !== undefined && HEX40.test(hash) && asked.has(hash) ? part : undefined
}
