import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import type { BackendReport } from '../../bench/backend'
import { postgresUrl } from '../support/postgres'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const url = postgresUrl()

/**
 * The plumbing of `npm run bench -- --only backend` at a size CI can afford:
 * 400 announces through SQLite, PostgreSQL, and PostgreSQL in two relay
 * processes. The figures mean nothing at this size; what is checked is that
 * every run is driven, measured and audited.
 */
describe.skipIf(url === undefined)('bench --only backend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-bench-backend-test-'))
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs SQLite, PostgreSQL and two PostgreSQL processes on one load and audits each', async () => {
    const json = join(dir, 'report.json')
    await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run.ts',
        '--only',
        'backend',
        '--events',
        '400',
        '--processes',
        '2',
        '--connections',
        '4',
        '--postgres-url',
        url!,
        '--json',
        json,
      ],
      { cwd: ROOT, timeout: 110_000 },
    )
    const report = JSON.parse(readFileSync(json, 'utf8')) as BackendReport
    expect(report.runs.map((r) => [r.backend, r.processes, r.relays.length])).toEqual([
      ['sqlite', 1, 1],
      ['postgres', 1, 1],
      ['postgres', 2, 2],
    ])
    for (const run of report.runs) {
      // 320 at saturation; the one key in ten without funds is refused.
      expect(run.saturate.sent).toBe(320)
      expect(run.saturate.accepted).toBe(288)
      expect(run.auditOk).toBe(true)
      expect(run.audit).toMatch(/^audit ok, 360 announces stored for 360 accepted/)
      expect(run.relays.reduce((s, p) => s + p.accepted, 0)).toBe(288)
      expect(run.relays.every((p) => p.cpuSeconds > 0 && p.units > 0)).toBe(true)
      expect(run.perAnnounce.lockHeldUs).toBeGreaterThan(0)
      if (run.backend === 'postgres') {
        // The test cluster runs on this machine, so its CPU is read too.
        expect(run.postgresCpu?.total).toBeGreaterThan(0)
        // Each process counted its round trips: at least one per group.
        expect(run.relays.every((p) => (p.writeLock?.roundTrips ?? 0) >= p.groups)).toBe(true)
      }
    }
    expect(Object.keys(report.ratios)).toEqual([
      'postgres 1 process / sqlite',
      'postgres 2 processes / postgres 1 process',
      'postgres 2 processes / sqlite',
    ])
    expect(report.postgresSettings?.fsync).toBeDefined()
  }, 120_000)
})
