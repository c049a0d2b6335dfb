import { mkdirSync, writeFileSync } from 'node:fs'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { verifyEvent, type NostrEvent } from 'nostr-tools/pure'
import WebSocket from 'ws'
import { swarm } from '../../support/swarm'

useWebSocketImplementation(WebSocket)

/** Asks the relay for the current swarm of one torrent, as any Nostr client would. */
export async function fetchAnnounces(relayUrl: string, infoHashHex: string): Promise<NostrEvent[]> {
  const relay = await Relay.connect(relayUrl)
  try {
    return await swarm(relay, infoHashHex)
  } finally {
    relay.close()
  }
}

/** Polls until `predicate` holds for the swarm, or fails with what was last seen. */
export async function waitForAnnounces(
  relayUrl: string,
  infoHashHex: string,
  predicate: (events: NostrEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<NostrEvent[]> {
  const deadline = Date.now() + timeoutMs
  let last: NostrEvent[] = []
  for (;;) {
    try {
      last = await fetchAnnounces(relayUrl, infoHashHex)
      if (predicate(last)) return last
    } catch {
      // The relay may be restarting; keep polling until the deadline.
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for announces; last saw ${JSON.stringify(last)}`)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

export function tagValue(e: NostrEvent, name: string): string | undefined {
  return e.tags.find((t) => t[0] === name)?.[1]
}

/** Verifies a signature on a fresh copy, since verifyEvent caches its verdict on the object. */
export function verifiesFresh(e: NostrEvent): boolean {
  return verifyEvent(JSON.parse(JSON.stringify(e)) as NostrEvent)
}

/**
 * A live subscription to every kind 21000 the relay accepts from now on,
 * noting when each torrent's first event arrived: the time an announce takes
 * from the page to a relay that stored it.
 */
export async function watchArrivals(
  relayUrl: string,
): Promise<{ arrival(infoHashHex: string, timeoutMs?: number): Promise<number>; close(): void }> {
  const relay = await Relay.connect(relayUrl)
  const seen = new Map<string, number>()
  const waiters = new Map<string, (at: number) => void>()
  relay.subscribe([{ kinds: [21000], since: Math.floor(Date.now() / 1000) - 1 }], {
    onevent(e) {
      const at = performance.now()
      const hash = tagValue(e, 'i')
      if (hash === undefined || seen.has(hash)) return
      seen.set(hash, at)
      waiters.get(hash)?.(at)
    },
  })
  return {
    arrival: (hash, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const at = seen.get(hash)
        if (at !== undefined) {
          resolve(at)
          return
        }
        const timer = setTimeout(() => {
          reject(new Error(`no announce for ${hash} within ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.set(hash, (t) => {
          clearTimeout(timer)
          resolve(t)
        })
      }),
    close: () => {
      relay.close()
    },
  }
}

/**
 * Times `count` announces one after another, from the call that makes each
 * to the relay's broadcast of its event, writes the p50 and the maximum to
 * `test-results/<name>-latency.json` and returns them.
 */
export async function measureAnnounceLatency(
  relayUrl: string,
  name: string,
  announce: (infoHash: { bytes: Uint8Array; hex: string }) => Promise<void>,
  newInfoHash: () => { bytes: Uint8Array; hex: string },
  count = 10,
): Promise<{ announces: number; p50Ms: number; maxMs: number }> {
  const watch = await watchArrivals(relayUrl)
  const times: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      const h = newInfoHash()
      const start = performance.now()
      await announce(h)
      times.push((await watch.arrival(h.hex)) - start)
    }
  } finally {
    watch.close()
  }
  times.sort((a, b) => a - b)
  const report = {
    announces: times.length,
    p50Ms: Math.round(times[Math.floor(times.length / 2)] ?? NaN),
    maxMs: Math.round(times[times.length - 1] ?? NaN),
  }
  mkdirSync('test-results', { recursive: true })
  writeFileSync(`test-results/${name}-latency.json`, `${JSON.stringify(report)}\n`)
  console.info(`${name} announce to relay: ${JSON.stringify(report)}`)
  return report
}

/**
 * Every kind 21000 the relay accepts for `infoHashHex` from now on, in the
 * order the relay sent them (after what it holds already, each event once):
 * a swarm query keeps only each peer's latest announce, and a test of
 * growing counters needs them all.
 */
export async function collectAnnounces(
  relayUrl: string,
  infoHashHex: string,
): Promise<{ events: NostrEvent[]; close(): void }> {
  const relay = await Relay.connect(relayUrl)
  const events: NostrEvent[] = []
  relay.subscribe([{ kinds: [21000], '#i': [infoHashHex] }], {
    onevent(e) {
      if (!events.some((seen) => seen.id === e.id)) events.push(e)
    },
  })
  return {
    events,
    close: () => {
      relay.close()
    },
  }
}
