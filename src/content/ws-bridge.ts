/**
 * The isolated-world half of the WebSocket tracker hook: takes the reports
 * the MAIN-world hook (ws-hook.ts) posts to its window and passes the ones
 * that are really its own to the background.
 *
 * How the two halves trust each other. The page shares the MAIN world and
 * sees every `window.postMessage`, so a bare postMessage protocol could be
 * forged by any page. Instead, each page load gets a 128-bit secret that
 * only the two halves know:
 *
 * - At document_start both scripts run synchronously before any page script
 *   (both are built as IIFEs, not async loaders). The bridge generates the secret in the isolated world and
 *   dispatches it to the hook as a synchronous CustomEvent; since the hook
 *   may run after the bridge, it announces itself with another synchronous
 *   event that the bridge answers once. No page listener can exist yet, so
 *   the page never sees the exchange, and the hook keeps the secret in a
 *   closure. A MessageChannel port was the alternative, but handing a port
 *   over needs postMessage, which is asynchronous: by the time it is
 *   delivered, page scripts have run and could listen for it first.
 * - Each report then travels as `window.postMessage({__tseedWs: secret, …})`.
 *   The bridge's capturing `message` listener was added at document_start,
 *   before any page listener, so it runs first, and it stops the event from
 *   reaching the page's listeners once the secret matches: the secret never
 *   becomes readable by the page.
 * - A page-forged message therefore lacks the secret and is ignored. Every
 *   report is also checked for `event.source === window`, shape and size,
 *   and rate-limited before `runtime.sendMessage`; the background parses it
 *   again and treats it as a request to sign, never as consent.
 *
 * Tabs open before install or update get both halves through `scripting.executeScript`
 * with the secret passed as an argument (bridge-handover.ts), because a live
 * page could take part in the event exchange. There, listeners the page added
 * earlier do see later reports; a page that wants to can then submit
 * announce requests, which it can equally do by opening a real socket and
 * announcing, so the consent gate is what stands between it and a signature.
 */
import { BRIDGE_GLOBAL, GIVEN_SECRET_GLOBAL, type BridgeMarker } from './bridge-handover'
import { createTokenBucket, type TokenBucket } from './token-bucket'
import {
  ANSWER_EVENT_PREFIX,
  BRIDGE_BURST,
  BRIDGE_REFILL_PER_SECOND,
  KEY_EVENT,
  READY_EVENT,
  SECRET_CHARS,
  SECRET_KEY,
  WS_TRACKER_ROUTE,
  type HookReport,
  type ReplaceAnswer,
} from './ws-protocol'

export const MAX_TRACKER_URL_CHARS = 2048
const MAX_EVENT_CHARS = 16

export type BridgeVerdict =
  | 'sent'
  /** Not shaped like a hook message at all: the page's own traffic, left alone. */
  | 'not-ours'
  | 'wrong-source'
  | 'wrong-secret'
  | 'malformed'
  | 'oversize'
  | 'rate-limited'

export interface MessageEventLike {
  source: unknown
  data: unknown
  stopImmediatePropagation(): void
}

export interface BridgeMessage {
  type: typeof WS_TRACKER_ROUTE
  params: HookReport
}

export interface BridgeFilterOptions {
  /** This frame's window: reports must come from it. */
  window: unknown
  secret: string
  limiter: TokenBucket
  send: (message: BridgeMessage) => void
}

/** Judges one `message` event, forwards it when it passes, and says why. */
export function createBridgeFilter(
  o: BridgeFilterOptions,
): (ev: MessageEventLike) => BridgeVerdict {
  return (ev) => {
    const data = ev.data
    if (typeof data !== 'object' || data === null || !hasOwn(data, SECRET_KEY)) return 'not-ours'
    if (ev.source !== o.window) return 'wrong-source'
    const secret = (data as Record<string, unknown>)[SECRET_KEY]
    if (typeof secret !== 'string' || secret !== o.secret) return 'wrong-secret'
    // Ours: no page listener may see it, or the secret would be out.
    ev.stopImmediatePropagation()
    const keys = Object.keys(data)
    if (keys.length !== 2 || !hasOwn(data, 'report')) return 'malformed'
    const report = readReport((data as Record<string, unknown>).report)
    if (typeof report === 'string') return report
    if (!o.limiter.take()) return 'rate-limited'
    o.send({ type: WS_TRACKER_ROUTE, params: report })
    return 'sent'
  }
}

/**
 * Copies a report field by field into a fresh object of this world, so only
 * known fields of the right type and size go on. The background checks the
 * values again (hex, counters, event names).
 */
