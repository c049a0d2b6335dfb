import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startTseedRelay } from '../tseed-relay'
import { startBackgroundCheckpoints } from './checkpointer'
import { openDatabase, WAL_AUTOCHECKPOINT_PAGES, type SqliteDatabase } from './database'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-checkpoint-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}

function recorder(): {
  errors: string[]
  logger: { warn(m: string): void; error(m: string): void }
} {
  const errors: string[] = []
  return {
    errors,
    logger: { warn: () => undefined, error: (m) => errors.push(m) },
  }
}

const autocheckpoint = (db: SqliteDatabase): number =>
  db.pragma('wal_autocheckpoint', { simple: true }) as number

/**
 * Writes transactions of random rows, yielding to the event loop between
 * them as the relay's group commit does, for `ms`; returns the largest size
 * the WAL file reached.
 */
async function writeFor(db: SqliteDatabase, path: string, ms: number): Promise<number> {
  db.exec('CREATE TABLE IF NOT EXISTS t (k BLOB PRIMARY KEY, v BLOB) STRICT')
  const insert = db.prepare('INSERT INTO t VALUES (?, ?)')
  const group = db.transaction(() => {
    for (let i = 0; i < 100; i++) insert.run(randomBytes(32), randomBytes(200))
  })
  let maxWal = 0
  const t0 = performance.now()
  while (performance.now() - t0 < ms) {
    group()
    maxWal = Math.max(maxWal, statSync(`${path}-wal`).size)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return maxWal
}

describe('startBackgroundCheckpoints', () => {
  it('checkpoints on its own thread while the main connection does not', async () => {
    const path = tempFile()
    const db = openDatabase(path)
    const r = recorder()
    const cp = await startBackgroundCheckpoints(db, { intervalMs: 20, logger: r.logger })
    expect(cp.stats.running).toBe(true)
    expect(autocheckpoint(db)).toBe(0)
    await writeFor(db, path, 300)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(cp.stats.checkpoints).toBeGreaterThan(0)
    expect(cp.stats.frames).toBeGreaterThan(0)
    await cp.close()
    await cp.close()
    expect(autocheckpoint(db)).toBe(WAL_AUTOCHECKPOINT_PAGES)
    expect(cp.stats.running).toBe(false)
    db.close()
    expect(r.errors).toEqual([])
  })

  it('keeps the WAL bounded under writes that never pause', async () => {
    const path = tempFile()
    const db = openDatabase(path)
    const cp = await startBackgroundCheckpoints(db, { intervalMs: 20, restartFrames: 500 })
    // Three seconds of writes put far more than 64 MiB through the WAL (see
    // the total below), so a WAL that never restarted would pass that size.
    const maxWal = await writeFor(db, path, 3000)
    const pageSize = db.pragma('page_size', { simple: true }) as number
    expect(cp.stats.frames * pageSize).toBeGreaterThan(128 * 2 ** 20)
    expect(maxWal).toBeLessThan(64 * 2 ** 20)
    expect(cp.stats.finishes).toBeGreaterThan(0)
    await cp.close()
    db.close()
  })

  it('does nothing for a database in memory', async () => {
    const db = openDatabase(':memory:')
    const cp = await startBackgroundCheckpoints(db)
    expect(cp.stats.running).toBe(false)
    await cp.close()
    db.close()
  })

  it('leaves checkpoints on the main connection, and says so, when its worker cannot start', async () => {
    const path = tempFile()
    const db = openDatabase(path)
    // The worker opens the file by name and must find it.
    unlinkSync(path)
    const r = recorder()
    const cp = await startBackgroundCheckpoints(db, { logger: r.logger })
    expect(cp.stats.running).toBe(false)
    expect(autocheckpoint(db)).toBe(WAL_AUTOCHECKPOINT_PAGES)
    expect(r.errors.join('\n')).toMatch(
      /checkpoint worker stopped; checkpointing on the main thread again/,
    )
    await cp.close()
    db.close()
  })

  it('runs under the TSEED relay', async () => {
    const relay = await startTseedRelay({
      db: tempFile(),
      port: 0,
      verifierThreads: 0,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    })
    try {
      expect(autocheckpoint(relay.ledger.db as SqliteDatabase)).toBe(0)
    } finally {
      await relay.close()
    }
  })
})
