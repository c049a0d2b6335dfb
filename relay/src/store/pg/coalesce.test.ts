import { describe, expect, it } from 'vitest'
import { coalesce, MAX_ROWS_PER_STATEMENT, type Statement, type UnitWrite } from './coalesce'

/** A write of `unit`, which holds the scope key `k<unit>` alone unless `keys` says otherwise. */
function write(
  unit: number,
  sql: string,
  params: readonly unknown[],
  keys: readonly string[] = [`k${unit}`],
): UnitWrite {
  return { sql, params, unit, keys: new Set(keys) }
}

/** Where the statement carrying `param` sits in `out`. */
function positionOf(out: readonly Statement[] | undefined, param: unknown): number {
  const at = (out ?? []).findIndex((s) => s.params.includes(param))
  expect(at, `a statement with ${String(param)}`).toBeGreaterThanOrEqual(0)
  return at
}

const INSERT = 'INSERT INTO t (a, b) VALUES (?, ?)'
const A = 'INSERT INTO a (x) VALUES (?)'
const B = 'INSERT INTO b (x) VALUES (?)'
const C = 'INSERT INTO c (x) VALUES (?)'
const UPDATE = 'UPDATE t SET x = ? WHERE id = ?'

describe('coalesce: INSERT … VALUES', () => {
  it('merges the same INSERT of independent units into one multi-row INSERT, params in queue order', () => {
    const out = coalesce([
      write(1, INSERT, [1, 'one']),
      write(2, INSERT, [2, 'two']),
      write(3, INSERT, [3, 'three']),
      write(4, INSERT, [4, 'four']),
    ])
    expect(out).toEqual([
      {
        sql: 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?), (?, ?)',
        params: [1, 'one', 2, 'two', 3, 'three', 4, 'four'],
      },
    ])
  })

  it('merges two units into a two-row INSERT', () => {
    expect(coalesce([write(1, INSERT, [1, 'one']), write(2, INSERT, [2, 'two'])])).toEqual([
      { sql: 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)', params: [1, 'one', 2, 'two'] },
    ])
  })

  it('repeats every tuple of an INSERT whose run holds several rows', () => {
    const sql = 'INSERT INTO t (a, b, c) VALUES (?, ?, ?), (?, ?, ?)'
    const out = coalesce([write(1, sql, [1, 2, 3, 4, 5, 6]), write(2, sql, [7, 8, 9, 10, 11, 12])])
    expect(out).toEqual([
      {
        sql: 'INSERT INTO t (a, b, c) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)',
        params: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      },
    ])
  })

  it('cuts 100 rows into statements of 64, 32 and 4 rows, params in order', () => {
    expect(MAX_ROWS_PER_STATEMENT).toBe(64)
    const writes = Array.from({ length: 100 }, (_, i) =>
      write(i, 'INSERT INTO t (a) VALUES (?)', [i]),
    )
    const out = coalesce(writes)
    const rows = (n: number) =>
      `INSERT INTO t (a) VALUES ${Array.from({ length: n }, () => '(?)').join(', ')}`
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)
    expect(out).toEqual([
      { sql: rows(64), params: range(0, 64) },
      { sql: rows(32), params: range(64, 32) },
      { sql: rows(4), params: range(96, 4) },
    ])
  })

  it('keeps a lone write as its own text', () => {
    expect(
      coalesce([write(1, INSERT, [1, 'one']), write(1, UPDATE, [5, 1]), write(2, UPDATE, [6, 2])]),
    ).toEqual([
      { sql: INSERT, params: [1, 'one'] },
      { sql: UPDATE, params: [5, 1] },
      { sql: UPDATE, params: [6, 2] },
    ])
  })
})

