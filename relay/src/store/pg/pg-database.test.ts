import { afterEach, describe, expect, it } from 'vitest'
import { openTestPostgres, postgresUrl } from '../../../../tests/support/postgres'
import { migrate } from '../database'
import { PgDatabase, PgError, PgLock } from './pg-database'

const url = postgresUrl()

describe.skipIf(url === undefined)('PgDatabase', () => {
  const open: PgDatabase[] = []
  const db = (schema?: string) => {
    const d = openTestPostgres(url as string, schema)
    open.push(d)
    return d
  }
  afterEach(() => {
    for (const d of open.splice(0)) d.close()
  })

  it('runs statements with ? placeholders and reads rows as better-sqlite3 does', () => {
    const d = db()
    d.exec('CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, big BIGINT, raw BYTEA)')
    const ins = d.prepare('INSERT INTO t (id, name, big, raw) VALUES (?, ?, ?, ?)')
    expect(ins.run(1, 'a', 2n ** 62n, Buffer.from([1, 2, 255])).changes).toBe(1)
    ins.run(2, null, -5, null)
    expect(d.prepare('SELECT id, name FROM t ORDER BY id').all()).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: null },
    ])
    const big = d.prepare('SELECT big FROM t WHERE id = ?').pluck().safeIntegers()
    expect(big.get(1)).toBe(2n ** 62n)
    expect(d.prepare('SELECT raw FROM t WHERE id = ?').pluck().get(1)).toEqual(
      Buffer.from([1, 2, 255]),
    )
    expect(d.prepare('SELECT id FROM t WHERE id = ?').get(9)).toBeUndefined()
    expect(
      d
        .prepare('SELECT count(*) FROM t WHERE name IN (SELECT value FROM json_each(?))')
        .pluck()
        .get('["a","b"]'),
    ).toBe(1)
    expect(d.prepare('UPDATE t SET big = big + 1').run().changes).toBe(2)
    expect([...d.prepare('SELECT id FROM t ORDER BY id').pluck().iterate()]).toEqual([1, 2])
  })

  it('commits a transaction, rolls back on a throw, and undoes only a failed savepoint', () => {
    const d = db()
    d.exec('CREATE TABLE t (v BIGINT)')
    const ins = d.prepare('INSERT INTO t (v) VALUES (?)')
    const count = () => d.prepare('SELECT count(*) FROM t').pluck().get()
    d.transaction(() => ins.run(1)).immediate()
    expect(() =>
      d.transaction(() => {
        ins.run(2)
        throw new Error('no')
      })(),
    ).toThrow('no')
    expect(count()).toBe(1)
    d.transaction(() => {
      ins.run(3)
      expect(d.inTransaction).toBe(true)
      expect(() => {
        d.transaction(() => {
          ins.run(4)
          d.prepare('SELECT 1/0').get()
        })()
      }).toThrow(PgError)
      ins.run(5)
    })()
    expect(d.inTransaction).toBe(false)
    expect(d.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 3, 5])
  })

  it('reports a SQL error with its SQLSTATE and keeps the connection usable', () => {
    const d = db()
    d.exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
    d.prepare('INSERT INTO t VALUES (?)').run('x')
    let caught: unknown
    try {
      d.prepare('INSERT INTO t VALUES (?)').run('x')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(PgError)
    expect((caught as PgError).code).toBe('23505')
    expect(d.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1)
    expect(() => d.prepare('SELECT ?').get()).toThrow(/takes 1 parameters, got 0/)
  })

  it('says plainly when the server cannot be reached', () => {
    expect(() => PgDatabase.open('postgres://postgres@127.0.0.1:1/postgres')).toThrow(
      /cannot connect to PostgreSQL/,
    )
  })

  it('applies numbered migrations once, with the pg step when one is given', () => {
    const d = db()
    const steps = [
      { version: 1, up: 'CREATE TABLE m (id INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT;' },
      { version: 2, up: 'SELECT sqlite_only()', pg: 'ALTER TABLE m ADD COLUMN note TEXT' },
    ]
    expect(migrate(d, 'demo', steps)).toEqual([1, 2])
    expect(migrate(d, 'demo', steps)).toEqual([])
    d.prepare('INSERT INTO m (n, note) VALUES (?, ?)').run(2n ** 40n, 'ok')
    expect(d.prepare('SELECT id, n, note FROM m').get()).toEqual({ id: 1, n: 2 ** 40, note: 'ok' })
  })

  it('lets one connection at a time hold a try-lock', () => {
    const a = db()
    const b = db()
    const ran = a.withTryLock(PgLock.settlement, () => b.withTryLock(PgLock.settlement, () => 'b'))
    expect(ran).toBeUndefined()
    expect(b.withTryLock(PgLock.settlement, () => 'b')).toBe('b')
  })
})
