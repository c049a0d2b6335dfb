/**
 * The channel between the MAIN-world WebSocket hook (ws-hook.ts), the
 * isolated-world bridge (ws-bridge.ts) and the background route
 * (background/ws-tracker-route.ts). The hook cannot import this file: it must
 * stay one self-contained function (see ws-hook.ts), so it repeats these
 * literals and ws-hook.test.ts checks that the two agree.
 */

/** Bridge → hook at injection: a CustomEvent whose `detail` is the secret. */
export const KEY_EVENT = 'tseed-ws-key'
/** Hook → bridge at injection: "I am listening, send the key" (the bridge may have run first). */
export const READY_EVENT = 'tseed-ws-ready'
/**
 * Bridge → hook in replace mode: a CustomEvent on the window whose type is
 * this prefix followed by the secret, so no page script can listen for it,
 * and whose `detail` is a JSON {@link ReplaceAnswer}.
 */
export const ANSWER_EVENT_PREFIX = 'tseed-ws-answer-'
/** The postMessage data key that carries the secret. */
export const SECRET_KEY = '__tseedWs'
/** Hex characters of the per-page secret: 128 bits. */
export const SECRET_CHARS = 32
/**
 * Reports a page may send at once, then per second (the bridge per page, the
 * background again per tab). A WebTorrent client sends one announce and gets
 * one reply per torrent and tracker every 2 minutes (the tracker's interval),
 * plus `started`/`completed`/`stopped`; a page starting 20 torrents on 3
 * trackers uses half the burst.
 */
export const BRIDGE_BURST = 120
export const BRIDGE_REFILL_PER_SECOND = 2
/** The background route the bridge calls. */
export const WS_TRACKER_ROUTE = 'wsTracker'

/** A client announce the page sent on a real, open WebSocket. */
export interface HookAnnounce {
  kind: 'announce'
  /** The socket's URL (`ws:` or `wss:`). */
  tracker: string
  /** 40 lowercase hex. */
  infoHash: string
  /** SHA-256 of the raw peer_id, 64 lowercase hex: the raw peer_id never leaves the page. */
  peer: string
  uploaded: number
  downloaded: number
  /** null: the client does not know it yet (no metadata). */
  left: number | null
  /** As sent; '' when absent (a periodic announce). */
  event: string
}

/** The tracker's reply to an announce the same socket carried. */
export interface HookAnswer {
  kind: 'answer'
  tracker: string
  infoHash: string
  interval: number | null
  complete: number | null
  incomplete: number | null
}

export type HookReport = HookAnnounce | HookAnswer

/** What the background answers an announce of a replace-mode site with: the TSEED relays' counts. */
export interface ReplaceCounts {
  interval: number
  complete: number
  incomplete: number
}

/** Bridge → hook: the answer the hook dispatches on the socket that sent this announce. */
export interface ReplaceAnswer extends ReplaceCounts {
  tracker: string
  infoHash: string
}

/** What the hook posts to its own window. */
export interface HookMessage {
  [SECRET_KEY]: string
  report: HookReport
}
