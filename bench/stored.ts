/**
 * `npm run bench -- --stored N`: the TSEED relay on a database that already
 * holds N live announces (stored-db.ts). run.ts builds the file before it
 * funds the downloaders, runs the usual ingest load against it, then calls
 * `measureStoredReqs` for REQ `#i` latency over the stored swarms.
 */
import { parseFilter } from '../relay/src/core/filters'
import { DEFAULT_LIMITS } from '../relay/src/core/limits'
import { openDatabase } from '../relay/src/store/database'
import { SqliteAnnounceStore } from '../relay/src/store/sqlite-store'
import { runReqs } from './load'
import { swarmHash } from './plan'
import { fmt, percentile } from './stats'
import { buildStoredDatabase } from './stored-db'
import { defaultStoredPlan, storedSwarmCounts, type StoredPlan } from './stored-plan'

type QueryKind = 'random' | 'hot' | 'empty'

interface Part {
  p50: number
  p99: number
  queries: number
  /** Events the stored announces alone give these queries. */
  events: number
}

export interface StoredReqs {
  /** Random stored swarms, most with about announces/swarms announces. */
  random: Part
  /** The hot swarms, each holding one in hotEvery·hotSwarms of the announces. */
  hotSwarms: Part & { perSwarm: number[] }
  /**
   * Swarms nobody announced: the index finds nothing, so these time the
   * round trip through the WebSocket and the relay's event loop alone.
   */
  empty: Part
  /** Random and hot together: the stored swarms. */
  all: { p50: number; p99: number; max: number; queries: number }
  eventsReceived: number
  /** The swarm of each query, in order, and its kind. */
  swarms: number[]
  kinds: QueryKind[]
}

/** Builds the database for `--stored N` and prints what it holds and how long it took. */
export async function prepareStored(path: string, n: number, sign: boolean): Promise<StoredPlan> {
  const plan = defaultStoredPlan(n, Math.floor(Date.now() / 1000))
  console.info(
    `stored: building ${fmt(n)} live kind 21000 announces over ${fmt(plan.swarms)} swarms ` +
      `(${plan.hotSwarms} hot swarms share one in ${plan.hotEvery}), ${sign ? 'signed' : 'UNSIGNED (zero signatures)'}`,
  )
  const r = await buildStoredDatabase(path, plan, { sign })
  console.info(
    `stored: built N = ${fmt(r.announces)} announces in ${fmt(r.ms / 1000, 1)} s ` +
      `(${fmt((r.announces * 1000) / r.ms)}/s), file ${fmt(r.fileBytes / 2 ** 20)} MiB`,
  )
  return plan
}

/**
 * REQ `{"kinds":[21000],"#i":[h],"limit":100}` one at a time, timed to EOSE:
 * `counts.random` random stored swarms, `counts.hot` queries of the hot
 * swarms in turn and `counts.empty` swarms nobody announced, shuffled so no
 * set has the cache or a quiet moment to itself.
 */
export async function measureStoredReqs(
  url: string,
  plan: StoredPlan,
  counts: Record<QueryKind, number>,
): Promise<StoredReqs> {
  const stored = storedSwarmCounts(plan)
  const hot = Math.min(plan.hotSwarms, plan.swarms)
  const queries: { swarm: number; kind: QueryKind }[] = [
    ...Array.from({ length: counts.random }, () => ({
      swarm: Math.floor(Math.random() * plan.swarms),
      kind: 'random' as const,
    })),
    ...Array.from({ length: hot > 0 ? counts.hot : 0 }, (_, i) => ({
      swarm: i % hot,
      kind: 'hot' as const,
    })),
    // Past the stored swarms, and past the ingest's, which are among them.
    ...Array.from({ length: counts.empty }, (_, i) => ({
      swarm: plan.swarms + i,
      kind: 'empty' as const,
    })),
  ]
  for (let i = queries.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[queries[i], queries[j]] = [queries[j]!, queries[i]!]
  }
  const res = await runReqs(
    url,
    queries.map((q) => swarmHash(q.swarm)),
    100,
  )
  const part = (want: (k: QueryKind) => boolean): Part => {
    const xs = Float64Array.from(
      queries.flatMap((q, i) => (want(q.kind) ? [res.latenciesMs[i]!] : [])),
    )
    const events = queries.reduce(
      (sum, q) => (want(q.kind) ? sum + Math.min(100, stored[q.swarm] ?? 0) : sum),
      0,
    )
    return { p50: percentile(xs, 50), p99: percentile(xs, 99), queries: xs.length, events }
  }
  const all = Float64Array.from(
    queries.flatMap((q, i) => (q.kind === 'empty' ? [] : [res.latenciesMs[i]!])),
  )
  return {
    random: part((k) => k === 'random'),
    hotSwarms: {
      ...part((k) => k === 'hot'),
      perSwarm: Array.from({ length: hot }, (_, s) => stored[s] ?? 0),
    },
    empty: part((k) => k === 'empty'),
    all: {
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      max: percentile(all, 100),
      queries: all.length,
    },
    eventsReceived: res.events,
    swarms: queries.map((q) => q.swarm),
    kinds: queries.map((q) => q.kind),
  }
}

