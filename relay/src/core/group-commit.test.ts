import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type SqliteDatabase } from '../store/database'
import { GroupCommit, GroupCommitError, type TransactionRunner } from './group-commit'

const silent = { warn: () => undefined, error: () => undefined }
const dirs: string[] = []
const dbs: SqliteDatabase[] = []

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A file database with table t(x); a second connection reads what is durable. */
function setup(): { db: SqliteDatabase; reader: SqliteDatabase; runner: TransactionRunner } {
  const dir = mkdtempSync(join(tmpdir(), 'tseed-group-'))
  dirs.push(dir)
  const db = openDatabase(join(dir, 'g.sqlite'))
  db.exec('CREATE TABLE t (x INTEGER NOT NULL) STRICT')
  const reader = openDatabase(join(dir, 'g.sqlite'))
  dbs.push(db, reader)
  const runner: TransactionRunner = {
    transaction: (fn) => db.transaction(fn).immediate(),
    get inTransaction() {
      return db.inTransaction
    },
  }
  return { db, reader, runner }
}

const committed = (reader: SqliteDatabase): number[] =>
  reader.prepare('SELECT x FROM t ORDER BY x').pluck().all() as number[]

describe('GroupCommit', () => {
  it('commits the work of one event-loop turn in one transaction, in order', async () => {
    const { db, reader, runner } = setup()
    const group = new GroupCommit(runner, silent)
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)')
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((x) =>
        group.submit(() => {
          insert.run(x)
          return { value: x * 10 }
        }),
      ),
    )
    expect(results).toEqual([10, 20, 30, 40, 50])
    expect(group.stats).toMatchObject({ groups: 1, units: 5 })
    expect(group.stats.transactionMs).toBeGreaterThan(0)
    expect(committed(reader)).toEqual([1, 2, 3, 4, 5])
    // A later turn is a new group.
    await group.submit(() => ({ value: insert.run(6) }))
    expect(group.stats).toMatchObject({ groups: 2, units: 6 })
  })

  it('settles a unit only once its group is durable', async () => {
    const { db, reader, runner } = setup()
    const group = new GroupCommit(runner, silent)
    const seenAtResolve: number[][] = []
    await Promise.all(
      [1, 2].map((x) =>
        group
          .submit(() => ({ value: db.prepare('INSERT INTO t (x) VALUES (?)').run(x) }))
          .then(() => seenAtResolve.push(committed(reader))),
      ),
    )
    // Another connection already sees both rows when the first promise settles.
    expect(seenAtResolve).toEqual([
      [1, 2],
      [1, 2],
    ])
  })

  it('undoes only the savepoint of a unit that throws or asks to roll back', async () => {
    const { db, reader, runner } = setup()
    const group = new GroupCommit(runner, silent)
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)')
    const [a, b, c, d] = await Promise.allSettled([
      group.submit(() => {
        insert.run(1)
        return { value: 'kept' }
      }),
      group.submit(() => {
        insert.run(2)
        throw new Error('unit failed')
      }),
      group.submit(() => {
        insert.run(3)
        return { value: 'refused', rollback: true }
      }),
      group.submit(() => {
        insert.run(4)
        return { value: 'kept' }
      }),
    ])
    expect(a).toEqual({ status: 'fulfilled', value: 'kept' })
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'unit failed' } })
    expect(c).toEqual({ status: 'fulfilled', value: 'refused' })
    expect(d).toEqual({ status: 'fulfilled', value: 'kept' })
    expect(committed(reader)).toEqual([1, 4])
  })

  it('rejects every unit of a group whose commit fails, and keeps none of it', async () => {
    const { db, reader, runner } = setup()
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
      CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED) STRICT`)
    const group = new GroupCommit(runner, silent)
    const outcomes = await Promise.allSettled([
      group.submit(() => ({ value: db.prepare('INSERT INTO t (x) VALUES (1)').run() })),
      // A deferred foreign key is only checked at COMMIT, which then fails.
      group.submit(() => ({ value: db.prepare('INSERT INTO child (p) VALUES (42)').run() })),
    ])
    for (const o of outcomes) {
      expect(o.status).toBe('rejected')
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(GroupCommitError)
    }
    expect(db.inTransaction).toBe(false)
    expect(committed(reader)).toEqual([])
    // The next turn works again.
    await group.submit(() => ({ value: db.prepare('INSERT INTO t (x) VALUES (2)').run() }))
    expect(committed(reader)).toEqual([2])
  })

  it('stops a group that SQLite rolled back by itself instead of autocommitting the rest', async () => {
    const { db, reader, runner } = setup()
    const group = new GroupCommit(runner, silent)
    const outcomes = await Promise.allSettled([
      group.submit(() => ({ value: db.prepare('INSERT INTO t (x) VALUES (1)').run() })),
      group.submit(() => {
        // What SQLite does after some I/O errors: the transaction is gone.
        db.exec('ROLLBACK')
        return { value: 0 }
      }),
      group.submit(() => ({ value: db.prepare('INSERT INTO t (x) VALUES (3)').run() })),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(committed(reader)).toEqual([])
  })

  it('runs units that share a key in submission order, a round at a time, each round prefetched first', async () => {
    const { db, runner } = setup()
    const log: string[] = []
    const scopes: string[][] = []
    const scoped: TransactionRunner = {
      ...runner,
      get inTransaction() {
        return db.inTransaction
      },
      scoped: <T>(keys: readonly string[], fn: () => T): T => {
        scopes.push([...keys])
        return fn()
      },
    }
    const group = new GroupCommit(scoped, silent)
    const unit = (name: string, keys: string[]) =>
      group.submit(
        () => {
          log.push(`run ${name}`)
          return { value: name }
        },
        { keys, prefetch: () => log.push(`prefetch ${name}`) },
      )
    const results = await Promise.all([
      unit('A', ['a']),
      unit('B', ['a', 'b']),
      unit('C', ['c']),
      unit('D', ['b']),
      unit('E', ['e']),
    ])
    // Each promise still gets its own unit's value.
    expect(results).toEqual(['A', 'B', 'C', 'D', 'E'])
    // B shares a with A and waits; D shares b with B, so it waits behind it.
    expect(log).toEqual([
      'prefetch A',
      'prefetch C',
      'prefetch E',
      'run A',
      'run C',
      'run E',
      'prefetch B',
      'run B',
      'prefetch D',
      'run D',
    ])
    // Prefetch and unit alike run inside their unit's scope.
    expect(scopes).toHaveLength(10)
    expect(scopes[0]).toEqual(['a'])
    expect(scopes[3]).toEqual(['a'])
  })

  it('runs a group in submission order when one of its units has no keys', async () => {
    const { db, runner } = setup()
    const log: string[] = []
    const scoped: TransactionRunner = {
      ...runner,
      get inTransaction() {
        return db.inTransaction
      },
      scoped: (_keys, fn) => fn(),
    }
    const group = new GroupCommit(scoped, silent)
    const unit = (name: string, keys?: string[]) =>
      group.submit(
        () => {
          log.push(name)
          return { value: name }
        },
        keys === undefined ? {} : { keys, prefetch: () => log.push(`prefetch ${name}`) },
      )
    await Promise.all([unit('A', ['a']), unit('B', ['a']), unit('C'), unit('D', ['d'])])
    expect(log).toEqual(['prefetch A', 'prefetch B', 'prefetch D', 'A', 'B', 'C', 'D'])
  })

  it('runs keyed units in submission order on a database that does not scope them', async () => {
    const { runner } = setup()
    const group = new GroupCommit(runner, silent)
    const log: string[] = []
    const unit = (name: string, keys: string[]) =>
      group.submit(
        () => {
          log.push(name)
          return { value: name }
        },
        { keys, prefetch: () => log.push(`prefetch ${name}`) },
      )
    await Promise.all([unit('A', ['a']), unit('B', ['a']), unit('C', ['c'])])
    expect(log).toEqual(['A', 'B', 'C'])
  })
})
