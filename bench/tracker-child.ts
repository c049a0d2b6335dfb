/**
 * A tracker under benchmark, as its own process: `tsx bench/tracker-child.ts
 * tseed <db> <credential>` runs the TSEED relay (tracker, ledger, API, Nostr
 * core) on a prepared database; `tsx bench/tracker-child.ts
 * bittorrent-tracker` runs bittorrent-tracker's HTTP server alone. Prints
 * `READY <http url>` once listening and exits on SIGTERM.
 */
import Server from 'bittorrent-tracker/server'
import { startTseedRelay } from '../relay/src/tseed-relay'

const [mode, db] = process.argv.slice(2)
const quiet = { info: () => undefined, warn: console.warn, error: console.error }
/** Resolves with what the server reports about itself once stopped. */
let stop: () => Promise<unknown>

if (mode === 'tseed' && db !== undefined) {
  const relay = await startTseedRelay({
    db,
    port: 0,
    // Nostr events are verified on the main thread: the tracker verifies no
    // signature, and each verifier thread would add about 37 MiB of RSS.
    verifierThreads: 0,
    // The load comes from one address: a per-address limit would measure the limiter.
    tracker: { rateLimit: null },
    logger: quiet,
  })
  process.stdout.write(`READY ${relay.httpUrl}\n`)
  stop = async () => {
    const m = process.memoryUsage()
    const mib = (n: number): number => Math.round(n / 2 ** 20)
    const stats = {
      ...relay.tracker.stats,
      memoryMiB: { rss: mib(m.rss), heapUsed: mib(m.heapUsed), external: mib(m.external) },
    }
    await relay.close()
    return stats
  }
} else if (mode === 'bittorrent-tracker') {
  const server = new Server({ http: true, udp: false, ws: false, stats: false })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const port = server.http?.address()
  if (port === null || port === undefined || typeof port === 'string') throw new Error('no port')
  process.stdout.write(`READY http://127.0.0.1:${port.port}\n`)
  stop = () =>
    new Promise((resolve) => {
      server.close(() => {
        resolve({})
      })
    })
} else {
  throw new Error('usage: tracker-child.ts tseed <db> | bittorrent-tracker')
}

process.once('SIGTERM', () => {
  void stop().then((stats) => {
    process.stdout.write(`STATS ${JSON.stringify(stats)}\n`)
    process.exit(0)
  })
})
