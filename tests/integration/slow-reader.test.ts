import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSecretKey } from 'nostr-tools/pure'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { swarmHash } from '../../bench/plan'
import { connectSlowReader } from '../../bench/slow-reader'
import { buildStoredDatabase } from '../../bench/stored-db'
import { defaultStoredPlan } from '../../bench/stored-plan'
import { signAnnounce, startQuietRelay } from '../support/tseed-relay'

const dir = mkdtempSync(join(tmpdir(), 'tseed-slow-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const CLIENTS = 200
const PUBLISHERS = 40

/** A subscriber that reads everything; counts live events after its EOSE. */
async function subscriber(
  url: string,
  swarm: number,
): Promise<{ ws: WebSocket; live: () => number }> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let eose = false
  let live = 0
  const subscribed = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as unknown[]
      if (m[0] === 'EOSE') {
        eose = true
        resolve()
      } else if (m[0] === 'EVENT' && eose) live++
    })
  })
  ws.send(JSON.stringify(['REQ', 'sub', { kinds: [21000], '#i': [swarmHash(swarm)], limit: 5 }]))
  await subscribed
  return { ws, live: () => live }
}

/** Publishes one announce on `ws` and resolves with the relay's OK. */
function publishOne(ws: WebSocket, sk: Uint8Array, swarm: number, n: number): Promise<unknown[]> {
  const ev = signAnnounce(sk, {
    infoHash: swarmHash(swarm),
    session: '5'.repeat(31) + String(n % 10),
    uploaded: BigInt(n) * 1_000_000n,
    left: 0n,
  })
  return new Promise((resolve) => {
    const onMessage = (data: Buffer): void => {
      const m = JSON.parse(data.toString('utf8')) as unknown[]
      if (m[0] === 'OK' && m[1] === ev.id) {
        ws.off('message', onMessage)
        resolve(m)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify(['EVENT', ev]))
  })
}

describe('a client that stops reading among many that do', () => {
  it(`is dropped by the send-queue bound while ${CLIENTS} others keep getting OKs`, async () => {
    // A busy swarm (swarm 0) with 1,000 stored announces: each REQ for it
    // makes the relay queue about 400 KB for the client.
    const db = join(dir, 'relay.sqlite')
    const plan = { ...defaultStoredPlan(2_000, Math.floor(Date.now() / 1000)), swarms: 20 }
    await buildStoredDatabase(db, { ...plan, hotSwarms: 1, hotEvery: 2 }, { sign: false })
    const relay = await startQuietRelay({
      db,
      maxConnectionsPerIp: CLIENTS + 10,
      maxBufferedBytes: 1024 * 1024,
    })
    const subs: Awaited<ReturnType<typeof subscriber>>[] = []
    try {
      for (let i = 0; i < CLIENTS; i += 50) {
        subs.push(
          ...(await Promise.all(
            Array.from({ length: 50 }, (_, j) => subscriber(relay.url, 1 + ((i + j) % 10))),
          )),
        )
      }
      expect(relay.relay.stats.clients).toBe(CLIENTS)

      const reader = await connectSlowReader(relay.url)
      const started = performance.now()
      const ask = setInterval(() => {
        reader.send(['REQ', 'slow', { kinds: [21000], '#i': [swarmHash(0)], limit: 500 }])
      }, 40)
      // Publishers keep announcing meanwhile, one round every 100 ms.
      const keys = Array.from({ length: PUBLISHERS }, () => generateSecretKey())
      let round = 0
      const oks: unknown[][] = []
      while (!reader.isDropped && performance.now() - started < 15_000) {
        round++
        oks.push(
          ...(await Promise.all(
            keys.map((sk, i) => publishOne(subs[i]!.ws, sk, 1 + (i % 10), round)),
          )),
        )
        await new Promise((r) => setTimeout(r, 100))
      }
      clearInterval(ask)
      expect(reader.isDropped).toBe(true)
      const droppedAfter = (await reader.dropped) - started
      expect(droppedAfter).toBeLessThan(15_000)

      // After the drop the others go on: another round, all accepted, and the
      // relay counts only the clients that read.
      oks.push(
        ...(await Promise.all(
          keys.map((sk, i) => publishOne(subs[i]!.ws, sk, 1 + (i % 10), round + 1)),
        )),
      )
      expect(oks.length).toBe(PUBLISHERS * (round + 1))
      expect(oks.every((m) => m[2] === true)).toBe(true)
      expect(relay.relay.stats.clients).toBe(CLIENTS)
      expect(subs.every((s) => s.ws.readyState === WebSocket.OPEN)).toBe(true)
      // Each swarm 1..10 has 20 subscribers, and every announce reached them.
      await new Promise((r) => setTimeout(r, 200))
      expect(subs.reduce((sum, s) => sum + s.live(), 0)).toBe(oks.length * (CLIENTS / 10))
      reader.close()
    } finally {
      for (const s of subs) s.ws.terminate()
      await relay.close()
    }
  }, 45_000)
})