export function describeStoredReqs(r: StoredReqs): string[] {
  return [
    `  REQ #i limit 100 on stored swarms (N stored above): ${fmt(r.all.queries)} queries, ` +
      `p50 ${fmt(r.all.p50, 2)} ms   p99 ${fmt(r.all.p99, 2)} ms   max ${fmt(r.all.max, 2)} ms   (goal p99 ≤ 5 ms)`,
    `    random swarms: ${fmt(r.random.queries)} queries, p50 ${fmt(r.random.p50, 2)} ms   p99 ${fmt(r.random.p99, 2)} ms`,
    `    hot swarms (${r.hotSwarms.perSwarm.map((n) => fmt(n)).join(', ')} stored announces each, plus the ingest's): ` +
      `${fmt(r.hotSwarms.queries)} queries, p50 ${fmt(r.hotSwarms.p50, 2)} ms   p99 ${fmt(r.hotSwarms.p99, 2)} ms`,
    `    swarms nobody announced (the round trip alone): ${fmt(r.empty.queries)} queries, ` +
      `p50 ${fmt(r.empty.p50, 2)} ms   p99 ${fmt(r.empty.p99, 2)} ms`,
    `    events received ${fmt(r.eventsReceived)}; at least ${fmt(r.random.events + r.hotSwarms.events)} expected from the stored announces alone`,
  ]
}

/** SQLite's plan for the relay's `#i` query, as `SqliteAnnounceStore.query` words it. */
export function describeReqPlan(path: string): string {
  const db = openDatabase(path)
  try {
    const rows = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT a.event FROM announces a WHERE a.expires_at > ?
           AND a.kind IN (SELECT value FROM json_each(?))
           AND a.info_hash IN (SELECT value FROM json_each(?))
         ORDER BY a.created_at DESC, a.id ASC LIMIT ?`,
      )
      .all(0, '[21000]', JSON.stringify([swarmHash(0)]), 100) as { detail: string }[]
    return `  REQ #i query plan: ${rows.map((r) => r.detail).join('; ')}`
  } finally {
    db.close()
  }
}

/**
 * The same queries without the relay around them: `SqliteAnnounceStore.query`
 * and the serialisation of each answer, in this process, on the file the
 * relay left. Run after the relay stopped; what the REQ adds on top is the
 * WebSocket, the relay's event loop and the client.
 */
export async function timeStoreQueries(
  path: string,
  swarms: readonly number[],
  kinds: readonly QueryKind[],
): Promise<{ all: { p50: number; p99: number }; hot: { p50: number; p99: number } }> {
  const store = SqliteAnnounceStore.open(path)
  try {
    const now = Math.floor(Date.now() / 1000)
    const times = new Float64Array(swarms.length)
    for (const [i, s] of swarms.entries()) {
      const filter = parseFilter({ kinds: [21000], '#i': [swarmHash(s)] }, DEFAULT_LIMITS)
      const t = performance.now()
      const events = await store.query(filter, now, 100)
      for (const ev of events) JSON.stringify(['EVENT', 'q', ev])
      times[i] = performance.now() - t
    }
    const hotTimes = Float64Array.from(times.filter((_, i) => kinds[i] === 'hot'))
    const storedTimes = Float64Array.from(times.filter((_, i) => kinds[i] !== 'empty'))
    return {
      all: { p50: percentile(storedTimes, 50), p99: percentile(storedTimes, 99) },
      hot: { p50: percentile(hotTimes, 50), p99: percentile(hotTimes, 99) },
    }
  } finally {
    await store.close()
  }
}
