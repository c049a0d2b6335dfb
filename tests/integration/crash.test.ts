/**
 * Crash safety of the real relay process: the CLI (ledger on, `dev`
 * Lightning, a SQLite file; or two processes on one PostgreSQL database, of
 * which one is killed) is killed with SIGKILL at random moments while
 * clients publish funded and unfunded announces and fund accounts over the
 * HTTP API. After every kill, everything the relay acknowledged must be in
 * the file: the postings of charged announces, the announces themselves,
 * deposits and swaps, and the journal must audit. Work that was never
 * acknowledged may or may not be there; the audit covers it.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/wasm'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toEventTemplate } from '../../src/nostr/kind21000'
import { loadNostrWasm } from '../../relay/src/core/verifier'
import { userAccount } from '../../relay/src/ledger/accounts'
import { Ledger } from '../../relay/src/ledger/ledger'
import type { Posting } from '../../relay/src/ledger/journal'
import { openRelayDatabase } from '../../relay/src/store/open-relay-database'
import { SqliteAnnounceStore } from '../../relay/src/store/sqlite-store'
import { RELAY_CLI, spawnRelay, type RelayProcess } from '../../scripts/relay-process'
import { freshSchema, postgresUrl } from '../support/postgres'
import { newUser, type TestUser } from '../support/tseed-relay'

/** At least 20 in CI; fewer by default so a local run stays quick. */
const KILLS = Number(process.env.TSEED_CRASH_KILLS ?? (process.env.CI === 'true' ? 20 : 8))
/** Up to the relay's 20 connections per address, less room for the HTTP client. */
const CONNECTIONS = 16
/** Per connection and round; below the relay's burst of 120 messages per connection. */
const EVENTS_PER_CONNECTION = 100
/**
 * Everything is sent within about 0.5 s, in bursts of one tick: the relay
 * works through each burst while the next comes, so a kill lands
 * mid-verification, mid-commit or between a commit and its OKs.
 */
const TICK_MS = 100
const PER_TICK = 20
/**
 * The kill falls this long after the sockets opened, uniformly: while the
 * load is still being sent. Timed from there, not from the relay's start, so
 * a slow start on a loaded machine cannot push every kill before the first
 * event, and a fast relay cannot have answered everything before most kills.
 */
const KILL_WINDOW_MS = [20, 500] as const
const MB = 1_000_000n

type Role = 'paid' | 'unfunded' | 'seeder'

interface Announce {
  ev: NostrEvent
  role: Role
  /** TSEED the ledger must have charged if the announce was accepted. */
  charge: bigint
}

interface Verdict {
  ok: boolean
  message: string
}

/** Everything the relays of one test acknowledged, over all rounds, and the users funded so far. */
interface CrashRun {
  acked: {
    announces: Map<string, Announce & Verdict>
    deposits: Map<string, { pubkey: string; sats: bigint }>
    swaps: Map<string, { pubkey: string; ref: string; sats: bigint; tseed: bigint }>
  }
  funded: TestUser[]
}

function newRun(): CrashRun {
  return { acked: { announces: new Map(), deposits: new Map(), swaps: new Map() }, funded: [] }
}

let dir: string

