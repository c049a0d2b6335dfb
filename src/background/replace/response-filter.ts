import {
  encodeAnnounceAnswer,
  encodeFailure,
  mergeAnnounceAnswers,
  readAnnounceAnswer,
} from '../../nostr/bep3-answer'
import type { FetchRelaySwarm, RelaySwarm } from './relay-swarm'

/** The parts of Firefox's `StreamFilter` the rewrite uses. */
export interface StreamFilterLike {
  ondata: ((event: { data: ArrayBuffer }) => void) | null
  onstop: (() => void) | null
  onerror: (() => void) | null
  write(data: ArrayBuffer | Uint8Array): void
  close(): void
  disconnect(): void
  readonly error?: string
}

/** `interval` of an answer made by the relay alone: the tracker gave none to keep. */
export const RELAY_ONLY_INTERVAL_SECONDS = 60
/** A tracker answer larger than this is passed on unread. */
export const MAX_TRACKER_ANSWER_BYTES = 256 * 1024

export interface RewriteDeps {
  swarm: FetchRelaySwarm
  report: (trackerHost: string, reason: string) => void
}

/**
 * Firefox's replace mode for one announce: the request goes to the real
 * tracker, and its answer is rewritten on the way back to the page. A
 * tracker answer that reads as bencoded peers gets the relays' peers added
 * (no repeats); one that does not (not bencode, a `failure reason`) is
 * replaced by the relays' answer alone; when the relays fail too the page
 * gets the tracker's own bytes, or a `failure reason` naming both.
 */
export function rewriteAnnounceResponse(
  filter: StreamFilterLike,
  request: { infoHash: string; left: bigint | undefined; trackerHost: string },
  deps: RewriteDeps,
): void {
  // Asked at once, so the relays answer while the tracker does.
  const relay: Promise<RelaySwarm | Error> = deps
    .swarm(request.infoHash, request.left)
    .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))
  const chunks: Uint8Array[] = []
  let size = 0
  let tooLarge = false
  filter.ondata = ({ data }) => {
    if (tooLarge) {
      filter.write(data)
      return
    }
    chunks.push(new Uint8Array(data))
    size += data.byteLength
    if (size > MAX_TRACKER_ANSWER_BYTES) {
      // Not an announce answer: hand back what was held and stop looking.
      tooLarge = true
      for (const c of chunks) filter.write(c)
      chunks.length = 0
    }
  }
  filter.onerror = () => {
    deps.report(
      request.trackerHost,
      `replace mode: could not read the tracker answer: ${filter.error ?? 'unknown error'}`,
    )
  }
  filter.onstop = () => {
    if (tooLarge) {
      filter.close()
      return
    }
    const own = concat(chunks, size)
    void relay.then((swarm) => {
      try {
        filter.write(answer(own, swarm, request.trackerHost, deps.report))
      } finally {
        filter.close()
      }
    })
  }
}

function answer(
  own: Uint8Array,
  swarm: RelaySwarm | Error,
  trackerHost: string,
  report: RewriteDeps['report'],
): Uint8Array {
  const read = readAnnounceAnswer(own)
  if (swarm instanceof Error) {
    report(trackerHost, `replace mode: TSEED relay: ${swarm.message}`.slice(0, 300))
    if (read !== undefined && read.failure === undefined) return own
    return encodeFailure(
      `TSEED relay: ${swarm.message}; tracker: ${read?.failure ?? 'unreadable answer'}`.slice(
        0,
        300,
      ),
    )
  }
  if (read === undefined || read.failure !== undefined) {
    return encodeAnnounceAnswer({ interval: RELAY_ONLY_INTERVAL_SECONDS, ...swarm })
  }
  return mergeAnnounceAnswers(read, { interval: RELAY_ONLY_INTERVAL_SECONDS, ...swarm })
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let o = 0
  for (const c of chunks) {
    out.set(c, o)
    o += c.length
  }
  return out
}
