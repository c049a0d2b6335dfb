/**
 * A real file moved by real desktop clients through the relay's tracker,
 * run inside a private network namespace (tests/integration/
 * desktop-clients.test.ts starts it there): nothing leaves the machine, and
 * qBittorrent cannot reach the internet for its geolocation database.
 *
 * Transmission seeds a random 20 MiB file under credential A. aria2
 * downloads it under B, funded through the API; aria2 under C, unfunded,
 * is refused until C tops up through the API; qBittorrent downloads it under
 * D. Transmission then stops (its final counters reach the relay), the
 * relay settles, and the scenario prints `REPORT <json>` with what happened,
 * for the test to check.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decode } from '../../../relay/src/tracker/bencode'
import { runRelayCli } from '../../../scripts/relay-process'
import { newUser, startQuietRelay, type TestUser } from '../tseed-relay'
import { runAria2 } from './aria2'
import { waitFor } from './processes'
import { startQBittorrent } from './qbittorrent'
import { startTransmission } from './transmission'

export const FILE_BYTES = 20 * 1024 * 1024
/** How long one client may take for 20 MiB on a busy CI machine (seconds, here). */
const CLIENT_TIMEOUT_MS = 120_000

/** Everything the test checks; amounts as decimal strings. */
export interface DesktopReport {
  fileSha256: string
  torrents: { user: string; infoHash: string; private: number; announce: string }[]
  cliOutput: string
  downloads: { user: string; client: string; seconds: number; sha256: string | null }[]
  refusal: {
    failuresSeen: number
    aria2Log: string
    listedWhileRefused: number
    chargedWhileRefused: string
    failureReason: string
  }
  charged: Record<string, string>
  claimedByA: string
  escrowBeforeSettle: string
  paidToA: string
  escrowAfterSettle: string
  balancesAfter: Record<string, string>
  transmissionUploaded: number
  audit: { ok: boolean; sums: Record<string, string> }
  trackerStats: unknown
  error?: string
}

