import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { verifiedAnnounces } from '../../tests/fixtures'
import { describe, expect, it } from 'vitest'
import { runCliCaptured, tempDirs } from '../../tests/operator-cli'
import { validateWebLedger } from '../../../src/balance/webledger'
import { Ledger } from '../ledger/ledger'
import { openDatabase } from '../store/database'
import { START_DEFAULTS, startCommand, tseedRelayOptions } from './start'

const PK = 'ab'.repeat(32)
const tempDir = tempDirs('tseed-operator-')

const run = runCliCaptured

/** A ledger file with a pool and one user holding TSEED and sats. */
function seededDb(dir: string): string {
  const path = join(dir, 'relay.sqlite')
  const db = openDatabase(path)
  const ledger = new Ledger(db)
  ledger.bootstrapPool({ tseed: 1_000_000n, sat: 500_000n })
  ledger.deposit(PK, 10_000n, 'f'.repeat(64))
  ledger.swap(PK, 'sat_to_tseed', 2_000n, 0n, 'seed')
  db.close()
  return path
}

function balancesIn(path: string): { user: Record<string, bigint>; pool: unknown } {
  const db = openDatabase(path)
  const ledger = new Ledger(db)
  const r = { user: ledger.balances(PK), pool: ledger.pool() }
  db.close()
  return r
}

