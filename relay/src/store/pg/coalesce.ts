/**
 * Turns the queued writes of several independent units into fewer
 * statements for PostgreSQL: an INSERT … VALUES the units share becomes one
 * multi-row INSERT, a keyed DELETE one DELETE of all their rows, and their
 * NOTIFYs one call over a VALUES list. PostgreSQL's cost per statement
 * (protocol, executor start, opening the table and its indexes) is then
 * paid once per batch rather than once per announce (docs/scaling.md).
 *
 * Reordering is what makes this possible, and what limits it:
 * - Units are independent when no two share a scope key (scoped in
 *   store/database.ts), so the units' writes may interleave in any way.
 * - Inside a unit, order is kept: the statements run in an order that
 *   keeps every unit's own order, which exists unless two units issue two
 *   statements in opposite orders. A unit that issues the same statement
 *   twice has the second use run as a statement of its own after the
 *   first.
 * - One statement never meets the same row twice (PostgreSQL refuses an
 *   ON CONFLICT that would): independent units may still both add to a
 *   balance (the escrow of a swarm), and a repeated conflict key starts a
 *   new statement.
 * When a batch breaks the first two rules, it is sent as it was queued.
 */

/** A queued write: SQLite-style text with `?` parameters, and its unit. */
export interface UnitWrite {
  sql: string
  params: readonly unknown[]
  unit: number
  keys: ReadonlySet<string>
}

export interface Statement {
  sql: string
  params: readonly unknown[]
}

/** At most this many writes go into one statement; sizes are powers of two. */
export const MAX_ROWS_PER_STATEMENT = 64

/** How a statement merges with itself. */
interface Shape {
  /** The text doing what `n` runs of it do, parameters in run order. */
  merged: (n: number) => string
  /** Parameters per row; an INSERT's run may hold several rows. */
  width: number
  /**
   * Where the ON CONFLICT target's columns sit in a row; empty without one.
   * Two rows with the same values there cannot share a statement.
   */
  conflictAt: number[]
}

const PLACEHOLDERS = String.raw`\(\s*\?(?:\s*,\s*\?)*\s*\)`
const INSERT_VALUES = new RegExp(
  String.raw`^(\s*INSERT\s+INTO\s+[^?;]*?\bVALUES\s*)(${PLACEHOLDERS}(?:\s*,\s*${PLACEHOLDERS})*)([^?;]*)$`,
  'i',
)
const DELETE_WHERE = /^\s*DELETE\s+FROM\s+([A-Za-z_][\w.]*)\s+WHERE\s+([^;()]*\?[^;()]*)$/i
const NOTIFY_CALL = /^\s*SELECT\s+pg_notify\s*\(\s*\?\s*,\s*\?\s*\)\s*$/i

const shapes = new Map<string, Shape | null>()

/** How `sql` merges; null when it does not. */
function shapeOf(sql: string): Shape | null {
  let shape = shapes.get(sql)
  if (shape === undefined) {
    shape = insertShape(sql) ?? deleteShape(sql) ?? notifyShape(sql)
    shapes.set(sql, shape)
  }
  return shape
}

/** `INSERT INTO t (…) VALUES (?, …)[, (?, …)] [ON CONFLICT (…) …]`: more rows. */
function insertShape(sql: string): Shape | null {
  const m = INSERT_VALUES.exec(sql)
  if (m === null) return null
  const [, head = '', tuples = '', tail = ''] = m
  const width = (/\(([^)]*)\)/.exec(tuples)?.[1] ?? '').split(',').length
  const columns = names(/\(([^)]*)\)\s*VALUES/i.exec(head)?.[1])
  const target = names(/\bON\s+CONFLICT\s*\(([^)]*)\)/i.exec(tail)?.[1])
  const conflictAt = target.map((c) => columns.indexOf(c))
  // A conflict target that is not plain columns of the list (an expression,
  // a constraint name): no way to tell rows apart, so no merging.
  if (columns.length !== width || conflictAt.includes(-1)) return null
  if (target.length === 0 && /\bON\s+CONFLICT\b/i.test(tail)) return null
  const merged = (n: number) =>
    `${head}${Array.from({ length: n }, () => tuples).join(', ')}${tail}`
  return { merged, width, conflictAt }
}

/**
 * `DELETE FROM t WHERE a = ? AND b = ?`: one condition per run, ORed. Each
 * parameter keeps its column's type, which a VALUES list would lose.
 */
function deleteShape(sql: string): Shape | null {
  const m = DELETE_WHERE.exec(sql)
  if (m === null) return null
  const [, table = '', where = ''] = m
  if (/\b(OR|SELECT|IN|EXISTS|NOT)\b/i.test(where)) return null
  const width = where.split('?').length - 1
  const merged = (n: number) =>
    `DELETE FROM ${table} WHERE ${Array.from({ length: n }, () => `(${where.trim()})`).join(' OR ')}`
  return { merged, width, conflictAt: [] }
}