beforeAll(async () => {
  await loadNostrWasm()
  dir = mkdtempSync(join(tmpdir(), 'tseed-crash-'))
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const now = (): number => Math.floor(Date.now() / 1000)

function announce(sk: Uint8Array, role: Role, k: bigint): Announce {
  const ev = finalizeEvent(
    toEventTemplate(
      {
        infoHash: randomBytes(20).toString('hex'),
        uploaded: role === 'seeder' ? k * MB : 0n,
        downloaded: role === 'seeder' ? 0n : k * MB,
        left: role === 'seeder' ? 0n : 10n * MB,
        // A new session each time: every announce is accounted in full (k MB at
        // 1 TSEED/MB) and kept by the store, so both are predictable.
        session: randomBytes(16).toString('hex'),
      },
      now(),
    ),
    sk,
  )
  return {
    ev: JSON.parse(JSON.stringify(ev)) as NostrEvent,
    role,
    charge: role === 'paid' ? k : 0n,
  }
}

/** This round's announces: from funded users (charged), new keys without funds, and seeders. */
function roundAnnounces(run: CrashRun, count: number): Announce[] {
  const out: Announce[] = []
  for (let i = 0; i < count; i++) {
    const r = i % 4
    const user = run.funded[i % Math.max(1, run.funded.length)]
    const k = BigInt((i % 3) + 1)
    if (r < 2 && user !== undefined) out.push(announce(user.sk, 'paid', k))
    else if (r === 3) out.push(announce(generateSecretKey(), 'seeder', k))
    else out.push(announce(generateSecretKey(), 'unfunded', k))
  }
  return out
}

/**
 * Publishes paced announces over `connections` sockets, recording every OK,
 * until the sockets die, or with `closeWhenAnswered` until every announce
 * was answered. `onOpen` runs once the sockets are open, before the first send.
 */
async function publishUntilDead(
  run: CrashRun,
  relay: RelayProcess,
  announces: Announce[],
  {
    connections = CONNECTIONS,
    closeWhenAnswered = false,
    onOpen = (): void => undefined,
  }: { connections?: number; closeWhenAnswered?: boolean; onOpen?: () => void } = {},
): Promise<{ sent: number; answered: number }> {
  const byId = new Map(announces.map((a) => [a.ev.id, a]))
  let sent = 0
  let answered = 0
  const sockets = await Promise.all(
    Array.from({ length: connections }, () => {
      const ws = new WebSocket(relay.url)
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => {
          resolve(ws)
        })
        ws.once('error', reject)
      })
    }),
  )
  onOpen()
  await Promise.all(
    sockets.map(
      (ws, c) =>
        new Promise<void>((resolve) => {
          const mine = announces.filter((_, i) => i % connections === c)
          let unanswered = mine.length
          ws.on('message', (data: Buffer) => {
            const msg = JSON.parse(data.toString()) as unknown[]
            const a = msg[0] === 'OK' ? byId.get(msg[1] as string) : undefined
            if (a === undefined) return
            answered++
            run.acked.announces.set(a.ev.id, {
              ...a,
              ok: msg[2] as boolean,
              message: msg[3] as string,
            })
            if (--unanswered === 0 && closeWhenAnswered) ws.close()
          })
          ws.on('error', () => undefined)
          const timer = setInterval(() => {
            for (const a of mine.splice(0, PER_TICK)) {
              if (ws.readyState !== WebSocket.OPEN) break
              ws.send(JSON.stringify(['EVENT', a.ev]))
              sent++
            }
          }, TICK_MS)
          ws.once('close', () => {
            clearInterval(timer)
            resolve()
          })
        }),
    ),
  )
  return { sent, answered }
}

/** SIGKILLs `relay` at a random moment of {@link KILL_WINDOW_MS} from now. */
function killLater(relay: RelayProcess): NodeJS.Timeout {
  const [from, to] = KILL_WINDOW_MS
  const after = from + Math.floor(Math.random() * (to - from))
  return setTimeout(() => relay.child.kill('SIGKILL'), after)
}

/** Two new users fund themselves over HTTP: a deposit, then a swap into TSEED. */

async function fundOverHttp(run: CrashRun, relay: RelayProcess): Promise<void> {
  await Promise.all(
    [0, 1].map(async () => {
      const user = newUser(relay)
      try {
        const created = await user.api.createDeposit({ amountSat: 300n })
        const deposit = await user.api.deposit(created.paymentHash)
        if (deposit.state !== 'credited') return
        run.acked.deposits.set(created.paymentHash, { pubkey: user.pubkey, sats: 300n })
        const ref = 'fund'
        const swap = await user.api.swap({ side: 'sat_to_tseed', amountIn: 300n, minOut: 1n, ref })
        run.acked.swaps.set(user.pubkey, {
          pubkey: user.pubkey,
          ref,
          sats: 300n,
          tseed: swap.amountOut,
        })
        run.funded.push(user)
      } catch {
        // Killed mid-request: nothing was acknowledged.
      }
    }),
  )
}