describe('operator commands', () => {
  it('lists the commands and has help for each', async () => {
    const main = await run(['--help'])
    expect(main.code).toBe(0)
    for (const c of ['start', 'bootstrap-pool', 'export', 'import', 'audit', 'settle']) {
      expect(main.out).toContain(`  ${c} `)
      const help = await run([c, '--help'])
      expect(help.code).toBe(0)
      expect(help.out).toContain(`Usage: npm run relay -- ${c}`)
    }
    expect(main.out).toMatch(/--bootstrap-pool <TSEED:SAT>/)
    expect(main.out).toMatch(/--lightning dev\|nwc/)
    expect(main.out).toMatch(/--rarity on\|off/)
    const unknown = await run(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/unknown command "frobnicate"/)
    const bad = await run(['--port', 'x'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--port must be an integer/)
  })

  it('start passes --synchronous on to the database, normal unless told', async () => {
    expect(startCommand.help()).toMatch(/--synchronous normal\|full +durability/)
    expect(tseedRelayOptions(START_DEFAULTS).synchronous).toBe('normal')
    expect(tseedRelayOptions({ ...START_DEFAULTS, synchronous: 'full' }).synchronous).toBe('full')
    const bad = await run(['start', '--synchronous', 'off'])
    expect(bad.code).toBe(2)
    expect(bad.err).toMatch(/--synchronous must be one of normal, full/)
  })

  it('bootstrap-pool funds an empty pool once', async () => {
    const db = join(tempDir(), 'new.sqlite')
    const ok = await run(['bootstrap-pool', '--tseed', '10000000', '--sat', '5000000', '--db', db])
    expect(ok).toMatchObject({ code: 0 })
    expect(ok.out).toContain('10,000,000 TSEED / 5,000,000 sats')
    expect(balancesIn(db).pool).toEqual({ tseed: 10_000_000n, sat: 5_000_000n })

    const again = await run(['bootstrap-pool', '--tseed', '10', '--sat', '10', '--db', db])
    expect(again.code).toBe(1)
    const twice = await run(['bootstrap-pool', '--tseed', '2000', '--sat', '2000', '--db', db])
    expect(twice).toMatchObject({ code: 1 })
    expect(twice.err).toMatch(/already has reserves/)
    expect((await run(['bootstrap-pool', '--tseed', '2000', '--db', db])).code).toBe(2)
    expect((await run(['bootstrap-pool', '--tseed', '-1', '--sat', '2000', '--db', db])).code).toBe(
      2,
    )
  })

  it('audit prints zero sums and exits 0, and exits 1 listing what is off', async () => {
    const db = seededDb(tempDir())
    const ok = await run(['audit', '--db', db])
    expect(ok.code).toBe(0)
    expect(ok.out).toContain(
      'sum TSEED: 0\nsum sat: 0\ncache mismatches: none\nescrow mismatches: none',
    )
    expect(ok.out).toContain('audit: OK')

    // Someone edits the balance cache behind the journal's back.
    const raw = openDatabase(db)
    raw
      .prepare(
        "UPDATE ledger_balances SET amount = amount + 5 WHERE account = ? AND currency = 'sat'",
      )
      .run(`did:nostr:${PK}`)
    raw.close()
    const off = await run(['audit', '--db', db])
    expect(off.code).toBe(1)
    expect(off.out).toMatch(
      new RegExp(`cache mismatches: 1\\n  did:nostr:${PK} sat: cached 8005, journal 8000`),
    )
    expect(off.out).toContain('audit: FAILED')

    const missing = await run(['audit', '--db', join(tempDir(), 'nope.sqlite')])
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/no database at/)
  })

  it('settle pays upload claims out of escrow now and prints each payout', async () => {
    const db = seededDb(tempDir())
    const uploader = 'cd'.repeat(32)
    const infoHash = '12'.repeat(20)
    const now = Math.floor(Date.now() / 1000)
    const announce = verifiedAnnounces(infoHash, () => now)
    const raw = openDatabase(db)
    const ledger = new Ledger(raw)
    ledger.applyAnnounce(announce(PK, { left: 3_500_000n, event: 'started' }), now)
    ledger.applyAnnounce(announce(uploader, { event: 'started' }), now)
    ledger.applyAnnounce(announce(PK, { downloaded: 3_500_000n }), now)
    ledger.applyAnnounce(announce(uploader, { uploaded: 3_500_000n }), now)
    raw.close()

    const first = await run(['settle', '--db', db])
    expect(first.code).toBe(0)
    expect(first.out).toBe(
      `payout urn:swarm:${infoHash} -> did:nostr:${uploader}: 3 TSEED\n` +
        'settled: 1 payouts, 0 refunds, 0 claims lapsed\n',
    )
    const again = await run(['settle', '--db', db])
    expect(again.out).toBe('settled: 0 payouts, 0 refunds, 0 claims lapsed\n')
    const check = openDatabase(db)
    expect(new Ledger(check).balances(uploader).TSEED).toBe(3n)
    check.close()
    expect((await run(['audit', '--db', db])).code).toBe(0)

    const missing = await run(['settle', '--db', join(tempDir(), 'nope.sqlite')])
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/no database at/)
  })

  it('export writes WebLedger JSON with string amounts, to stdout or a file', async () => {
    const dir = tempDir()
    const db = seededDb(dir)
    const r = await run(['export', '--db', db])
    expect(r.code).toBe(0)
    const doc = validateWebLedger(JSON.parse(r.out))
    const user = doc.entries.find((e) => e.url === `did:nostr:${PK}`)
    const { user: balances } = balancesIn(db)
    expect(user?.amount).toEqual([
      { currency: 'TSEED', value: balances.TSEED!.toString() },
      { currency: 'satoshi', value: '8000' },
    ])
    expect(doc.entries.find((e) => e.type === 'Pool')).toBeDefined()
    expect(r.out).not.toMatch(/"value": \d/)

    const out = join(dir, 'ledger.json')
    const toFile = await run(['export', '--db', db, '--out', out])
    expect(toFile.code).toBe(0)
    expect(toFile.out).toBe('')
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(r.out))
  })

  it('import credits a WebLedger into a new ledger, refuses a non-empty one unless forced, never twice', async () => {
    const dir = tempDir()
    const source = seededDb(dir)
    const file = join(dir, 'ledger.json')
    expect((await run(['export', '--db', source, '--out', file])).code).toBe(0)

    const target = join(dir, 'target.sqlite')
    const ok = await run(['import', file, '--db', target])
    expect(ok.code).toBe(0)
    expect(ok.out).toMatch(/imported 1 accounts .* and the pool into/)
    expect(ok.out).toContain('audit: OK')
    expect(balancesIn(target)).toEqual(balancesIn(source))

    const refused = await run(['import', file, '--db', target])
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/already holds 1 account balances and a pool.*--force/)
    const forcedSame = await run(['import', file, '--db', target, '--force'])
    expect(forcedSame.code).toBe(0)
    expect(forcedSame.out).toMatch(/already imported/)
    expect(balancesIn(target)).toEqual(balancesIn(source))

    // A different file with a pool cannot go over the existing pool, even forced.
    const other = join(dir, 'other.json')
    writeFileSync(
      other,
      readFileSync(file, 'utf8').replace('"name": "TSEED ledger"', '"name": "other"'),
    )
    const clash = await run(['import', other, '--db', target, '--force'])
    expect(clash.code).toBe(1)
    expect(clash.err).toMatch(/pool/)
    expect(balancesIn(target)).toEqual(balancesIn(source))
  })

  it('import explains bad files and refuses escrow', async () => {
    const dir = tempDir()
    const target = join(dir, 'target.sqlite')
    const notJson = join(dir, 'bad.json')
    writeFileSync(notJson, '{ nope')
    expect(await run(['import', notJson, '--db', target])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/is not JSON/) as unknown,
    })
    expect(await run(['import', join(dir, 'missing.json'), '--db', target])).toMatchObject({
      code: 1,
      err: expect.stringMatching(/cannot read .*ENOENT/) as unknown,
    })
    const escrow = join(dir, 'escrow.json')
    writeFileSync(
      escrow,
      JSON.stringify({
        '@context': 'https://w3id.org/webledgers',
        type: 'WebLedger',
        entries: [
          {
            type: 'Entry',
            url: `urn:swarm:${'a'.repeat(40)}`,
            amount: [{ currency: 'TSEED', value: '5' }],
          },
        ],
      }),
    )
    const r = await run(['import', escrow, '--db', target])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/escrow and pending withdrawals must be settled/)
    expect((await run(['import', '--db', target])).code).toBe(2)
    expect((await run(['import', 'a.json', 'b.json', '--db', target])).code).toBe(2)
  })
})
