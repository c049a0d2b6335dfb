import type { AddressInfo } from 'node:net'
import type { NostrEvent } from 'nostr-tools/core'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { matchFilter, parseFilter } from '../../../relay/src/core/filters'
import { DEFAULT_LIMITS } from '../../../relay/src/core/limits'
import type { WebSocketImplementation } from '../../nostr/nwc-client'
import { queryBatch, type BatchQueryDeps } from './req-batch'
import type { PlanLimits } from './req-plan'

const SINCE = 1_700_000_000
const ih = (n: number) => n.toString(16).padStart(40, '0')
const LIMITS: PlanLimits = { maxMessageLength: 131072, maxFilterValues: 1000, maxLimit: 500 }

let seq = 0
function event(kind: number, hash: string, at = SINCE + 10): NostrEvent {
  seq++
  const tag = kind === 21000 ? 'i' : 'x'
  return {
    id: seq.toString(16).padStart(64, '0'),
    pubkey: 'a'.repeat(64),
    created_at: at,
    kind,
    tags: [[tag, hash]],
    content: '',
    sig: '0'.repeat(128),
  }
}

interface Script {
  url: string
  frames: unknown[][]
  /** Overrides the normal answer to a REQ; return true when handled. */
  onReq?: (ws: WebSocket, subId: string) => boolean
  close(): Promise<void>
}

/** A relay that answers REQs from `events` the NIP-01 way: newest first, each filter up to its limit. */
async function fakeRelay(events: NostrEvent[]): Promise<Script> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wss.once('listening', r))
  const script: Script = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    frames: [],
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate()
        wss.close(() => {
          r()
        })
      }),
  }
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as unknown[]
      script.frames.push(msg)
      if (msg[0] !== 'REQ') return
      const subId = msg[1] as string
      if (script.onReq?.(ws, subId) === true) return
      const sent = new Set<string>()
      for (const raw of msg.slice(2)) {
        const f = parseFilter(raw, DEFAULT_LIMITS)
        const hits = events
          .filter((e) => matchFilter(f, e))
          .sort((a, b) => b.created_at - a.created_at)
          .slice(0, f.limit ?? 500)
        for (const e of hits) {
          if (sent.has(e.id)) continue
          sent.add(e.id)
          ws.send(JSON.stringify(['EVENT', subId, e]))
        }
      }
      ws.send(JSON.stringify(['EOSE', subId]))
    })
  })
  return script
}

const deps: BatchQueryDeps = {
  WebSocket: WebSocket as unknown as WebSocketImplementation,
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => {
    clearTimeout(h as ReturnType<typeof setTimeout>)
  },
  timeoutMs: 3_000,
}

const reqs = (s: Script) => s.frames.filter((f) => f[0] === 'REQ')
let relay: Script | undefined
afterEach(async () => {
  await relay?.close()
  relay = undefined
})

