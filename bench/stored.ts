/**
 * `npm run bench -- --stored N`: the TSEED relay on a database that already
 * holds N live announces (stored-db.ts). run.ts builds the file before it
 * funds the downloaders, runs the usual ingest load against it, then calls
 * `measureStoredReqs` for REQ `#i` latency over the stored swarms.
 */
import { openDatabase } from '../relay/src/store/database'
import { runReqs } from './load'
import { swarmHash } from './plan'
import { fmt, percentile } from './stats'
import { buildStoredDatabase } from './stored-db'
import { defaultStoredPlan, storedSwarmCounts, type StoredPlan } from './stored-plan'

export interface StoredReqs {
  /** Random stored swarms, most with about announces/swarms announces. */
  random: { p50: number; p99: number; queries: number; events: number }
  /** The hot swarms, each holding one in hotEvery·hotSwarms of the announces. */
  hot: { p50: number; p99: number; queries: number; events: number; perSwarm: number[] }
  /** Both sets together. */
  all: { p50: number; p99: number; queries: number }
  eventsReceived: number
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
 * `randomCount` random stored swarms and `hotCount` queries of the hot swarms
 * in turn, interleaved so neither set has the cache to itself.
 */
export async function measureStoredReqs(
  url: string,
  plan: StoredPlan,
  randomCount: number,
  hotCount: number,
): Promise<StoredReqs> {
  const counts = storedSwarmCounts(plan)
  const hot = Math.min(plan.hotSwarms, plan.swarms)
  const swarms: number[] = []
  const isHot: boolean[] = []
  // The hot queries spread evenly among the random ones.
  const step = hotCount > 0 ? randomCount / hotCount : Infinity
  for (let r = 0, h = 0; r < randomCount || (h < hotCount && hot > 0);) {
    if (h < hotCount && hot > 0 && (r >= randomCount || r >= h * step)) {
      swarms.push(h++ % hot)
      isHot.push(true)
    } else {
      swarms.push(Math.floor(Math.random() * plan.swarms))
      isHot.push(false)
      r++
    }
  }
  const res = await runReqs(
    url,
    swarms.map((s) => swarmHash(s)),
    100,
  )
  const part = (wantHot: boolean) => {
    const xs = Float64Array.from(
      swarms.flatMap((_, i) => (isHot[i] === wantHot ? [res.latenciesMs[i]!] : [])),
    )
    const events = swarms.reduce(
      (sum, s, i) => (isHot[i] === wantHot ? sum + Math.min(100, counts[s] ?? 0) : sum),
      0,
    )
    return { p50: percentile(xs, 50), p99: percentile(xs, 99), queries: xs.length, events }
  }
  const all = res.latenciesMs
  return {
    random: part(false),
    hot: { ...part(true), perSwarm: Array.from({ length: hot }, (_, s) => counts[s] ?? 0) },
    all: { p50: percentile(all, 50), p99: percentile(all, 99), queries: all.length },
    eventsReceived: res.events,
  }
}

export function describeStoredReqs(r: StoredReqs): string[] {
  return [
    `  REQ #i limit 100 on stored swarms (N stored above): ${fmt(r.all.queries)} queries, ` +
      `p50 ${fmt(r.all.p50, 2)} ms   p99 ${fmt(r.all.p99, 2)} ms   (goal p99 ≤ 5 ms)`,
    `    random swarms: ${fmt(r.random.queries)} queries, p50 ${fmt(r.random.p50, 2)} ms   p99 ${fmt(r.random.p99, 2)} ms`,
    `    hot swarms (${r.hot.perSwarm.map((n) => fmt(n)).join(', ')} stored announces each, plus the ingest's): ` +
      `${fmt(r.hot.queries)} queries, p50 ${fmt(r.hot.p50, 2)} ms   p99 ${fmt(r.hot.p99, 2)} ms`,
    `    events received ${fmt(r.eventsReceived)}; at least ${fmt(r.random.events + r.hot.events)} expected from the stored announces alone`,
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
