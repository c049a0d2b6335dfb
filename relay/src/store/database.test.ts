import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { migrate, openDatabase, WAL_AUTOCHECKPOINT_PAGES, type Migration } from './database'

const V1: Migration = { version: 1, up: 'CREATE TABLE a (x INTEGER) STRICT' }
const V2: Migration = {
  version: 2,
  up: (db) => db.exec('ALTER TABLE a ADD COLUMN y TEXT'),
}

describe('migrate', () => {
  it('applies pending migrations once, in order, per component', () => {
    const db = openDatabase(':memory:')
    expect(migrate(db, 'one', [V1])).toEqual([1])
    expect(migrate(db, 'one', [V2, V1])).toEqual([2])
    expect(migrate(db, 'one', [V1, V2])).toEqual([])
    // Another component's versions are counted separately.
    expect(migrate(db, 'two', [{ version: 1, up: 'CREATE TABLE b (x INTEGER) STRICT' }])).toEqual([
      1,
    ])
    db.prepare('INSERT INTO a (x, y) VALUES (1, ?)').run('ok')
    db.close()
  })

  it('rolls back a failing migration and leaves it pending', () => {
    const db = openDatabase(':memory:')
    const broken: Migration = {
      version: 1,
      up: 'CREATE TABLE c (x INTEGER); SELECT * FROM missing',
    }
    expect(() => migrate(db, 'c', [broken])).toThrow(/missing/)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined()
    expect(migrate(db, 'c', [{ version: 1, up: 'CREATE TABLE c (x INTEGER)' }])).toEqual([1])
    db.close()
  })

  it('refuses gaps and a database newer than the code', () => {
    const db = openDatabase(':memory:')
    expect(() => migrate(db, 'g', [V2])).toThrow(/numbered 1..n/)
    migrate(db, 'n', [V1, V2])
    expect(() => migrate(db, 'n', [V1])).toThrow(/newer than this build knows/)
    db.close()
  })
})

describe('openDatabase', () => {
  it('uses WAL with synchronous=NORMAL by default, FULL on request', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tseed-db-'))
    try {
      const normal = openDatabase(join(dir, 'n.sqlite'))
      expect(normal.pragma('journal_mode', { simple: true })).toBe('wal')
      // 1 = NORMAL, 2 = FULL
      expect(normal.pragma('synchronous', { simple: true })).toBe(1)
      expect(normal.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_AUTOCHECKPOINT_PAGES)
      normal.close()
      const full = openDatabase(join(dir, 'f.sqlite'), { synchronous: 'full' })
      expect(full.pragma('synchronous', { simple: true })).toBe(2)
      full.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses an unknown synchronous mode', () => {
    expect(() => openDatabase(':memory:', { synchronous: 'off' as 'full' })).toThrow(RangeError)
  })
})
