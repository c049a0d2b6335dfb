import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { verifiedAnnounces } from '../../tests/fixtures'
import { describe, expect, it } from 'vitest'
import { runCliCaptured, tempDirs } from '../../tests/operator-cli'
import { validateWebLedger } from '../../../src/balance/webledger'
import { freshSchema, postgresUrl } from '../../../tests/support/postgres'
import { Ledger } from '../ledger/ledger'
import { openRelayDatabase } from '../store/open-relay-database'

/**
 * The operator commands with `--db` naming a SQLite file and a postgres://
 * URL: the same command lines, the same answers.
 */
const url = postgresUrl()
const PK = 'ab'.repeat(32)
const UPLOADER = 'cd'.repeat(32)
const IH = '34'.repeat(20)
const tempDir = tempDirs('tseed-operator-db-')

const run = runCliCaptured

/** Runs `fn` on the ledger at `db` as the relay would open it. */
function onLedger<R>(db: string, fn: (ledger: Ledger) => R): R {
  const handle = openRelayDatabase(db)
  try {
    return fn(new Ledger(handle))
  } finally {
    handle.close()
  }
}

const backends = [
  { name: 'SQLite', newDb: () => join(tempDir(), 'relay.sqlite') },
  ...(url === undefined
    ? []
    : [{ name: 'PostgreSQL', newDb: () => `${url}?schema=${freshSchema()}` }]),
]

describe.each(backends)('operator commands on $name', ({ newDb }) => {
  it('bootstrap-pool, import, settle, export and audit work on the same --db', async () => {
    const db = newDb()
    const dir = tempDir()

    const pool = await run(['bootstrap-pool', '--tseed', '1000000', '--sat', '500000', '--db', db])
    expect(pool).toMatchObject({ code: 0, err: '' })
    expect(pool.out).toContain('1,000,000 TSEED / 500,000 sats')
    const twice = await run(['bootstrap-pool', '--tseed', '2000', '--sat', '2000', '--db', db])
    expect(twice.code).toBe(1)
    expect(twice.err).toMatch(/already has reserves/)

    const file = join(dir, 'balances.json')
    writeFileSync(
      file,
      JSON.stringify({
        '@context': 'https://w3id.org/webledgers',
        type: 'WebLedger',
        entries: [
          {
            type: 'Entry',
            url: `did:nostr:${PK}`,
            amount: [
              { currency: 'TSEED', value: '9000000' },
              { currency: 'satoshi', value: '700' },
            ],
          },
        ],
      }),
    )
    const refused = await run(['import', file, '--db', db])
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/already holds 0 account balances and a pool/)
    const imported = await run(['import', file, '--db', db, '--force'])
    expect(imported.code).toBe(0)
    expect(imported.out).toMatch(/imported 1 accounts \(9,000,000 TSEED, 700 sats\)/)
    expect(imported.out).toContain('audit: OK')
    expect((await run(['import', file, '--db', db, '--force'])).out).toMatch(/already imported/)

    // A download charged into escrow and an upload claimed against it.
    const now = Math.floor(Date.now() / 1000)
    const announce = verifiedAnnounces(IH, () => now)
    onLedger(db, (ledger) => {
      ledger.applyAnnounce(announce(PK, { left: 4_000_000n, event: 'started' }), now)
      ledger.applyAnnounce(announce(UPLOADER, { event: 'started' }), now)
      ledger.applyAnnounce(announce(PK, { downloaded: 4_000_000n }), now)
      ledger.applyAnnounce(announce(UPLOADER, { uploaded: 4_000_000n }), now)
    })
    const settled = await run(['settle', '--db', db])
    expect(settled).toMatchObject({ code: 0, err: '' })
    expect(settled.out).toBe(
      `payout urn:swarm:${IH} -> did:nostr:${UPLOADER}: 4 TSEED\n` +
        'settled: 1 payouts, 0 refunds, 0 claims lapsed\n',
    )
    expect((await run(['settle', '--db', db])).out).toBe(
      'settled: 0 payouts, 0 refunds, 0 claims lapsed\n',
    )

    const exported = await run(['export', '--db', db])
    expect(exported.code).toBe(0)
    const doc = validateWebLedger(JSON.parse(exported.out))
    expect(doc.entries.find((e) => e.url === `did:nostr:${PK}`)?.amount).toEqual([
      { currency: 'TSEED', value: '8999996' },
      { currency: 'satoshi', value: '700' },
    ])
    expect(doc.entries.find((e) => e.url === `did:nostr:${UPLOADER}`)?.amount).toEqual([
      { currency: 'TSEED', value: '4' },
    ])
    expect(doc.entries.find((e) => e.type === 'Pool')).toBeDefined()

    const audit = await run(['audit', '--db', db])
    expect(audit.code).toBe(0)
    expect(audit.out).toContain('sum TSEED: 0\nsum sat: 0\ncache mismatches: none')
    expect(audit.out).toContain('audit: OK')

    // Someone edits the balance cache behind the journal's back.
    const raw = openRelayDatabase(db)
    raw
      .prepare(
        "UPDATE ledger_balances SET amount = amount + 5 WHERE account = ? AND currency = 'sat'",
      )
      .run(`did:nostr:${PK}`)
    raw.close()
    const off = await run(['audit', '--db', db])
    expect(off.code).toBe(1)
    expect(off.out).toContain(`cache mismatches: 1\n  did:nostr:${PK} sat: cached 705, journal 700`)
    expect(off.out).toContain('audit: FAILED')
  })
})

describe.skipIf(url === undefined)('operator commands and an unreachable PostgreSQL server', () => {
  it('say so in one line', async () => {
    for (const command of ['audit', 'export', 'settle']) {
      const r = await run([command, '--db', 'postgres://tseed@127.0.0.1:1/relay'])
      expect(r.code).toBe(1)
      expect(r.err).toMatch(
        new RegExp(
          `^${command}: postgres://tseed@127.0.0.1:1/relay: cannot connect to PostgreSQL: .*\\n$`,
        ),
      )
      expect(r.err.trim().split('\n')).toHaveLength(1)
    }
    // The relay itself, too: one line naming why, and nothing started.
    const start = await run(['start', '--port', '0', '--db', 'postgres://tseed@127.0.0.1:1/relay'])
    expect(start.code).toBe(1)
    expect(start.err).toMatch(/^start: cannot connect to PostgreSQL: .*refused.*\n$/)
    const replica = await run(['--db', ':memory:', '--db-read', 'postgres://r/relay'])
    expect(replica.code).toBe(2)
    expect(replica.err).toMatch(/^--db-read needs a PostgreSQL --db/)
  })
})
