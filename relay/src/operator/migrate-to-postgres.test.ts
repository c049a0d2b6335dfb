import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { verifiedAnnounces } from '../../tests/fixtures'
import { describe, expect, it } from 'vitest'
import { runCliCaptured, tempDirs } from '../../tests/operator-cli'
import { freshSchema, postgresUrl } from '../../../tests/support/postgres'
import { Ledger } from '../ledger/ledger'
import { openDatabase, type SqlDatabase } from '../store/database'
import { openRelayDatabase } from '../store/open-relay-database'
import { SqliteAnnounceStore } from '../store/sqlite-store'
import { TrackerCredentials } from '../tracker/credentials'
import { migrateToPostgres } from './migrate-to-postgres'
import { migrateRelaySchema } from './relay-schema'

const url = postgresUrl()
const PK = 'ab'.repeat(32)
const UPLOADER = 'cd'.repeat(32)
const IH = '12'.repeat(20)
const tempDir = tempDirs('tseed-migrate-')

const run = runCliCaptured

/**
 * A relay file with a pool, a deposit, a swap, charged announces, a claim
 * paid out by a settlement, an open escrow lot, a withdrawal, a stored
 * announce and a tracker credential.
 */
function seededRelayFile(dir: string): { path: string; credential: string } {
  const path = join(dir, 'relay.sqlite')
  const db = openDatabase(path)
  const store = new SqliteAnnounceStore(db)
  const ledger = new Ledger(db)
  const credentials = new TrackerCredentials(db)
  ledger.bootstrapPool({ tseed: 1_000_000n, sat: 500_000n })
  ledger.deposit(PK, 10_000n, 'f'.repeat(64))
  ledger.swap(PK, 'sat_to_tseed', 2_000n, 0n, 'seed')
  const now = Math.floor(Date.now() / 1000)
  const announce = verifiedAnnounces(IH, () => now)
  ledger.applyAnnounce(announce(PK, { left: 9_000_000n, event: 'started' }), now)
  ledger.applyAnnounce(announce(UPLOADER, { event: 'started' }), now)
  ledger.applyAnnounce(announce(PK, { downloaded: 3_500_000n, left: 5_500_000n }), now)
  ledger.applyAnnounce(announce(UPLOADER, { uploaded: 3_500_000n }), now)
  ledger.settle(now)
  ledger.applyAnnounce(announce(PK, { downloaded: 5_500_000n, left: 3_500_000n }), now)
  ledger.reserveWithdrawal(PK, 100n, 10n, 'withdrawal:test')
  const ev = {
    id: 'ee'.repeat(32),
    pubkey: PK,
    created_at: now,
    kind: 21000,
    tags: [
      ['i', IH],
      ['t', 'linux'],
    ],
    content: '',
    sig: '00'.repeat(64),
  }
  store.writes.put({ event: ev, infoHash: IH, session: 's', expiresAt: now + 7200 }, now)
  const { credential } = credentials.issue(PK, 'laptop', now)
  db.close()
  return { path, credential }
}

function rowsOf(db: SqlDatabase, sql: string): unknown[] {
  return db.prepare(sql).safeIntegers().all()
}

describe('migrate-to-postgres: what it refuses', () => {
  it('is listed with its help', async () => {
    const main = await run(['--help'])
    expect(main.out).toContain('  migrate-to-postgres ')
    const help = await run(['migrate-to-postgres', '--help'])
    expect(help.out).toContain('Usage: npm run relay -- migrate-to-postgres')
    expect(help.out).toMatch(/--from <file>/)
    expect(help.out).toMatch(/--to <url>/)
  })

  it('refuses missing flags, a missing or foreign source and a target that is not a postgres:// URL', async () => {
    const dir = tempDir()
    expect((await run(['migrate-to-postgres', '--to', 'postgres://x/y'])).code).toBe(2)
    expect((await run(['migrate-to-postgres', '--from', 'a.sqlite'])).code).toBe(2)
    const missing = await run([
      'migrate-to-postgres',
      '--from',
      join(dir, 'nope.sqlite'),
      '--to',
      'postgres://127.0.0.1:1/x',
    ])
    expect(missing).toMatchObject({ code: 1, out: '' })
    expect(missing.err).toBe(
      `migrate-to-postgres: no database at ${join(dir, 'nope.sqlite')}; give the relay's SQLite file with --from\n`,
    )
    const { path } = seededRelayFile(dir)
    for (const to of ['mysql://127.0.0.1/relay', join(dir, 'other.sqlite')]) {
      const bad = await run(['migrate-to-postgres', '--from', path, '--to', to])
      expect(bad.code).toBe(1)
      expect(bad.err).toMatch(/^migrate-to-postgres: --to must be a postgres:\/\/ URL, got .*\n$/)
    }
    const junk = join(dir, 'junk.sqlite')
    writeFileSync(junk, 'not a database at all, just some text that is long enough')
    const notDb = await run(['migrate-to-postgres', '--from', junk, '--to', 'postgres://x/y'])
    expect(notDb.code).toBe(1)
    expect(notDb.err).toMatch(/is not a SQLite database/)
  })
})