describe('queryBatch', () => {
  it('asks 1,000 hashes in one REQ with both filters and closes the subscription after EOSE', async () => {
    const hashes = Array.from({ length: 1000 }, (_, i) => ih(i))
    const evs = [event(21000, ih(1)), event(21000, ih(999)), event(2003, ih(5))]
    relay = await fakeRelay(evs)
    const r = await queryBatch(
      { url: relay.url, infoHashes: hashes, since: SINCE, limits: LIMITS },
      deps,
    )
    expect(r.reqs).toBe(1)
    expect(reqs(relay)).toHaveLength(1)
    const [frame] = reqs(relay)
    expect(frame!.slice(2)).toEqual([
      { kinds: [21000], '#i': hashes, since: SINCE, limit: 500 },
      { kinds: [2003], '#x': hashes, limit: 500 },
    ])
    expect(r.announces.map((e) => e.id).sort()).toEqual([evs[0]!.id, evs[1]!.id].sort())
    expect(r.torrents.map((e) => e.id)).toEqual([evs[2]!.id])
    expect(r.incomplete.size).toBe(0)
    await expect
      .poll(() => relay!.frames.some((f) => f[0] === 'CLOSE' && f[1] === frame![1]))
      .toBe(true)
  })

  it('asks the halves again when an answer reaches the limit, so nothing is lost', async () => {
    // Four announces over four swarms and a limit of 3: the first answer is cut short.
    const evs = [0, 0, 2, 2].map((n, i) => event(21000, ih(n), SINCE + i))
    relay = await fakeRelay(evs)
    const r = await queryBatch(
      {
        url: relay.url,
        infoHashes: [0, 1, 2, 3].map(ih),
        since: SINCE,
        limits: { ...LIMITS, maxLimit: 3 },
      },
      deps,
    )
    expect(r.announces.map((e) => e.id).sort()).toEqual(evs.map((e) => e.id).sort())
    expect(r.incomplete.size).toBe(0)
    // The first REQ, then one per half, each asking only the announces again.
    expect(r.reqs).toBe(3)
    expect(
      reqs(relay)
        .slice(1)
        .map((f) => f.slice(2)),
    ).toEqual([
      [{ kinds: [21000], '#i': [ih(0), ih(1)], since: SINCE, limit: 3 }],
      [{ kinds: [21000], '#i': [ih(2), ih(3)], since: SINCE, limit: 3 }],
    ])
  })

  it('reports a hash whose swarm alone fills an answer as incomplete', async () => {
    relay = await fakeRelay([1, 2, 3].map((i) => event(21000, ih(7), SINCE + i)))
    const r = await queryBatch(
      {
        url: relay.url,
        infoHashes: [ih(7), ih(8)],
        since: SINCE,
        limits: { ...LIMITS, maxLimit: 3 },
      },
      deps,
    )
    expect([...r.incomplete]).toEqual([ih(7)])
  })

  it('stops splitting at the REQ budget and says which hashes it could not finish', async () => {
    const evs = Array.from({ length: 16 }, (_, i) => event(21000, ih(i)))
    relay = await fakeRelay(evs)
    const r = await queryBatch(
      {
        url: relay.url,
        infoHashes: Array.from({ length: 16 }, (_, i) => ih(i)),
        since: SINCE,
        limits: { ...LIMITS, maxLimit: 2 },
      },
      { ...deps, maxReqs: 3 },
    )
    expect(r.reqs).toBe(3)
    expect(r.incomplete.size).toBe(16)
  })

  it('keeps only events of an asked kind that name an asked hash, once each', async () => {
    const good = event(21000, ih(1))
    relay = await fakeRelay([])
    relay.onReq = (ws, subId) => {
      const wrongHash = event(21000, ih(2))
      const wrongKind = { ...event(21000, ih(1)), kind: 1 }
      const noTag = { ...event(21000, ih(1)), tags: [] }
      for (const e of [good, good, wrongHash, wrongKind, noTag, 'junk', null]) {
        ws.send(JSON.stringify(['EVENT', subId, e]))
      }
      ws.send(JSON.stringify(['EVENT', 'other-sub', event(21000, ih(1))]))
      ws.send('not json')
      ws.send(JSON.stringify(['EOSE', subId]))
      return true
    }
    const r = await queryBatch(
      { url: relay.url, infoHashes: [ih(1)], since: SINCE, limits: LIMITS },
      deps,
    )
    expect(r.announces).toEqual([good])
    expect(r.torrents).toEqual([])
  })

  it('marks the hashes of a refused REQ incomplete and still answers', async () => {
    relay = await fakeRelay([])
    relay.onReq = (ws, subId) => {
      ws.send(JSON.stringify(['CLOSED', subId, 'rate-limited: slow down']))
      return true
    }
    const r = await queryBatch(
      { url: relay.url, infoHashes: [ih(1)], since: SINCE, limits: LIMITS },
      deps,
    )
    expect([...r.incomplete]).toEqual([ih(1)])
  })

  it('rejects when the relay cannot be reached or never answers', async () => {
    relay = await fakeRelay([])
    relay.onReq = () => true
    await expect(
      queryBatch(
        { url: relay.url, infoHashes: [ih(1)], since: SINCE, limits: LIMITS },
        { ...deps, timeoutMs: 300 },
      ),
    ).rejects.toThrow(/did not answer within 300 ms/)
    await expect(
      queryBatch(
        { url: 'ws://127.0.0.1:1', infoHashes: [ih(1)], since: SINCE, limits: LIMITS },
        deps,
      ),
    ).rejects.toThrow(/could not reach|closed the connection/)
  })
})