const now = (): number => Math.floor(Date.now() / 1000)
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-desktop-'))
  const relay = await startQuietRelay({
    // Clients re-announce every 2 s, so counters reach the ledger within the test.
    tracker: { intervalSeconds: 2, minIntervalSeconds: 1 },
    settleIntervalMs: 3_600_000,
  })
  const cleanups: (() => Promise<void>)[] = []
  const report: Partial<DesktopReport> = {}
  try {
    const users = { A: newUser(relay), B: newUser(relay), C: newUser(relay), D: newUser(relay) }
    await fund(users.B)
    await fund(users.D)
    const seedDir = join(dir, 'seed')
    mkdirSync(seedDir)
    const data = randomBytes(FILE_BYTES)
    const payload = join(seedDir, 'payload.bin')
    writeFileSync(payload, data)
    report.fileSha256 = sha256(data)

    // Each user's own private torrent of the same file, written by the command line.
    const torrents: Record<string, string> = {}
    report.torrents = []
    const outputs: string[] = []
    for (const [name, user] of Object.entries(users)) {
      const issued = await user.api.createTrackerCredential(`desktop test ${name}`)
      const file = join(dir, `${name}.torrent`)
      // libtorrent's SSRF mitigation refuses a tracker on the same machine unless its
      // path is /announce, so qBittorrent's torrent uses the `?auth=` form (docs/tracker.md).
      const announce =
        name === 'D'
          ? `${new URL(issued.announceUrl).origin}/announce?auth=${issued.credential}`
          : issued.announceUrl
      const run = runRelayCli(['make-torrent', payload, '--credential', announce, '--out', file])
      if ((await run.exited) !== 0) throw new Error(`make-torrent failed: ${run.output()}`)
      outputs.push(run.output())
      torrents[name] = file
      const meta = decode(readFileSync(file)) as { announce: Uint8Array; info: { private: number } }
      report.torrents.push({
        user: name,
        infoHash: /private torrent ([0-9a-f]{40})/.exec(run.output())?.[1] ?? '',
        private: meta.info.private,
        announce: Buffer.from(meta.announce).toString(),
      })
    }
    report.cliOutput = outputs[0] ?? ''
    const ih = report.torrents[0]?.infoHash ?? ''
    const chargedTo = (u: TestUser): bigint =>
      relay.ledger
        .history(u.pubkey, 1000)
        .filter((p) => p.kind === 'download')
        .reduce((sum, p) => sum + (p.lines.find((l) => l.amount < 0n)?.amount ?? 0n), 0n) * -1n

    const transmission = await startTransmission(join(dir, 'transmission'), '127.0.0.2', {
      rpc: 19091,
      peer: 51413,
    })
    cleanups.push(() => transmission.close())
    const seedId = await transmission.add(torrents.A ?? '', seedDir)
    await waitFor(
      'transmission to seed and be listed',
      async () =>
        (await transmission.torrents())[0]?.status === 6 &&
        relay.tracker.swarms.counts(ih, now()).complete === 1
          ? true
          : undefined,
      60_000,
    )

    report.downloads = []
    const download = async (
      user: string,
      client: string,
      run: () => Promise<string>,
    ): Promise<void> => {
      const t0 = Date.now()
      const file = await run()
      report.downloads?.push({
        user,
        client,
        seconds: (Date.now() - t0) / 1000,
        sha256: existsSync(file) ? sha256(readFileSync(file)) : null,
      })
    }
    const aria2Dir = (name: string): string => {
      const d = join(dir, `aria2-${name}`)
      mkdirSync(d)
      return d
    }

    // C, unfunded, starts while B downloads: refused, it gets no peers and is not listed.
    const cDir = aria2Dir('C')
    const cRun = runAria2(torrents.C ?? '', cDir, '127.0.0.4', 6992)
    cleanups.push(() => cRun.child.stop())
    await waitFor(
      'the tracker to refuse C',
      () => (relay.tracker.stats.failures.balance >= 2 ? true : undefined),
      30_000,
    )

    await download('B', 'aria2', async () => {
      const bDir = aria2Dir('B')
      const run = runAria2(torrents.B ?? '', bDir, '127.0.0.3', 6991)
      cleanups.push(() => run.child.stop())
      const code = await withTimeout(run.done, CLIENT_TIMEOUT_MS, 'aria2 (B)').catch(
        (err: unknown) => {
          throw stuck(err, transmission.child.output(), run.log())
        },
      )
      if (code !== 0) throw new Error(`aria2 (B) exited ${code}: ${run.child.output()}`)
      return join(bDir, 'payload.bin')
    })

    report.refusal = {
      failuresSeen: relay.tracker.stats.failures.balance,
      aria2Log: cRun.log(),
      listedWhileRefused: relay.tracker.swarms.counts(ih, now()).incomplete,
      chargedWhileRefused: chargedTo(users.C).toString(),
      failureReason: '',
    }
    // What C's client was told, read the way any client reads it.
    const cUrl = report.torrents.find((t) => t.user === 'C')?.announce ?? ''
    const answer = await fetch(
      `${cUrl}?info_hash=${escapeHex(ih)}&peer_id=-AR0000-000000000000&port=6992` +
        '&uploaded=0&downloaded=1000000&left=20000000',
    )
    const failure = (decode(new Uint8Array(await answer.arrayBuffer())) as Record<string, unknown>)[
      'failure reason'
    ]
    report.refusal.failureReason =
      failure instanceof Uint8Array ? Buffer.from(failure).toString() : ''

    await download('C', 'aria2', async () => {
      await fund(users.C)
      const code = await withTimeout(cRun.done, CLIENT_TIMEOUT_MS, 'aria2 (C)').catch(
        (err: unknown) => {
          throw stuck(err, transmission.child.output(), cRun.log())
        },
      )
      if (code !== 0) throw new Error(`aria2 (C) exited ${code}: ${cRun.child.output()}`)
      return join(cDir, 'payload.bin')
    })

    await download('D', 'qbittorrent-nox', async () => {
      const qDir = join(dir, 'qbittorrent')
      const save = join(qDir, 'downloads')
      mkdirSync(save, { recursive: true })
      const qbt = await startQBittorrent(qDir, { webui: 18080, peer: 6993 })
      cleanups.push(() => qbt.close())
      await qbt.add(torrents.D ?? '', save)
      await waitFor(
        'qBittorrent to complete',
        async () => ((await qbt.torrents())[0]?.progress === 1 ? true : undefined),
        CLIENT_TIMEOUT_MS,
        500,
      ).catch(async (err: unknown) => {
        const state = JSON.stringify([await qbt.torrents(), await qbt.trackers(ih)])
        throw stuck(err, transmission.child.output(), `${state}\n${qbt.child.output()}`)
      })
      // Paused, it sends its final `stopped` announce and uploads to nobody else.
      await qbt.pause(ih)
      return join(save, 'payload.bin')
    })

    // Transmission's `stopped` announce carries everything it uploaded.
    await transmission.stopTorrent(seedId)
    await waitFor(
      'the seeder to stop',
      () => (relay.tracker.swarms.counts(ih, now()).complete === 0 ? true : undefined),
      30_000,
    )
    report.transmissionUploaded = (await transmission.torrents())[0]?.uploadedEver ?? 0
    report.charged = Object.fromEntries(
      Object.entries(users).map(([k, u]) => [k, chargedTo(u).toString()]),
    )
    const before = relay.ledger.escrowOf(ih, now())
    report.claimedByA = before.claims.toString()
    report.escrowBeforeSettle = before.escrow.toString()
    const aBefore = relay.ledger.balances(users.A.pubkey).TSEED
    relay.settle()
    report.paidToA = (relay.ledger.balances(users.A.pubkey).TSEED - aBefore).toString()
    report.escrowAfterSettle = relay.ledger.escrowOf(ih, now()).escrow.toString()
    report.balancesAfter = Object.fromEntries(
      Object.entries(users).map(([k, u]) => [k, relay.ledger.balances(u.pubkey).TSEED.toString()]),
    )
    const audit = relay.ledger.audit()
    report.audit = {
      ok: audit.ok,
      sums: Object.fromEntries(Object.entries(audit.sums).map(([k, v]) => [k, String(v)])),
    }
    report.trackerStats = relay.tracker.stats
  } catch (err) {
    report.error = err instanceof Error ? (err.stack ?? err.message) : String(err)
    report.trackerStats = relay.tracker.stats
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined)
    await relay.close()
    rmSync(dir, { recursive: true, force: true })
  }
  process.stdout.write(`REPORT ${JSON.stringify(report)}\n`)
}

/** A client that did not finish, with what the seeder and it logged about peers. */
function stuck(err: unknown, seederLog: string, clientLog: string): Error {
  const about = (log: string): string =>
    log
      .split('\n')
      .filter((l) => /peer|handshake|chok|error|failure|SSRF/i.test(l))
      .slice(-40)
      .join('\n')
  return new Error(
    `${String(err)}\nseeder (Transmission):\n${about(seederLog)}\nclient:\n${about(clientLog)}`,
  )
}

/** A dev-mode deposit, swapped to TSEED on arrival, through the API. */
async function fund(u: TestUser): Promise<void> {
  const d = await u.api.createDeposit({ amountSat: 1000n, swapMinOut: 1n })
  const paid = await u.api.deposit(d.paymentHash)
  if (paid.state !== 'credited') throw new Error(`deposit ${paid.state}`)
}

function escapeHex(hex: string): string {
  return hex.replace(/../g, '%$&')
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      fail(new Error(`${what} did not finish within ${ms} ms`))
    }, ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

await main()