/** Opens the database the way an operator's tools would and checks it. */
function checkDurable(run: CrashRun, db: string): { charged: number; stored: number } {
  const { acked } = run
  const handle = openRelayDatabase(db)
  try {
    const ledger = new Ledger(handle)
    const store = new SqliteAnnounceStore(handle)
    const audit = ledger.audit()
    expect(
      audit.ok,
      JSON.stringify(audit, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)),
    ).toBe(true)
    expect(audit.sums).toEqual({ TSEED: 0n, sat: 0n })

    const historyCache = new Map<string, Map<string, Posting>>()
    const postingsOf = (pubkey: string): Map<string, Posting> => {
      let h = historyCache.get(pubkey)
      if (h === undefined) {
        h = new Map(ledger.history(pubkey, 1000).map((p) => [p.ref, p]))
        historyCache.set(pubkey, h)
      }
      return h
    }
    const t = now()
    let charged = 0
    let stored = 0
    for (const a of acked.announces.values()) {
      const accepted = a.ok && a.message === ''
      const isStored = store.writes.hasId(a.ev.id, t)
      expect(isStored, `announce ${a.ev.id} (${a.role}, OK ${a.ok} ${a.message})`).toBe(accepted)
      if (isStored) stored++
      const posting = postingsOf(a.ev.pubkey).get(`announce:${a.ev.id}`)
      if (accepted && a.charge > 0n) {
        const line = posting?.lines.find(
          (l) => l.account === userAccount(a.ev.pubkey) && l.currency === 'TSEED',
        )
        expect(line?.amount, `charge of acknowledged announce ${a.ev.id}`).toBe(-a.charge)
        charged++
      } else {
        expect(posting, `posting for ${a.role} announce ${a.ev.id} (${a.message})`).toBeUndefined()
      }
      if (a.role === 'unfunded') expect(a.ok).toBe(false)
    }
    for (const [hash, d] of acked.deposits) {
      const line = postingsOf(d.pubkey)
        .get(`deposit:${hash}`)
        ?.lines.find((l) => l.account === userAccount(d.pubkey))
      expect(line?.amount, `deposit ${hash}`).toBe(d.sats)
    }
    for (const s of acked.swaps.values()) {
      const p = postingsOf(s.pubkey).get(`swap:api:${s.pubkey}:${s.ref}`)
      const got = p?.lines.find(
        (l) => l.account === userAccount(s.pubkey) && l.currency === 'TSEED',
      )
      expect(got?.amount, `swap of ${s.pubkey}`).toBe(s.tseed)
    }
    return { charged, stored }
  } finally {
    handle.close()
  }
}

const pgUrl = postgresUrl()