describe.skipIf(url === undefined)('migrate-to-postgres on PostgreSQL', () => {
  const target = (): string => `${url as string}?schema=${freshSchema()}`

  /** Rows in every relay table of the target, 0 for tables that do not exist. */
  function relayRows(to: string): number {
    const db = openRelayDatabase(to)
    try {
      const tables = db
        .prepare(
          `SELECT table_name FROM information_schema.tables
           WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`,
        )
        .pluck()
        .all() as string[]
      return tables.reduce(
        (sum, t) => sum + Number(db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()),
        0,
      )
    } finally {
      db.close()
    }
  }

  it('copies every table with its ids, moves the sequences on and prints the audits', async () => {
    const { path } = seededRelayFile(tempDir())
    const to = target()
    const r = await run(['migrate-to-postgres', '--from', path, '--to', to])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/ledger_postings +\d+ rows/)
    expect(r.out).toMatch(/tracker_credentials +1 rows/)
    expect(r.out).toMatch(/announce_tags +1 rows/)
    expect(r.out).toMatch(/^source: audit OK, sum TSEED 0, sum sat 0; /m)
    const source = /^source: (.*)$/m.exec(r.out)?.[1]
    expect(/^target: (.*)$/m.exec(r.out)?.[1]).toBe(source)
    expect(r.out).toMatch(/rows in \d+\.\d s \([\d,]+ rows\/s\)/)

    const sqlite = openDatabase(path)
    const pg = openRelayDatabase(to)
    try {
      for (const sql of [
        'SELECT id, kind, ref, at, memo FROM ledger_postings ORDER BY id',
        'SELECT rowid, posting_id, account, currency, amount FROM ledger_lines ORDER BY rowid',
        'SELECT * FROM ledger_escrow_lots ORDER BY id',
        'SELECT * FROM ledger_claims ORDER BY id',
        'SELECT * FROM ledger_settlements ORDER BY id',
        'SELECT * FROM ledger_withdrawals',
        'SELECT * FROM tracker_credentials',
        'SELECT id, event FROM announces',
        'SELECT announce_id, name, value FROM announce_tags',
      ]) {
        expect(rowsOf(pg, sql), sql).toEqual(rowsOf(sqlite, sql))
      }
      // The indexes dropped for the copy are all back, as the migrations made them.
      const indexes = (db: SqlDatabase): string[] =>
        (
          db
            .prepare(
              'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()',
            )
            .all() as { indexname: string; indexdef: string }[]
        )
          .map((r) => r.indexdef.replace(/ ON \w+\./, ' ON '))
          .sort()
      const fresh = openRelayDatabase(target())
      migrateRelaySchema(fresh)
      expect(indexes(pg)).toEqual(indexes(fresh))
      expect(indexes(pg)).toContainEqual(expect.stringContaining('announces_by_info_hash'))
      fresh.close()
      const hash = pg.prepare('SELECT secret_hash FROM tracker_credentials').pluck().get()
      expect(Buffer.isBuffer(hash) && hash.length === 32).toBe(true)
      // The next posting gets the id after the copied ones.
      const maxId = sqlite.prepare('SELECT max(id) FROM ledger_postings').pluck().get() as number
      new Ledger(pg).deposit(UPLOADER, 1n, '0'.repeat(64))
      expect(new Ledger(pg).history(UPLOADER, 1)[0]?.id).toBe(maxId + 1)
      expect(new Ledger(pg).audit().ok).toBe(true)
    } finally {
      sqlite.close()
      pg.close()
    }
  })

  it('refuses a target that already holds relay data, and changes nothing there', async () => {
    const { path } = seededRelayFile(tempDir())
    const to = target()
    expect((await run(['migrate-to-postgres', '--from', path, '--to', to])).code).toBe(0)
    const before = relayRows(to)
    const again = await run(['migrate-to-postgres', '--from', path, '--to', to])
    expect(again.code).toBe(1)
    expect(again.err).toMatch(
      /^migrate-to-postgres: postgres:\/\/.* already holds relay data \(.*ledger_postings.*\); migrate into an empty database or a new \?schema=; nothing was copied\n$/,
    )
    expect(relayRows(to)).toBe(before)
  })

  it('leaves the target empty when the copy fails halfway, and a retry then succeeds', () => {
    const { path } = seededRelayFile(tempDir())
    const to = target()
    expect(() =>
      migrateToPostgres(
        {
          from: path,
          to,
          afterBatch: (table) => {
            if (table === 'ledger_lines') throw new Error('disk full')
          },
        },
        { err: () => undefined },
      ),
    ).toThrow('disk full')
    expect(relayRows(to)).toBe(0)
    const report = migrateToPostgres({ from: path, to }, { err: () => undefined })
    expect(report.target.auditOk).toBe(true)
    expect(relayRows(to)).toBe(report.rows)
  })

  it('rolls back a copy whose ledger does not audit like the source', () => {
    const { path } = seededRelayFile(tempDir())
    const to = target()
    expect(() =>
      migrateToPostgres(
        {
          from: path,
          to,
          // A balance changed behind the journal's back, after it was copied.
          afterBatch: (table, _copied, pg) => {
            if (table !== 'ledger_balances') return
            pg.prepare(
              "UPDATE ledger_balances SET amount = amount + 1 WHERE account = ? AND currency = 'sat'",
            ).run(`did:nostr:${PK}`)
          },
        },
        { err: () => undefined },
      ),
    ).toThrow(
      new RegExp(
        `^the copy does not audit like the source \\(audit OK vs FAILED; balance did:nostr:${PK} sat 7890 vs 7891\\); rolled back, nothing was committed$`,
      ),
    )
    expect(relayRows(to)).toBe(0)
  })

  it('refuses a source whose ledger does not audit, before copying anything', async () => {
    const { path } = seededRelayFile(tempDir())
    const raw = openDatabase(path)
    raw
      .prepare(
        "UPDATE ledger_balances SET amount = amount + 5 WHERE account = ? AND currency = 'sat'",
      )
      .run(`did:nostr:${PK}`)
    raw.close()
    const to = target()
    const r = await run(['migrate-to-postgres', '--from', path, '--to', to])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/does not pass its audit .*nothing was copied/)
    expect(relayRows(to)).toBe(0)
  })

  it('refuses a target whose schema is newer than this build', async () => {
    const { path } = seededRelayFile(tempDir())
    const to = target()
    const db = openRelayDatabase(to)
    db.exec(`CREATE TABLE schema_migrations (
      component TEXT NOT NULL, version BIGINT NOT NULL, applied_at BIGINT NOT NULL,
      PRIMARY KEY (component, version));
      INSERT INTO schema_migrations VALUES ('ledger', 99, 0)`)
    db.close()
    const r = await run(['migrate-to-postgres', '--from', path, '--to', to])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(
      /^migrate-to-postgres: postgres:\/\/.*: database has ledger schema version 99, newer than this build knows \(\d+\); nothing was copied\n$/,
    )
    expect(relayRows(to)).toBe(0)
  })

  it('shows progress on stderr for large tables', () => {
    const { path } = seededRelayFile(tempDir())
    const lines: string[] = []
    migrateToPostgres({ from: path, to: target(), progressEvery: 5 }, { err: (t) => lines.push(t) })
    // A line each time a table passes a multiple of 5 rows, after the batch that passed it.
    expect(lines.filter((l) => l.startsWith('ledger_lines: '))).toEqual([
      expect.stringMatching(/^ledger_lines: \d+ rows copied\n$/) as unknown,
    ])
    expect(lines.some((l) => l.startsWith('ledger_settlements'))).toBe(false)
  })
})