export function readReport(v: unknown): HookReport | 'malformed' | 'oversize' {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'malformed'
  const r = v as Record<string, unknown>
  const kind = own(r, 'kind')
  const tracker = own(r, 'tracker')
  const infoHash = own(r, 'infoHash')
  if (typeof tracker !== 'string' || typeof infoHash !== 'string') return 'malformed'
  if (tracker.length > MAX_TRACKER_URL_CHARS || infoHash.length > 40) return 'oversize'
  if (!/^wss?:\/\//i.test(tracker) || !/^[0-9a-f]{40}$/.test(infoHash)) return 'malformed'
  if (kind === 'announce') {
    if (Object.keys(r).length !== 8) return 'malformed'
    const peer = own(r, 'peer')
    const event = own(r, 'event')
    if (typeof peer !== 'string' || typeof event !== 'string') return 'malformed'
    if (peer.length > 64 || event.length > MAX_EVENT_CHARS) return 'oversize'
    if (!/^[0-9a-f]{64}$/.test(peer)) return 'malformed'
    const uploaded = own(r, 'uploaded')
    const downloaded = own(r, 'downloaded')
    const left = own(r, 'left')
    if (!isCount(uploaded) || !isCount(downloaded) || !(left === null || isCount(left))) {
      return 'malformed'
    }
    return { kind, tracker, infoHash, peer, uploaded, downloaded, left, event }
  }
  if (kind === 'answer') {
    if (Object.keys(r).length !== 6) return 'malformed'
    const interval = own(r, 'interval')
    const complete = own(r, 'complete')
    const incomplete = own(r, 'incomplete')
    if (![interval, complete, incomplete].every((n) => n === null || isCount(n))) {
      return 'malformed'
    }
    return {
      kind,
      tracker,
      infoHash,
      interval: interval as number | null,
      complete: complete as number | null,
      incomplete: incomplete as number | null,
    }
  }
  return 'malformed'
}

/**
 * The document_start half of the exchange described at the top: offers the
 * secret to a hook that is already listening, else answers the hook's
 * ready event once. The hook cancels the key event to say it took it.
 */
export function handOverSecret(
  win: EventTarget,
  secret: string,
  Custom: typeof CustomEvent = CustomEvent,
): void {
  const offer = (): boolean =>
    !win.dispatchEvent(new Custom(KEY_EVENT, { detail: secret, cancelable: true }))
  if (offer()) return
  const onReady = (): void => {
    if (offer()) win.removeEventListener(READY_EVENT, onReady, true)
  }
  win.addEventListener(READY_EVENT, onReady, true)
}

export interface BridgeRuntime {
  /** Undefined once the extension was reloaded or updated under this script (Chrome). */
  readonly id?: string | undefined
  sendMessage(message: unknown): Promise<unknown>
}

export interface BridgeEnv {
  window: Window
  CustomEvent: typeof CustomEvent
  /** The isolated world's global object. */
  globals: Record<string, unknown>
  runtime: BridgeRuntime
  now: () => number
  randomBytes: (n: number) => Uint8Array
}

/** Starts the bridge in this frame. */
export function startWsBridge(env: BridgeEnv): void {
  const given = env.globals[GIVEN_SECRET_GLOBAL]
  Reflect.deleteProperty(env.globals, GIVEN_SECRET_GLOBAL)
  const secret =
    typeof given === 'string' && given.length === SECRET_CHARS
      ? given
      : toHex(env.randomBytes(SECRET_CHARS / 2))
  const alive = (): boolean => {
    try {
      return env.runtime.id !== undefined
    } catch {
      return false
    }
  }
  const marker: BridgeMarker = { alive }
  env.globals[BRIDGE_GLOBAL] = marker

  const filter = createBridgeFilter({
    window: env.window,
    secret,
    limiter: createTokenBucket({
      capacity: BRIDGE_BURST,
      refillPerSecond: BRIDGE_REFILL_PER_SECOND,
      now: env.now,
    }),
    send: (message) => {
      try {
        env.runtime.sendMessage(message).then((reply) => {
          // Replace mode: the background's counts go to the hook, and to nothing else.
          const answer = replaceAnswer(message.params, reply)
          if (answer === undefined) return
          env.window.dispatchEvent(
            new env.CustomEvent(ANSWER_EVENT_PREFIX + secret, { detail: JSON.stringify(answer) }),
          )
        }, stopIfOrphaned)
      } catch {
        stopIfOrphaned()
      }
    },
  })
  const listener = (ev: MessageEvent): void => {
    filter(ev)
  }
  // An update leaves this script running with a dead runtime; the new version injects its own.
  const stopIfOrphaned = (): void => {
    if (!alive()) env.window.removeEventListener('message', listener, true)
  }
  env.window.addEventListener('message', listener, true)
  if (typeof given !== 'string') handOverSecret(env.window, secret, env.CustomEvent)
}

/**
 * The answer to hand the hook for `report`, when the background's reply
 * (the router's envelope) carries replace-mode counts for an announce.
 * Only the three counts are taken from the reply; the socket URL and info
 * hash are the report's own.
 */
export function replaceAnswer(report: HookReport, reply: unknown): ReplaceAnswer | undefined {
  if (report.kind !== 'announce') return undefined
  if (typeof reply !== 'object' || reply === null || own(reply, 'ok') !== true) return undefined
  const data = own(reply, 'data')
  if (typeof data !== 'object' || data === null) return undefined
  const counts = own(data, 'replace')
  if (typeof counts !== 'object' || counts === null) return undefined
  const interval = own(counts, 'interval')
  const complete = own(counts, 'complete')
  const incomplete = own(counts, 'incomplete')
  if (!isCount(interval) || !isCount(complete) || !isCount(incomplete)) return undefined
  return { tracker: report.tracker, infoHash: report.infoHash, interval, complete, incomplete }
}

function own(o: object, key: string): unknown {
  return hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key)
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