describe('relay process killed with SIGKILL under load', () => {
  it(`keeps everything it acknowledged across ${KILLS} kills`, async () => {
    const run = newRun()
    const db = join(dir, 'relay.sqlite')
    const started = Date.now()
    let killedMidLoad = 0
    for (let round = 0; round < KILLS; round++) {
      const relay = await spawnRelay(['--port', '0', '--db', db, '--lightning', 'dev'])
      const announces = roundAnnounces(run, CONNECTIONS * EVENTS_PER_CONNECTION)
      let kill: NodeJS.Timeout | undefined
      const [load] = await Promise.all([
        publishUntilDead(run, relay, announces, {
          onOpen: () => {
            kill = killLater(relay)
          },
        }),
        fundOverHttp(run, relay),
      ])
      // If the load ended first, the kill still comes.
      await relay.exited
      clearTimeout(kill)
      if (load.sent > load.answered) killedMidLoad++
      checkDurable(run, db)
    }
    const totals = await expectMeaningfulAndAudited(run, db, KILLS, killedMidLoad)
    await expectRestartedRelayServes(run, db)
    if (pgUrl !== undefined) await expectMigratesToPostgres(run, db, pgUrl)
    console.info(
      `crash test: ${KILLS} kills (${killedMidLoad} with events in flight), ` +
        `${run.acked.announces.size} announces answered, ${totals.stored} stored, ` +
        `${totals.charged} charged, ${run.acked.swaps.size} users funded over HTTP, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
  }, 180_000)
})

/** At least 10 in CI, as for SQLite fewer by default locally. */
const PG_KILLS = Number(process.env.TSEED_CRASH_KILLS_PG ?? (process.env.CI === 'true' ? 10 : 4))

describe.skipIf(pgUrl === undefined)(
  'two relay processes on PostgreSQL, one killed under load',
  () => {
    it(`keeps everything either acknowledged across ${PG_KILLS} kills, the other serving on`, async () => {
      const run = newRun()
      const db = `${pgUrl as string}?schema=${freshSchema()}`
      const args = ['--port', '0', '--db', db, '--lightning', 'dev']
      const relays: (RelayProcess | undefined)[] = [undefined, undefined]
      const started = Date.now()
      let killedMidLoad = 0
      try {
        for (let round = 0; round < PG_KILLS; round++) {
          for (const k of [0, 1]) relays[k] ??= await spawnRelay(args)
          const [first, second] = relays as [RelayProcess, RelayProcess]
          const victimIndex = Math.random() < 0.5 ? 0 : 1
          const victim = victimIndex === 0 ? first : second
          const survivor = victimIndex === 0 ? second : first
          const announces = roundAnnounces(run, CONNECTIONS * EVENTS_PER_CONNECTION)
          const half = CONNECTIONS / 2
          const toVictim = announces.filter((_, i) => i % 2 === 0)
          const toSurvivor = announces.filter((_, i) => i % 2 === 1)
          let kill: NodeJS.Timeout | undefined
          const [load, kept] = await Promise.all([
            publishUntilDead(run, victim, toVictim, {
              connections: half,
              onOpen: () => {
                kill = killLater(victim)
              },
            }),
            // The survivor answers every announce sent to it while the other dies.
            publishUntilDead(run, survivor, toSurvivor, {
              connections: half,
              closeWhenAnswered: true,
            }),
            fundOverHttp(run, victim),
            fundOverHttp(run, survivor),
          ])
          await victim.exited
          clearTimeout(kill)
          relays[victimIndex] = undefined
          expect(kept.answered, `the surviving process answered round ${round}`).toBe(kept.sent)
          expect(kept.sent).toBe(toSurvivor.length)
          if (load.sent > load.answered) killedMidLoad++
          checkDurable(run, db)
        }
        const totals = await expectMeaningfulAndAudited(run, db, PG_KILLS, killedMidLoad)
        const serving = relays.find((r) => r !== undefined)
        if (serving !== undefined) await expectServesAccepted(run, serving)
        console.info(
          `PostgreSQL crash test: ${PG_KILLS} kills of one of two processes ` +
            `(${killedMidLoad} with events in flight), ${run.acked.announces.size} announces ` +
            `answered, ${totals.stored} stored, ${totals.charged} charged, ` +
            `${((Date.now() - started) / 1000).toFixed(1)} s`,
        )
      } finally {
        for (const r of relays) r?.child.kill('SIGKILL')
        await Promise.all(relays.flatMap((r) => (r === undefined ? [] : [r.exited])))
      }
    }, 240_000)
  },
)

/**
 * After the last kill: everything acknowledged is durable, the kills hit
 * real, acknowledged work (or the test would mean nothing), and the
 * operator's audit command agrees.
 */
async function expectMeaningfulAndAudited(
  run: CrashRun,
  db: string,
  kills: number,
  killedMidLoad: number,
): Promise<{ charged: number; stored: number }> {
  const totals = checkDurable(run, db)
  expect(killedMidLoad).toBeGreaterThanOrEqual(Math.ceil(kills / 4))
  expect(totals.charged).toBeGreaterThan(0)
  expect(totals.stored).toBeGreaterThan(kills * 10)
  expect(run.acked.swaps.size).toBeGreaterThan(0)
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', RELAY_CLI, 'audit', '--db', db],
    { timeout: 30_000 },
  )
  expect(stdout).toMatch(/audit: OK/)
  return totals
}

/**
 * The file the kills left behind moves to PostgreSQL with `migrate-to-postgres`
 * (which commits only if the copy audits like the source), and there still
 * holds everything that was acknowledged; a relay started on it serves it.
 */
async function expectMigratesToPostgres(run: CrashRun, file: string, url: string): Promise<void> {
  const target = `${url}?schema=${freshSchema()}`
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', RELAY_CLI, 'migrate-to-postgres', '--from', file, '--to', target],
    { timeout: 60_000 },
  )
  expect(stdout).toMatch(/^migrated /m)
  checkDurable(run, target)
  await expectRestartedRelayServes(run, target)
}

/** A relay started on `db` serves the latest acknowledged announces. */
async function expectRestartedRelayServes(run: CrashRun, db: string): Promise<void> {
  const relay = await spawnRelay(['--port', '0', '--db', db, '--lightning', 'dev'])
  try {
    await expectServesAccepted(run, relay)
  } finally {
    relay.child.kill('SIGKILL')
    await relay.exited
  }
}

/** A running relay serves the latest acknowledged announces. */
async function expectServesAccepted(run: CrashRun, relay: RelayProcess): Promise<void> {
  const accepted = [...run.acked.announces.values()].filter((a) => a.ok && a.message === '')
  const sample = accepted.slice(-400).map((a) => a.ev.id)
  expect(await storedIds(relay.url, sample)).toEqual(new Set(sample))
}

/** The ids among `ids` that a REQ by id returns. */
async function storedIds(url: string, ids: string[]): Promise<Set<string>> {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const got = new Set<string>()
  await new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as unknown[]
      if (msg[0] === 'EVENT') got.add((msg[2] as NostrEvent).id)
      if (msg[0] === 'EOSE') resolve()
    })
    ws.send(JSON.stringify(['REQ', 'check', { ids, limit: 500 }]))
  })
  ws.close()
  return got
}