describe('coalesce: order', () => {
  it("finds an order that keeps every unit's own order", () => {
    const writes = [
      write(1, A, ['1a']),
      write(1, C, ['1c']),
      write(2, B, ['2b']),
      write(2, C, ['2c']),
      write(3, A, ['3a']),
      write(3, B, ['3b']),
      write(3, C, ['3c']),
    ]
    const out = coalesce(writes)
    expect(out).toEqual([
      { sql: 'INSERT INTO a (x) VALUES (?), (?)', params: ['1a', '3a'] },
      { sql: 'INSERT INTO b (x) VALUES (?), (?)', params: ['2b', '3b'] },
      { sql: 'INSERT INTO c (x) VALUES (?), (?)', params: ['1c', '2c'] },
      { sql: C, params: ['3c'] },
    ])
    expect(positionOf(out, '1a')).toBeLessThan(positionOf(out, '1c'))
    expect(positionOf(out, '2b')).toBeLessThan(positionOf(out, '2c'))
    expect(positionOf(out, '3a')).toBeLessThan(positionOf(out, '3b'))
    expect(positionOf(out, '3b')).toBeLessThan(positionOf(out, '3c'))
  })

  it('gives undefined when two units issue two statements in opposite orders', () => {
    expect(
      coalesce([write(1, A, [1]), write(1, B, [2]), write(2, B, [3]), write(2, A, [4])]),
    ).toBeUndefined()
  })

  it('gives undefined when two units share a scope key', () => {
    expect(
      coalesce([write(1, INSERT, [1, 'one'], ['x']), write(2, INSERT, [2, 'two'], ['x', 'y'])]),
    ).toBeUndefined()
  })

  it('merges units that share no key even when each holds several', () => {
    expect(
      coalesce([
        write(1, INSERT, [1, 'one'], ['x', 'y']),
        write(2, INSERT, [2, 'two'], ['z', 'w']),
      ]),
    ).toEqual([{ sql: 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)', params: [1, 'one', 2, 'two'] }])
  })

  it("runs a unit's second use of a statement as a statement of its own after the first", () => {
    const out = coalesce([
      write(1, INSERT, [1, 'first']),
      write(1, INSERT, [1, 'second']),
      write(2, INSERT, [2, 'first']),
    ])
    expect(out).toEqual([
      { sql: 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)', params: [1, 'first', 2, 'first'] },
      { sql: INSERT, params: [1, 'second'] },
    ])
  })

  it('merges the second uses of several units into the second round', () => {
    const out = coalesce([
      write(1, INSERT, [1, 'first']),
      write(1, INSERT, [1, 'second']),
      write(2, INSERT, [2, 'first']),
      write(2, INSERT, [2, 'second']),
    ])
    expect(out).toEqual([
      { sql: 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)', params: [1, 'first', 2, 'first'] },
      { sql: 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)', params: [1, 'second', 2, 'second'] },
    ])
  })
})

describe('coalesce: ON CONFLICT', () => {
  const ADD =
    'INSERT INTO t (account, currency, amount) VALUES (?, ?, ?) ' +
    'ON CONFLICT (account, currency) DO UPDATE SET amount = t.amount + excluded.amount'
  const added = (n: number) =>
    `INSERT INTO t (account, currency, amount) VALUES ${Array.from({ length: n }, () => '(?, ?, ?)').join(', ')} ` +
    'ON CONFLICT (account, currency) DO UPDATE SET amount = t.amount + excluded.amount'

  it('starts a new statement at a repeated conflict key, keeping order', () => {
    const out = coalesce([
      write(1, ADD, ['alice', 'sat', 5]),
      write(2, ADD, ['alice', 'usd', 7]),
      write(3, ADD, ['alice', 'sat', 3]),
      write(4, ADD, ['bob', 'sat', 1]),
    ])
    expect(out).toEqual([
      { sql: added(2), params: ['alice', 'sat', 5, 'alice', 'usd', 7] },
      { sql: added(2), params: ['alice', 'sat', 3, 'bob', 'sat', 1] },
    ])
  })

  it('keeps rows with different conflict keys in one statement', () => {
    const out = coalesce([
      write(1, ADD, ['alice', 'sat', 5]),
      write(2, ADD, ['bob', 'sat', 7]),
      write(3, ADD, ['carol', 'sat', 3]),
    ])
    expect(out).toEqual([
      { sql: added(2), params: ['alice', 'sat', 5, 'bob', 'sat', 7] },
      { sql: ADD, params: ['carol', 'sat', 3] },
    ])
  })

  it('does not merge when the conflict target is a constraint name', () => {
    const sql = 'INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT ON CONSTRAINT c DO NOTHING'
    const out = coalesce([
      write(1, sql, [1, 'one']),
      write(1, UPDATE, [10, 1]),
      write(2, sql, [2, 'two']),
    ])
    expect(out).toEqual([
      { sql, params: [1, 'one'] },
      { sql, params: [2, 'two'] },
      { sql: UPDATE, params: [10, 1] },
    ])
  })

  it('does not merge when the conflict target is not a column of the insert', () => {
    const sql = 'INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (c) DO NOTHING'
    expect(coalesce([write(1, sql, [1, 'one']), write(2, sql, [2, 'two'])])).toEqual([
      { sql, params: [1, 'one'] },
      { sql, params: [2, 'two'] },
    ])
  })

  it('does not merge when the conflict target is an expression', () => {
    const sql = 'INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT ((lower(a))) DO NOTHING'
    expect(coalesce([write(1, sql, [1, 'one']), write(2, sql, [2, 'two'])])).toEqual([
      { sql, params: [1, 'one'] },
      { sql, params: [2, 'two'] },
    ])
  })
})

describe('coalesce: DELETE', () => {
  it('ORs the conditions of a keyed DELETE, params in queue order', () => {
    const sql = 'DELETE FROM t WHERE a = ? AND b = ?'
    expect(
      coalesce([write(1, sql, [1, 'x']), write(2, sql, [2, 'y']), write(3, UPDATE, [0, 3])]),
    ).toEqual([
      {
        sql: 'DELETE FROM t WHERE (a = ? AND b = ?) OR (a = ? AND b = ?)',
        params: [1, 'x', 2, 'y'],
      },
      { sql: UPDATE, params: [0, 3] },
    ])
  })

  it.each([
    ['OR', 'DELETE FROM t WHERE a = ? OR b = ?'],
    ['IN', 'DELETE FROM t WHERE a IN (?, ?)'],
    ['a subquery', 'DELETE FROM t WHERE a = (SELECT id FROM u WHERE b = ?)'],
    ['parentheses', 'DELETE FROM t WHERE (a = ?) AND b = ?'],
  ])('does not merge a DELETE whose WHERE holds %s', (_, sql) => {
    const params = (unit: number) => Array.from({ length: sql.split('?').length - 1 }, () => unit)
    expect(coalesce([write(1, sql, params(1)), write(2, sql, params(2))])).toEqual([
      { sql, params: params(1) },
      { sql, params: params(2) },
    ])
  })
})

describe('coalesce: NOTIFY', () => {
  it('turns pg_notify calls into one call over a VALUES list, params in order', () => {
    const sql = 'SELECT pg_notify(?, ?)'
    expect(coalesce([write(1, sql, ['events', 'one']), write(2, sql, ['events', 'two'])])).toEqual([
      {
        sql: 'SELECT pg_notify(v.channel, v.payload) FROM (VALUES (?, ?), (?, ?)) AS v (channel, payload)',
        params: ['events', 'one', 'events', 'two'],
      },
    ])
  })
})

describe('coalesce: other statements', () => {
  it("passes other statements through one per write, keeping each unit's order", () => {
    const out = coalesce([
      write(1, UPDATE, [10, 1]),
      write(1, A, ['1a']),
      write(2, B, ['2b']),
      write(2, UPDATE, [20, 2]),
      write(2, A, ['2a']),
    ])
    expect(out).toEqual([
      { sql: B, params: ['2b'] },
      { sql: UPDATE, params: [10, 1] },
      { sql: UPDATE, params: [20, 2] },
      { sql: 'INSERT INTO a (x) VALUES (?), (?)', params: ['1a', '2a'] },
    ])
    expect(positionOf(out, 10)).toBeLessThan(positionOf(out, '1a'))
    expect(positionOf(out, '2b')).toBeLessThan(positionOf(out, 20))
    expect(positionOf(out, 20)).toBeLessThan(positionOf(out, '2a'))
  })
})
