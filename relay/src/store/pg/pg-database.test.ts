import { afterEach, describe, expect, it, vi } from 'vitest'
import { freshSchema, openTestPostgres, postgresUrl } from '../../../../tests/support/postgres'
import { migrate, readAhead, runLater } from '../database'
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

  it('binds the same values inside a transaction, where they are written into the text', () => {
    const d = db()
    d.exec('CREATE TABLE t (s TEXT, n BIGINT, b BYTEA)')
    const values: unknown[][] = [
      ['', 0, Buffer.alloc(0)],
      ["it's", -(2n ** 62n), Buffer.from([0, 39, 92])],
      ['back\\slash ? $1', 2n ** 62n, null],
    ]
    d.transaction(() => {
      for (const v of values) d.prepare('INSERT INTO t (s, n, b) VALUES (?, ?, ?)').run(...v)
    })()
    const rows = d.prepare('SELECT s, n, b FROM t ORDER BY n').safeIntegers().all()
    expect(rows).toEqual([
      { s: "it's", n: -(2n ** 62n), b: Buffer.from([0, 39, 92]) },
      { s: '', n: 0n, b: Buffer.alloc(0) },
      { s: 'back\\slash ? $1', n: 2n ** 62n, b: null },
    ])
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

  it('sends queued writes, in order, with the next statement or the COMMIT', () => {
    const d = db()
    d.exec('CREATE TABLE t (k BIGINT PRIMARY KEY, v BIGINT)')
    const put = d.prepare(
      'INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
    )
    const read = d.prepare('SELECT v FROM t WHERE k = ?').pluck()
    const roundTrips = countRoundTrips(d)
    d.transaction(() => {
      runLater(put, 1, 10)
      runLater(put, 1, 11)
      runLater(put, 2, 20)
      expect(roundTrips()).toBe(0)
      // The reader sees the queued writes: they went first, in order.
      expect(read.get(1)).toBe(11)
      expect(roundTrips()).toBe(1)
      expect(() => {
        d.transaction(() => {
          runLater(put, 3, 30)
          throw new Error('undo this savepoint')
        })()
      }).toThrow('undo this savepoint')
      runLater(put, 4, 40)
    })()
    // The last write and the COMMIT: one round trip.
    expect(roundTrips()).toBe(2)
    expect(d.prepare('SELECT k, v FROM t ORDER BY k').all()).toEqual([
      { k: 1, v: 11 },
      { k: 2, v: 20 },
      { k: 4, v: 40 },
    ])
    // Outside a transaction there is nothing to travel with: it runs at once.
    runLater(put, 5, 50)
    expect(read.get(5)).toBe(50)
  })

  it('sends a savepoint only when a read follows a write of its unit', () => {
    const d = db()
    d.exec('CREATE TABLE t (k BIGINT PRIMARY KEY)')
    const ins = d.prepare('INSERT INTO t (k) VALUES (?)')
    const has = d.prepare('SELECT count(*) FROM t WHERE k = ?').pluck()
    const sent = recordSent(d)
    const unit = (fn: () => void) => {
      try {
        d.transaction(fn)()
      } catch {
        // A group goes on with its next unit.
      }
    }
    d.transaction(() => {
      // Reads, then writes, then success: its writes join the transaction.
      unit(() => {
        expect(has.get(1)).toBe(0)
        runLater(ins, 1)
      })
      // Reads, then writes, then a throw: its writes are forgotten unsent.
      unit(() => {
        expect(has.get(1)).toBe(1)
        runLater(ins, 2)
        throw new Error('refused')
      })
      // A nested unit inside a unit: the same, at each level.
      unit(() => {
        expect(has.get(2)).toBe(0)
        runLater(ins, 3)
        unit(() => {
          runLater(ins, 4)
          throw new Error('refused')
        })
      })
      expect(sent().filter((sql) => /SAVEPOINT/.test(sql))).toEqual([])
      // A write, then a read: the savepoint must be on the server first, and
      // a throw rolls back to it.
      unit(() => {
        runLater(ins, 5)
        expect(has.get(5)).toBe(1)
        throw new Error('refused')
      })
      expect(has.get(5)).toBe(0)
    })()
    expect(sent().filter((sql) => /SAVEPOINT/.test(sql))).toEqual([
      expect.stringMatching(/^SAVEPOINT sp\d+$/),
      expect.stringMatching(/^ROLLBACK TO SAVEPOINT sp\d+$/),
      expect.stringMatching(/^RELEASE SAVEPOINT sp\d+$/),
    ])
    expect(d.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual([1, 3])
  })

  it('answers a read sent ahead from the rows it brought back, unless something was written since', () => {
    const d = db()
    d.exec('CREATE TABLE t (k BIGINT PRIMARY KEY, v BIGINT)')
    const put = d.prepare(
      'INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
    )
    const read = d.prepare('SELECT v FROM t WHERE k = ?').pluck()
    const other = d.prepare('SELECT count(*) FROM t').pluck()
    // Outside a transaction there is no next round trip to travel with.
    readAhead(read, 1)
    const before = d.roundTrips
    expect(read.get(1)).toBeUndefined()
    expect(d.roundTrips - before).toBe(1)
    d.transaction(() => {
      runLater(put, 1, 10)
      readAhead(read, 1)
      readAhead(read, 2)
      const start = d.roundTrips
      // The queued write, both reads ahead and this read: one round trip.
      expect(other.get()).toBe(1)
      expect(d.roundTrips - start).toBe(1)
      // Served from the rows brought back, which saw the write before them.
      expect(read.get(1)).toBe(10)
      expect(d.roundTrips - start).toBe(1)
      // Other parameters are another read: it goes to the server.
      expect(read.get(3)).toBeUndefined()
      expect(d.roundTrips - start).toBe(2)
      // A write in between throws the rows of k = 2 away: the read sees it.
      runLater(put, 2, 20)
      expect(read.get(2)).toBe(20)
      expect(d.roundTrips - start).toBe(3)
      // So does a unit that rolls back: its write is gone, and so are the rows.
      readAhead(read, 1)
      expect(other.get()).toBe(2)
      expect(() => {
        d.transaction(() => {
          put.run(1, 11)
          throw new Error('refused')
        })()
      }).toThrow('refused')
      expect(read.get(1)).toBe(10)
      expect(d.roundTrips - start).toBe(6)
    })()
    // Rows read ahead do not outlive their transaction: another connection
    // may write as soon as it ends.
    d.transaction(() => {
      readAhead(read, 1)
      expect(other.get()).toBe(2)
    })()
    db(d.schema).prepare('UPDATE t SET v = 12 WHERE k = 1').run()
    expect(read.get(1)).toBe(12)
  })

  it("keeps rows read ahead across an independent unit's writes, and forgets those a unit sharing a key wrote", () => {
    const d = db()
    d.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT)')
    d.prepare("INSERT INTO t (k, v) VALUES ('a', 1), ('b', 2)").run()
    const put = d.prepare('UPDATE t SET v = ? WHERE k = ?')
    const read = d.prepare('SELECT v FROM t WHERE k = ?').pluck()
    const again = d.prepare('SELECT v * 1 FROM t WHERE k = ?').pluck()
    d.transaction(() => {
      d.scoped(['user:a'], () => {
        readAhead(read, 'a')
        readAhead(again, 'a')
      })
      d.scoped(['user:b'], () => {
        readAhead(read, 'b')
      })
      const start = d.roundTrips
      d.scoped(['user:a'], () => {
        expect(read.get('a')).toBe(1)
        runLater(put, 10, 'a')
      })
      // b's rows were read before a's write, which cannot have changed them.
      d.scoped(['user:b'], () => {
        expect(read.get('b')).toBe(2)
      })
      expect(d.roundTrips - start).toBe(1)
      // a's second read was made stale by the write under its key: it goes
      // to the server, after the write.
      d.scoped(['user:a'], () => {
        expect(again.get('a')).toBe(10)
      })
      expect(d.roundTrips - start).toBe(2)
      // Outside any unit, a write could touch anything: every row is forgotten.
      d.scoped(['user:b'], () => {
        readAhead(again, 'b')
      })
      expect(read.get('a')).toBe(10)
      runLater(d.prepare('UPDATE t SET v = v + 1'))
      d.scoped(['user:b'], () => {
        expect(again.get('b')).toBe(3)
      })
    })()
  })

  it("sends a scoped unit's read ahead of unrelated queued writes, which stay queued", () => {
    const d = db()
    d.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT)')
    const put = d.prepare('INSERT INTO t (k, v) VALUES (?, ?)')
    const read = d.prepare('SELECT v FROM t WHERE k = ?').pluck()
    const sent = countPrepared(d)
    d.transaction(() => {
      expect(read.get('x')).toBeUndefined()
      d.scoped(['user:a'], () => {
        runLater(put, 'a', 1)
      })
      const before = sent()
      // Another key's read goes alone; a's write waits.
      d.scoped(['user:b'], () => {
        expect(read.get('a')).toBeUndefined()
        runLater(put, 'b', 2)
      })
      expect(sent() - before).toBe(1)
      // A read under a's key sends the writes first, and sees them.
      d.scoped(['user:a'], () => {
        expect(read.get('a')).toBe(1)
      })
      expect(sent() - before).toBe(3)
    })()
    expect(d.prepare('SELECT k, v FROM t ORDER BY k').all()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ])
  })

  it('sends the writes of independent units as multi-row statements, and those of dependent ones as queued', () => {
    const d = db()
    d.exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT);
      CREATE TABLE bal (account TEXT PRIMARY KEY, amount BIGINT NOT NULL CHECK (amount >= 0))`)
    const put = d.prepare('INSERT INTO t (k, v) VALUES (?, ?)')
    const add = d.prepare(
      `INSERT INTO bal (account, amount) VALUES (?, ?)
       ON CONFLICT (account) DO UPDATE SET amount = bal.amount + excluded.amount`,
    )
    const sent = countPrepared(d)
    const before = sent()
    d.transaction(() => {
      for (let i = 0; i < 10; i++) {
        d.scoped([`user:${i}`], () => {
          runLater(put, `k${i}`, i)
          // Every unit adds to one account: the rows split where it repeats.
          runLater(add, 'escrow', 1)
        })
      }
    })()
    // 10 rows of t as 8 + 2; the ten additions one statement each.
    expect(sent() - before).toBe(2 + 10)
    expect(d.prepare('SELECT count(*) FROM t').pluck().get()).toBe(10)
    expect(d.prepare('SELECT amount FROM bal').pluck().get()).toBe(10)
    const dependent = sent()
    d.transaction(() => {
      for (let i = 0; i < 4; i++) {
        d.scoped(['user:same'], () => {
          runLater(put, `same${i}`, i)
        })
      }
    })()
    expect(sent() - dependent).toBe(4)
    expect(d.prepare('SELECT count(*) FROM t').pluck().get()).toBe(14)
  })

  it('sends a long queue of scoped writes ahead when a unit ends, and reports a failed one at the next statement', () => {
    const d = db()
    d.exec('CREATE TABLE t (k TEXT PRIMARY KEY)')
    const put = d.prepare('INSERT INTO t (k) VALUES (?)')
    const count = d.prepare('SELECT count(*) FROM t').pluck()
    const writeUnits = (from: number, to: number, key = (i: number) => `k${i}`) => {
      for (let i = from; i < to; i++) {
        d.scoped([`user:${i}`], () => {
          d.transaction(() => {
            runLater(put, key(i))
          })()
        })
      }
    }
    d.transaction(() => {
      expect(count.get()).toBe(0)
      const start = d.roundTrips
      writeUnits(0, 767)
      expect(d.roundTrips - start).toBe(0)
      // The 768th write: the queue goes out, and nothing waits for it.
      writeUnits(767, 768)
      expect(d.roundTrips - start).toBe(1)
      writeUnits(768, 800)
      expect(count.get()).toBe(800)
    })()
    expect(count.get()).toBe(800)
    // A write sent ahead that fails fails the statement after it, and the
    // transaction commits none of it.
    expect(() => {
      d.transaction(() => {
        expect(count.get()).toBe(800)
        writeUnits(0, 768, (i) => (i === 5 ? 'k5' : `again${i}`))
        count.get()
      })()
    }).toThrow(/duplicate key/)
    expect(count.get()).toBe(800)
    // And the connection works on.
    d.transaction(() => {
      writeUnits(900, 901)
    })()
    expect(count.get()).toBe(801)
  })

  it('fails the whole transaction when a queued write fails, and commits none of it', () => {
    const d = db()
    d.exec('CREATE TABLE t (k BIGINT PRIMARY KEY)')
    const ins = d.prepare('INSERT INTO t (k) VALUES (?)')
    ins.run(1)
    const count = () => d.prepare('SELECT count(*) FROM t').pluck().get()
    // Failing with the COMMIT it travels with.
    expect(() => {
      d.transaction(() => {
        runLater(ins, 2)
        runLater(ins, 1)
      })()
    }).toThrow(PgError)
    expect(count()).toBe(1)
    // Failing with a later unit's statement: that unit's savepoint rollback
    // cannot save the transaction, and the COMMIT reports it.
    expect(() => {
      d.transaction(() => {
        d.transaction(() => {
          runLater(ins, 3)
          runLater(ins, 1)
        })()
        try {
          d.transaction(() => count())()
        } catch {
          // What a group does with a unit's error: go on with the next unit.
        }
        runLater(ins, 4)
      })()
    }).toThrow(PgError)
    expect(count()).toBe(1)
    expect(d.inTransaction).toBe(false)
    ins.run(5)
    expect(count()).toBe(2)
  })

  it('prepares a queued statement again after its PREPARE failed in a pipeline', () => {
    const d = db()
    d.exec('CREATE TABLE t (v BIGINT)')
    const late = d.prepare('INSERT INTO later (v) VALUES (?)')
    expect(() => {
      d.transaction(() => {
        runLater(late, 1)
      })()
    }).toThrow(/relation "later" does not exist/)
    d.exec('CREATE TABLE later (v BIGINT)')
    d.transaction(() => {
      runLater(late, 2)
      runLater(late, 3)
    })()
    expect(d.prepare('SELECT v FROM later ORDER BY v').pluck().all()).toEqual([2, 3])
  })

  it('fails a transaction whose connection dropped with writes queued, then works again', () => {
    const a = db()
    const b = db()
    a.exec('CREATE TABLE t (v BIGINT)')
    const ins = a.prepare('INSERT INTO t (v) VALUES (?)')
    const pid = a.prepare('SELECT pg_backend_pid()').pluck().get() as number
    expect(() => {
      a.transaction(() => {
        runLater(ins, 1)
        b.prepare('SELECT pg_terminate_backend(?)').get(pid)
        runLater(ins, 2)
      })()
    }).toThrow(PgError)
    a.transaction(() => {
      runLater(ins, 3)
    })()
    expect(a.prepare('SELECT v FROM t').pluck().all()).toEqual([3])
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

  it('opens the connection again after the server dropped it', () => {
    const a = db()
    const b = db()
    a.exec('CREATE TABLE t (v BIGINT)')
    const pid = a.prepare('SELECT pg_backend_pid()').pluck().get() as number
    b.prepare('SELECT pg_terminate_backend(?)').get(pid)
    // The statement under way when it dropped fails; nothing is retried.
    expect(() => a.prepare('INSERT INTO t VALUES (?)').run(1)).toThrow(PgError)
    a.transaction(() => a.prepare('INSERT INTO t VALUES (?)').run(2))()
    expect(a.prepare('SELECT v FROM t').pluck().all()).toEqual([2])
    expect(a.prepare('SELECT pg_backend_pid()').pluck().get()).not.toBe(pid)
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

  it('lets one connection of a schema at a time hold a try-lock, and frees it when one dies', async () => {
    const schema = freshSchema()
    const a = db(schema)
    const b = db(schema)
    const other = db()
    const ran = a.withTryLock(PgLock.settlement, () => b.withTryLock(PgLock.settlement, () => 'b'))
    expect(ran).toBeUndefined()
    expect(b.withTryLock(PgLock.settlement, () => 'b')).toBe('b')
    // Another schema is another relay, with locks of its own.
    expect(a.withTryLock(PgLock.sweep, () => other.withTryLock(PgLock.sweep, () => 'x'))).toBe('x')

    // A process that dies holding the lock (its connection cut) frees it.
    let release!: () => void
    const held = a.withTryLockAsync(PgLock.sweep, () => new Promise<void>((r) => (release = r)))
    expect(b.withTryLock(PgLock.sweep, () => 'b')).toBeUndefined()
    const pid = a.prepare('SELECT pg_backend_pid()').pluck().get() as number
    other.prepare('SELECT pg_terminate_backend(?)').get(pid)
    await vi.waitFor(() => {
      expect(b.withTryLock(PgLock.sweep, () => 'b')).toBe('b')
    })
    release()
    await held.catch(() => undefined)
  })

  it('delivers a committed NOTIFY to the other connections of the schema only', async () => {
    const schema = freshSchema()
    const a = db(schema)
    const b = db(schema)
    const stranger = db()
    const heardB: string[] = []
    const heardA: string[] = []
    const heardStranger: string[] = []
    const errors: Error[] = []
    const stops = [
      b.listen(
        (p) => heardB.push(p),
        (e) => errors.push(e),
      ),
      a.listen(
        (p) => heardA.push(p),
        (e) => errors.push(e),
      ),
      stranger.listen(
        (p) => heardStranger.push(p),
        (e) => errors.push(e),
      ),
    ]
    try {
      a.exec('CREATE TABLE t (v BIGINT)')
      a.transaction(() => {
        a.notify('one')
        a.prepare('INSERT INTO t VALUES (?)').run(1)
        // A savepoint that rolls back takes its notification with it.
        expect(() =>
          a.transaction(() => {
            a.prepare('INSERT INTO t VALUES (?)').run(2)
            a.notify('never')
            throw new Error('undo')
          })(),
        ).toThrow('undo')
        a.notify('two')
      })()
      expect(() =>
        a.transaction(() => {
          a.notify('rolled back')
          a.prepare('INSERT INTO t VALUES (?)').run(3)
          throw new Error('no')
        })(),
      ).toThrow('no')
      a.notify('three')
      // A transaction that only notifies still commits its notification.
      a.transaction(() => {
        a.notify('four')
      })()
      await vi.waitFor(() => {
        expect(heardB).toEqual(['one', 'two', 'three', 'four'])
      })
      expect(heardA).toEqual([])
      expect(heardStranger).toEqual([])
      expect(errors).toEqual([])
    } finally {
      for (const stop of stops) stop()
    }
  })

  it('listens again after its connection was cut, and says so', async () => {
    const schema = freshSchema()
    const a = db(schema)
    const b = db(schema)
    const heard: string[] = []
    const errors: string[] = []
    const stop = b.listen(
      (p) => heard.push(p),
      (e) => errors.push(e.message),
      50,
    )
    try {
      a.notify('before')
      await vi.waitFor(() => {
        expect(heard).toEqual(['before'])
      })
      const listener = a
        .prepare(`SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND query LIKE ?`)
        .pluck()
        .get(`%tseed_events_${schema}%`) as number
      a.prepare('SELECT pg_terminate_backend(?)').get(listener)
      await vi.waitFor(() => {
        expect(errors.join()).toMatch(/lost its connection/)
      })
      // Once it listens again, new notifications arrive.
      await vi.waitFor(() => {
        a.notify('after')
        expect(heard).toContain('after')
      })
    } finally {
      stop()
    }
  })
})

/** Records the text of every statement `d` sends to the server. */
function recordSent(d: PgDatabase): () => string[] {
  const texts: string[] = []
  const pq = (d as unknown as { pq: Record<string, (...a: unknown[]) => unknown> }).pq
  for (const method of ['sendQueryParams', 'exec'] as const) {
    const original = pq[method]!.bind(pq)
    pq[method] = (sql: unknown, ...rest: unknown[]) => {
      texts.push(String(sql))
      return original(sql, ...rest)
    }
  }
  return () => texts
}

/** Counts the prepared statements `d` sends in pipelines. */
function countPrepared(d: PgDatabase): () => number {
  let n = 0
  const pq = (d as unknown as { pq: Record<string, (...a: unknown[]) => unknown> }).pq
  const original = pq.sendQueryPrepared!.bind(pq)
  pq.sendQueryPrepared = (...args: unknown[]) => {
    n++
    return original(...args)
  }
  return () => n
}

/** Counts the statements and COMMITs `d` sends, each one round trip. */
function countRoundTrips(d: PgDatabase): () => number {
  let n = 0
  const query = d.query.bind(d)
  const exec = d.exec.bind(d)
  d.query = (...args: Parameters<PgDatabase['query']>) => {
    n++
    return query(...args)
  }
  d.exec = (sql: string) => {
    n++
    return exec(sql)
  }
  return () => n
}
