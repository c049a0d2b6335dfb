/**
 * A relay under test, run as its own process so the load generator does not
 * share its event loop. `tsx bench/relay-child.ts <mode> <threads> [db] [sync] [options]`:
 *
 * - `verify`: the verification limit. The same `ws` transport and worker
 *   pool as the relay; it parses each frame, checks the event's shape, id and
 *   signature, and answers OK. Nothing else.
 * - `tseed`: the full TSEED relay (`startTseedRelay`: verify, ledger, store,
 *   group commit) on the prepared database `db`: a SQLite file, or a
 *   `postgres://` URL. On PostgreSQL it also times the global write lock
 *   (pg-lock-timer.ts).
 * - `fuzz`: the TSEED relay on `db` with its default limits but the message
 *   rate, for the front door fuzz (fuzz.ts).
 *
 * `options` (JSON, `tseed` only) is {@link ChildOptions}.
 *
 * Prints `READY <url>` once listening and `STATS <json>` after SIGTERM. In
 * `tseed` mode SIGUSR2 prints `SNAP <json>`: the group commit counters and,
 * on PostgreSQL, the write lock times so far (backend.ts reads a window).
 */
import { isPostgres, type SqliteDatabase } from '../relay/src/store/database'
import { PgDatabase } from '../relay/src/store/pg/pg-database'
import { timeWriteLock } from './pg-lock-timer'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { checkEventShape, readEventId } from '../relay/src/core/event-validation'
import { DEFAULT_LIMITS } from '../relay/src/core/limits'
import { WorkerPoolVerifier } from '../relay/src/core/worker-verifier'
import { startTseedRelay } from '../relay/src/tseed-relay'

/** What a bench stage may change in the `tseed` relay. */
export interface ChildOptions {
  /** Open connections per address; the ingest bench uses 1,000. */
  maxConnectionsPerIp?: number
  /** The relay's own per-connection limits (rate, subscriptions) instead of the ingest bench's unlimited rate. */
  defaultLimits?: boolean
  /** Print `TICK <relay stats json>` every `ticksMs`. */
  ticksMs?: number
}

const [mode, threadsArg, db, sync, optionsArg] = process.argv.slice(2)
const childOptions = JSON.parse(optionsArg ?? '{}') as ChildOptions
const threads = Number(threadsArg)
const verifier = await WorkerPoolVerifier.start({ threads })
const quiet = { info: () => undefined, warn: console.warn, error: console.error }

let stop: () => Promise<Record<string, unknown>>
/** With ticks: the main thread's event-loop delay over the run. */
let loopDelay: IntervalHistogram | undefined
const LOOP_RESOLUTION_MS = 10
/** A histogram value (ns, timer period included) as the delay beyond the timer, in ms. */
const beyondTimer = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS)
if (mode === 'verify') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data: RawData) => {
      void answer(ws, (data as Buffer).toString('utf8'))
    })
  })
  const address = wss.address()
  if (address === null || typeof address === 'string') throw new Error('unexpected address')
  process.stdout.write(`READY ws://127.0.0.1:${address.port}\n`)
  stop = async () => {
    for (const ws of wss.clients) ws.terminate()
    await new Promise<void>((resolve) => {
      wss.close(() => {
        resolve()
      })
    })
    return {}
  }
} else if (mode === 'tseed' && db !== undefined) {
  const running = await startTseedRelay({
    db,
    port: 0,
    verifier,
    // The ingest benchmark is one client hammering the relay: per-connection
    // rate limits would measure the limiter, not the ingest.
    limits:
      childOptions.defaultLimits === true
        ? {}
        : { rateLimitBurst: 10_000_000, rateLimitPerSecond: 10_000_000 },
    maxConnectionsPerIp: childOptions.maxConnectionsPerIp ?? 1000,
    synchronous: sync === 'full' ? 'full' : 'normal',
    logger: quiet,
  })
  if (childOptions.ticksMs !== undefined) {
    loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
    loopDelay.enable()
    // The longest stall of each tick, to line up with the clients' slow OKs.
    const tick = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
    tick.enable()
    setInterval(() => {
      const loopMaxMs = beyondTimer(tick.max)
      tick.reset()
      process.stdout.write(
        `TICK ${JSON.stringify({ at: Date.now(), ...running.relay.stats, loopMaxMs })}\n`,
      )
    }, childOptions.ticksMs).unref()
  }
  // 1 = NORMAL, 2 = FULL: proof of the setting the run measured. PostgreSQL's
  // durability is the server's; backend.ts reads it there.
  const relayDb = running.ledger.db
  const synchronous = isPostgres(relayDb)
    ? undefined
    : ((relayDb as SqliteDatabase).pragma('synchronous', { simple: true }) as number)
  const lock = relayDb instanceof PgDatabase ? timeWriteLock(relayDb) : undefined
  process.on('SIGUSR2', () => {
    const snap = { groupCommits: running.relay.stats.groupCommits, writeLock: lock?.times }
    process.stdout.write(`SNAP ${JSON.stringify(snap)}\n`)
  })
  // Only now: a SIGUSR2 that came before its handler would end the process.
  process.stdout.write(`READY ${running.url}\n`)
  stop = async () => {
    const groups = running.relay.stats.groupCommits
    await running.close()
    return { synchronous, groupCommits: groups }
  }
} else if (mode === 'fuzz' && db !== undefined) {
  // Default limits but the message rate: the fuzz is a few clients sending as fast as they can.
  const running = await startTseedRelay({
    db,
    port: 0,
    verifier,
    limits: { rateLimitBurst: 10_000_000, rateLimitPerSecond: 10_000_000 },
    logger: quiet,
  })
  process.stdout.write(`READY ${running.url}\n`)
  stop = async () => {
    const stats = running.relay.stats
    await running.close()
    return { clients: stats.clients, subscriptions: stats.subscriptions }
  }
} else {
  throw new Error('usage: relay-child.ts verify|tseed|fuzz <threads> [db] [normal|full]')
}

/** The verify-only relay's whole job per frame. */
async function answer(ws: WebSocket, raw: string): Promise<void> {
  const msg = JSON.parse(raw) as unknown[]
  const id = readEventId(msg[1])
  const shape = checkEventShape(msg[1], DEFAULT_LIMITS)
  if (!shape.ok || id === undefined) {
    ws.send(JSON.stringify(['OK', id ?? '', false, 'invalid: shape']))
    return
  }
  const outcome = await verifier.check(shape.event)
  ws.send(JSON.stringify(['OK', id, outcome === 'valid', outcome === 'valid' ? '' : outcome]))
}

process.once('SIGTERM', () => {
  void (async () => {
    const extra = await stop()
    const stats = {
      ...extra,
      verifier: verifier.stats,
      ...(loopDelay === undefined
        ? {}
        : {
            eventLoopDelayMs: {
              p50: beyondTimer(loopDelay.percentile(50)),
              p99: beyondTimer(loopDelay.percentile(99)),
              max: beyondTimer(loopDelay.max),
            },
          }),
    }
    await verifier.close()
    process.stdout.write(`STATS ${JSON.stringify(stats)}\n`)
    process.exit(0)
  })()
})
