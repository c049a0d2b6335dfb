import { describe, expect, it } from 'vitest'
import { migrate, openDatabase, type Migration } from './database'

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