/** `SELECT pg_notify(?, ?)`: one call per row of a VALUES list, in its order. */
function notifyShape(sql: string): Shape | null {
  if (!NOTIFY_CALL.test(sql)) return null
  const merged = (n: number) =>
    `SELECT pg_notify(v.channel, v.payload) FROM (VALUES ${Array.from({ length: n }, () => '(?, ?)').join(', ')}) AS v (channel, payload)`
  return { merged, width: 2, conflictAt: [] }
}

function names(list: string | undefined): string[] {
  if (list === undefined) return []
  return list.split(',').map((c) => c.trim().toLowerCase())
}

/**
 * The statements that do what `writes` do, in fewer when they can be
 * merged, or undefined when the batch must go as it was queued (two units
 * share a key, or a unit's statements come in another order than the
 * batch's). `writes` must be in the order they were queued.
 */
export function coalesce(writes: readonly UnitWrite[]): Statement[] | undefined {
  if (!independent(writes)) return undefined
  // A node is a statement's n-th use within a unit (its round); each unit's
  // consecutive nodes give an edge, and the nodes run in an order that keeps
  // every edge (Kahn's algorithm, earliest-queued first among the ready).
  const nodes: Node[] = []
  const rounds = new Map<string, Node[]>()
  const previous = new Map<number, { node: Node; uses: Map<string, number> }>()
  for (const w of writes) {
    let unit = previous.get(w.unit)
    const round = unit?.uses.get(w.sql) ?? 0
    let ofSql = rounds.get(w.sql)
    if (ofSql === undefined) {
      ofSql = []
      rounds.set(w.sql, ofSql)
    }
    let node = ofSql[round]
    if (node === undefined) {
      node = { sql: w.sql, order: nodes.length, rows: [], next: new Set(), before: 0 }
      ofSql[round] = node
      nodes.push(node)
    }
    node.rows.push(w.params)
    if (unit === undefined) {
      unit = { node, uses: new Map() }
      previous.set(w.unit, unit)
    } else if (unit.node !== node && !unit.node.next.has(node)) {
      unit.node.next.add(node)
      node.before++
    }
    unit.node = node
    unit.uses.set(w.sql, round + 1)
  }
  const ordered = topologicalOrder(nodes)
  if (ordered === undefined) return undefined
  const out: Statement[] = []
  for (const { sql, rows } of ordered) {
    const shape = shapeOf(sql)
    if (shape === null) {
      for (const params of rows) out.push({ sql, params })
      continue
    }
    for (const part of withoutRepeats(shape, rows)) {
      let at = 0
      while (at < part.length) {
        const n = largestPowerOfTwo(Math.min(part.length - at, MAX_ROWS_PER_STATEMENT))
        const chunk = part.slice(at, at + n)
        out.push({ sql: n === 1 ? sql : shape.merged(n), params: chunk.flat() })
        at += n
      }
    }
  }
  return out
}

/**
 * `rows` cut, in order, into runs in which no conflict target value comes
 * twice: two units may add to the same balance, and one statement may not
 * update a row twice.
 */
function withoutRepeats(
  shape: Shape,
  rows: readonly (readonly unknown[])[],
): (readonly unknown[])[][] {
  if (shape.conflictAt.length === 0) return [[...rows]]
  const parts: (readonly unknown[])[][] = []
  let part: (readonly unknown[])[] = []
  let seen = new Set<string>()
  for (const params of rows) {
    const keys: string[] = []
    for (let t = 0; t < params.length; t += shape.width) {
      keys.push(JSON.stringify(shape.conflictAt.map((c) => String(params[t + c]))))
    }
    if (keys.some((k) => seen.has(k))) {
      parts.push(part)
      part = []
      seen = new Set()
    }
    for (const k of keys) seen.add(k)
    part.push(params)
  }
  parts.push(part)
  return parts
}

/** One statement's n-th use by the units, and the rows of it. */
interface Node {
  sql: string
  /** When it was first queued. */
  order: number
  rows: (readonly unknown[])[]
  /** Nodes some unit runs right after this one. */
  next: Set<Node>
  /** How many nodes must run first. */
  before: number
}

/** The nodes in an order that keeps every edge, or undefined when the edges make a cycle. */
function topologicalOrder(nodes: Node[]): Node[] | undefined {
  const ready = nodes.filter((n) => n.before === 0)
  const out: Node[] = []
  while (ready.length > 0) {
    // Few nodes (a dozen statements): a scan beats a heap.
    let best = 0
    for (let i = 1; i < ready.length; i++) {
      if ((ready[i] as Node).order < (ready[best] as Node).order) best = i
    }
    const node = ready.splice(best, 1)[0] as Node
    out.push(node)
    for (const n of node.next) if (--n.before === 0) ready.push(n)
  }
  return out.length === nodes.length ? out : undefined
}

/** No scope key is held by two units. */
function independent(writes: readonly UnitWrite[]): boolean {
  const owner = new Map<string, number>()
  let last: number | undefined
  for (const w of writes) {
    if (w.unit === last) continue
    last = w.unit
    for (const k of w.keys) {
      const o = owner.get(k)
      if (o !== undefined && o !== w.unit) return false
      owner.set(k, w.unit)
    }
  }
  return true
}

function largestPowerOfTwo(n: number): number {
  let p = 1
  while (p * 2 <= n) p *= 2
  return p
}
