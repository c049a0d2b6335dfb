import bencode from 'bencode'
import { describe, expect, it } from 'vitest'
import { readAnnounceAnswer } from '../../nostr/bep3-answer'
import type { RelaySwarm } from './relay-swarm'
import {
  MAX_TRACKER_ANSWER_BYTES,
  RELAY_ONLY_INTERVAL_SECONDS,
  rewriteAnnounceResponse,
  type StreamFilterLike,
} from './response-filter'

/** A StreamFilter as Firefox drives it: data events, then stop; what we write is kept. */
function fakeFilter() {
  const written: Uint8Array[] = []
  const f: StreamFilterLike & { closed: boolean; written: Uint8Array[] } = {
    ondata: null,
    onstop: null,
    onerror: null,
    closed: false,
    written,
    write: (d) => {
      if (f.closed) throw new Error('write after close')
      written.push(new Uint8Array(d instanceof Uint8Array ? d : new Uint8Array(d)))
    },
    close: () => {
      f.closed = true
    },
    disconnect: () => {
      f.closed = true
    },
  }
  return f
}

async function run(
  chunks: Uint8Array[],
  swarm: () => Promise<RelaySwarm>,
): Promise<{ out: Uint8Array; reports: string[] }> {
  const f = fakeFilter()
  const reports: string[] = []
  rewriteAnnounceResponse(
    f,
    { infoHash: 'ab'.repeat(20), left: 5n, trackerHost: 't.test' },
    { swarm, report: (h, r) => reports.push(`${h}: ${r}`) },
  )
  for (const c of chunks) f.ondata?.({ data: c.slice().buffer })
  f.onstop?.()
  await waitUntil(() => f.closed)
  return { out: Buffer.concat(f.written), reports }
}

async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 1))
  if (!ok()) throw new Error('the filter never closed')
}

const RELAY: RelaySwarm = {
  complete: 2,
  incomplete: 7,
  peers: [
    { ip: '10.0.0.1', port: 6881 },
    { ip: '10.0.0.9', port: 51413 },
  ],
}
const tracker = bencode.encode({
  interval: 1800,
  complete: 4,
  incomplete: 1,
  peers: Uint8Array.of(10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0x1a, 0xe1),
})

describe('the Firefox response rewrite', () => {
  it('merges the tracker answer, split over chunks, with the relay peers, once each', async () => {
    const { out } = await run([tracker.slice(0, 10), tracker.slice(10)], () =>
      Promise.resolve(RELAY),
    )
    const read = readAnnounceAnswer(out)!
    expect(read.dict.interval).toBe(1800)
    expect(read.dict.complete).toBe(4)
    expect(read.dict.incomplete).toBe(7)
    expect(read.peers.map((p) => `${p.ip}:${p.port}`)).toEqual([
      '10.0.0.1:6881',
      '10.0.0.2:6881',
      '10.0.0.9:51413',
    ])
  })

  it('answers with the relay alone when the tracker answer is not bencoded peers or a failure', async () => {
    for (const own of ['<html>502</html>', 'd14:failure reason4:downe']) {
      const { out } = await run([new TextEncoder().encode(own)], () => Promise.resolve(RELAY))
      const read = readAnnounceAnswer(out)!
      expect(read.failure).toBeUndefined()
      expect(read.dict.interval).toBe(RELAY_ONLY_INTERVAL_SECONDS)
      expect(read.peers).toEqual(RELAY.peers)
    }
  })

  it('passes the tracker answer on when the relays fail, and reports it', async () => {
    const { out, reports } = await run([tracker], () => Promise.reject(new Error('relay down')))
    expect(Buffer.from(out).equals(Buffer.from(tracker))).toBe(true)
    expect(reports).toEqual(['t.test: replace mode: TSEED relay: relay down'])
  })

  it('writes a failure reason naming both when neither answers', async () => {
    const { out } = await run([new TextEncoder().encode('d14:failure reason4:downe')], () =>
      Promise.reject(new Error('relay down')),
    )
    expect(readAnnounceAnswer(out)?.failure).toBe('TSEED relay: relay down; tracker: down')
  })

  it('hands back a response too large to be an announce answer unread', async () => {
    const big = new Uint8Array(MAX_TRACKER_ANSWER_BYTES + 10).fill(0x61)
    const { out } = await run([big.slice(0, 1000), big.slice(1000)], () => Promise.resolve(RELAY))
    expect(out.length).toBe(big.length)
    expect(out.every((b) => b === 0x61)).toBe(true)
  })
})
