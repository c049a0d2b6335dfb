/**
 * `npm run relay -- migrate-to-postgres --from FILE --to postgres://…`:
 * copies a SQLite relay database, every table and every id, into an empty
 * PostgreSQL database, in one PostgreSQL transaction that commits only when
 * the copy's ledger audits exactly like the source's. A failure at any
 * point leaves the target without relay data.
 */
import { existsSync, statSync } from 'node:fs'
import { CliUsageError } from '../cli-options'
import { Ledger } from '../ledger/ledger'
import { openDatabase, type SqlDatabase, type SqliteDatabase } from '../store/database'
import { describeDatabase, isPostgresUrl } from '../store/open-relay-database'
import { PgError } from '../store/pg/pg-database'
import { defineCommand, openOperatorDatabase, OperatorError, type CommandIo } from './io'
import {
  figureDifferences,
  formatFigures,
  ledgerFigures,
  type LedgerFigures,
} from './ledger-figures'
import { migrateRelaySchema } from './relay-schema'

export interface MigrateOptions {
  /** The relay's SQLite file. */
  from: string
  /** The target: a postgres:// URL, optionally with `?schema=NAME`. */
  to: string
  /** A progress line on stderr every this many rows of a table. Default 100,000. */
  progressEvery?: number
  /**
   * Called after each batch is inserted, inside the transaction, with the
   * target. Tests throw here to fail the copy halfway, or spoil the copy to
   * see the audit refuse it.
   */
  afterBatch?: (table: string, copied: number, target: SqlDatabase) => void
  /** Milliseconds, for the elapsed time. */
  clock?: () => number
}

export interface MigrateReport {
  /** Every relay table in copy order, with the rows copied. */
  tables: { name: string; rows: number }[]
  /** Identity columns and the next id each will hand out. */
  sequences: { column: string; next: bigint }[]
  source: LedgerFigures
  target: LedgerFigures
  rows: number
  ms: number
}

/**
 * Most parameters one INSERT carries; PostgreSQL allows 65,535. Rows per
 * INSERT are capped too: beyond a few hundred, bigger statements stopped
 * paying for their parse time.
 */
const MAX_PARAMETERS = 30_000
const MAX_ROWS_PER_INSERT = 1_000
const DEFAULT_PROGRESS_EVERY = 100_000

/** Copies `from` into `to`; see the file comment. Progress goes to `io.err`. */
export function migrateToPostgres(
  options: MigrateOptions,
  io: Pick<CommandIo, 'err'>,
): MigrateReport {
  const clock = options.clock ?? (() => performance.now())
  const started = clock()
  const { from, to } = options
  if (!isPostgresUrl(to)) {
    throw new OperatorError(`--to must be a postgres:// URL, got ${JSON.stringify(to)}`)
  }
  if (!existsSync(from) || !statSync(from).isFile()) {
    throw new OperatorError(`no database at ${from}; give the relay's SQLite file with --from`)
  }
  const source = openSource(from)
  let target: SqlDatabase | undefined
  try {
    // The source is brought to this build's schema, as the relay would on
    // start, so both sides have the same columns.
    migrateRelaySchema(source)
    // One read transaction: the audit and every table come from one snapshot.
    source.exec('BEGIN')
    const sourceFigures = ledgerFigures(source, new Ledger(source))
    if (!sourceFigures.auditOk) {
      throw new OperatorError(
        `the ledger in ${from} does not pass its audit (run: audit --db ${from}); nothing was copied`,
      )
    }
    target = openOperatorDatabase(to)
    const pg = target
    const copy = (): Omit<MigrateReport, 'ms' | 'rows'> => {
      try {
        migrateRelaySchema(pg)
      } catch (err) {
        // A schema newer than this build, say: one line, not a stack.
        if (err instanceof PgError || !(err instanceof Error)) throw err
        throw new OperatorError(`${describeDatabase(to)}: ${err.message}; nothing was copied`)
      }
      const order = copyOrder(pg)
      refuseNonEmpty(pg, order, to)
      const sourceTables = sqliteTables(source)
      const unknown = [...sourceTables.keys()].filter((t) => !order.includes(t))
      if (unknown.length > 0) {
        throw new OperatorError(
          `${from} has tables this build does not know (${unknown.join(', ')}); nothing was copied`,
        )
      }
      const indexes = dropSecondaryIndexes(pg)
      const tables = order.map((name) => {
        const withoutRowid = sourceTables.get(name)
        const rows =
          withoutRowid === undefined
            ? 0
            : copyTable(source, pg, name, withoutRowid, options, (text) => {
                io.err(text)
              })
        return { name, rows }
      })
      for (const definition of indexes) pg.exec(definition)
      const sequences = moveSequences(pg)
      const targetFigures = ledgerFigures(pg, new Ledger(pg))
      const diffs = figureDifferences(sourceFigures, targetFigures)
      if (!targetFigures.auditOk || diffs.length > 0) {
        throw new OperatorError(
          `the copy does not audit like the source (${diffs.slice(0, 3).join('; ') || 'audit FAILED'}); rolled back, nothing was committed`,
        )
      }
      return { tables, sequences, source: sourceFigures, target: targetFigures }
    }
    let result: Omit<MigrateReport, 'ms' | 'rows'>
    try {
      result = pg.transaction(copy)()
    } catch (err) {
      // The server refused something (a constraint, the connection): the
      // transaction is rolled back, so the target holds nothing of it.
      if (err instanceof PgError) {
        throw new OperatorError(
          `${describeDatabase(to)}: ${firstLine(err.message)}; rolled back, nothing was committed`,
        )
      }
      throw err
    }
    const rows = result.tables.reduce((sum, t) => sum + t.rows, 0)
    return { ...result, rows, ms: clock() - started }
  } finally {
    if (source.inTransaction) source.exec('COMMIT')
    source.close()
    target?.close()
  }
}

function openSource(from: string): SqliteDatabase {
  let db: SqliteDatabase | undefined
  try {
    db = openDatabase(from)
    db.prepare('SELECT count(*) FROM sqlite_schema').get()
    return db
  } catch (err) {
    db?.close()
    throw new OperatorError(
      `${from} is not a SQLite database: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}

/** The source's tables (name → whether it is WITHOUT ROWID), schema_migrations aside. */
function sqliteTables(db: SqliteDatabase): Map<string, boolean> {
  const rows = db.prepare('PRAGMA table_list').all() as {
    schema: string
    name: string
    type: string
    wr: number
  }[]
  const out = new Map<string, boolean>()
  for (const r of rows) {
    if (r.schema !== 'main' || r.type !== 'table') continue
    if (r.name.startsWith('sqlite_') || r.name === 'schema_migrations') continue
    out.set(r.name, r.wr === 1)
  }
  return out
}

/**
 * The target's relay tables, each after the tables its foreign keys point
 * to (ledger_postings before ledger_lines and the escrow lots, announces
 * before their tags), otherwise by name.
 */
function copyOrder(pg: SqlDatabase): string[] {
  const tables = (
    pg
      .prepare(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )
      .pluck()
      .all() as string[]
  )
    .filter((t) => t !== 'schema_migrations')
    .sort()
  const edges = pg
    .prepare(
      `SELECT child.relname AS child, parent.relname AS parent
       FROM pg_constraint c
       JOIN pg_class child ON child.oid = c.conrelid
       JOIN pg_class parent ON parent.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
       WHERE c.contype = 'f' AND n.nspname = current_schema()`,
    )
    .all() as { child: string; parent: string }[]
  const order: string[] = []
  const left = new Set(tables)
  while (left.size > 0) {
    const next = [...left].find((t) =>
      edges.every((e) => e.child !== t || e.parent === t || !left.has(e.parent)),
    )
    if (next === undefined) throw new Error(`foreign keys form a cycle among ${[...left].join()}`)
    order.push(next)
    left.delete(next)
  }
  return order
}

function refuseNonEmpty(pg: SqlDatabase, tables: readonly string[], to: string): void {
  const full = tables.filter((t) => pg.prepare(`SELECT 1 FROM ${t} LIMIT 1`).get() !== undefined)
  if (full.length > 0) {
    throw new OperatorError(
      `${describeDatabase(to)} already holds relay data (${full.join(', ')}); ` +
        'migrate into an empty database or a new ?schema=; nothing was copied',
    )
  }
}

/**
 * Drops the indexes no constraint needs and returns their definitions, to
 * be built again once the rows are in: building an index over a whole
 * table is faster than growing it row by row (a third off the copy of 10^6
 * announces), and the transaction puts them back even if the copy fails.
 * Tables with deferred triggers (ledger_lines) keep theirs: PostgreSQL
 * cannot build an index on a table whose trigger events are still pending.
 */
function dropSecondaryIndexes(pg: SqlDatabase): string[] {
  const rows = pg
    .prepare(
      `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
       WHERE i.schemaname = current_schema() AND i.tablename <> 'schema_migrations'
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                         WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
         AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                         WHERE t.tgrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.tablename))::regclass
                           AND t.tgdeferrable)
       ORDER BY i.tablename, i.indexname`,
    )
    .all() as { name: string; definition: string }[]
  for (const r of rows) pg.exec(`DROP INDEX ${r.name}`)
  return rows.map((r) => r.definition)
}

interface TargetColumn {
  name: string
  /** 'ALWAYS' or 'BY DEFAULT' for an identity column, else null. */
  identity: string | null
}

function targetColumns(pg: SqlDatabase, table: string): TargetColumn[] {
  return (
    pg
      .prepare(
        `SELECT column_name AS name, identity_generation AS identity
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = ?
         ORDER BY ordinal_position`,
      )
      .all(table) as { name: string; identity: string | null }[]
  ).map((c) => ({ name: c.name, identity: c.identity }))
}

/**
 * Copies one table in the source's order (rowid order, so ids, postings
 * and the lines of each posting keep theirs) with multi-row INSERTs. A
 * PostgreSQL column `rowid` missing from the SQLite table (ledger_lines)
 * takes SQLite's implicit rowid.
 * @returns the rows copied
 */
function copyTable(
  source: SqliteDatabase,
  pg: SqlDatabase,
  table: string,
  withoutRowid: boolean,
  options: MigrateOptions,
  progress: (text: string) => void,
): number {
  const sourceColumns = (
    source.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]
  ).map((c) => c.name)
  const target = targetColumns(pg, table)
  const missing = sourceColumns.filter((c) => !target.some((t) => t.name === c))
  const extra = target.filter((t) => !sourceColumns.includes(t.name))
  const implicitRowid = extra.length === 1 && extra[0]?.name === 'rowid' && !withoutRowid
  if (missing.length > 0 || (extra.length > 0 && !implicitRowid)) {
    throw new OperatorError(
      `${table} has different columns in the SQLite file (${sourceColumns.join(', ')}) ` +
        `and on PostgreSQL (${target.map((t) => t.name).join(', ')}); nothing was copied`,
    )
  }
  const columns = implicitRowid ? ['rowid', ...sourceColumns] : sourceColumns
  const overriding = target.some((t) => t.identity === 'ALWAYS' && columns.includes(t.name))
  const select = source
    .prepare(`SELECT ${columns.join(', ')} FROM ${table}${withoutRowid ? '' : ' ORDER BY rowid'}`)
    .raw()
    .safeIntegers()
  const perInsert = Math.max(
    1,
    Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / columns.length)),
  )
  const rowSql = `(${columns.map(() => '?').join(', ')})`
  const insertSql = (n: number): string =>
    `INSERT INTO ${table} (${columns.join(', ')})${overriding ? ' OVERRIDING SYSTEM VALUE' : ''} ` +
    `VALUES ${Array.from({ length: n }, () => rowSql).join(', ')}`
  const full = pg.prepare(insertSql(perInsert))
  const every = options.progressEvery ?? DEFAULT_PROGRESS_EVERY
  let copied = 0
  let batch: unknown[] = []
  let inBatch = 0
  const flush = (): void => {
    if (inBatch === 0) return
    ;(inBatch === perInsert ? full : pg.prepare(insertSql(inBatch))).run(...batch)
    const before = copied
    copied += inBatch
    batch = []
    inBatch = 0
    options.afterBatch?.(table, copied, pg)
    if (Math.floor(copied / every) > Math.floor(before / every)) {
      progress(`${table}: ${copied.toLocaleString('en-US')} rows copied\n`)
    }
  }
  for (const row of select.iterate() as Iterable<unknown[]>) {
    for (const v of row) batch.push(v)
    if (++inBatch === perInsert) flush()
  }
  flush()
  const landed = Number(pg.prepare(`SELECT count(*) FROM ${table}`).pluck().get())
  if (landed !== copied) {
    throw new OperatorError(`${table}: copied ${copied} rows but ${landed} arrived; rolled back`)
  }
  return copied
}

/**
 * Moves every identity sequence past the largest id copied, so the next
 * posting, lot, claim or settlement gets a new id instead of a duplicate.
 */
function moveSequences(pg: SqlDatabase): { column: string; next: bigint }[] {
  const identities = pg
    .prepare(
      `SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
       WHERE table_schema = current_schema() AND is_identity = 'YES'
       ORDER BY table_name, column_name`,
    )
    .all() as { table: string; column: string }[]
  return identities.map(({ table, column }) => {
    const next = pg
      .prepare(
        `SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max(${column}), 0) + 1, false) FROM ${table}`,
      )
      .pluck()
      .safeIntegers()
      .get(table, column) as bigint
    return { column: `${table}.${column}`, next }
  })
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}

/** The summary the command prints. */
export function formatMigrateReport(r: MigrateReport, from: string, to: string): string {
  const width = Math.max(...r.tables.map((t) => t.name.length))
  const seconds = r.ms / 1000
  return [
    `migrated ${from} to ${describeDatabase(to)}`,
    ...r.tables.map((t) => `  ${t.name.padEnd(width)}  ${t.rows.toLocaleString('en-US')} rows`),
    `source: ${formatFigures(r.source)}`,
    `target: ${formatFigures(r.target)}`,
    `next ids: ${r.sequences.map((s) => `${s.column} ${s.next}`).join(', ')}`,
    `${r.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s ` +
      `(${Math.round(r.rows / Math.max(seconds, 0.001)).toLocaleString('en-US')} rows/s)`,
    '',
  ].join('\n')
}

interface MigrateFlags {
  db: string
  from?: string
  to?: string
}

export const migrateToPostgresCommand = defineCommand<MigrateFlags>({
  name: 'migrate-to-postgres',
  summary: 'copy a SQLite relay database into an empty PostgreSQL database',
  description:
    'Copies every table of a SQLite relay database (announces, the whole ledger with its ids, API\n' +
    'deposits and withdrawals, tracker credentials, the torrent index) into an empty PostgreSQL\n' +
    'database, in one transaction that commits only if the copy audits exactly like the source\n' +
    '(balances per account and currency, pool, journal totals). Refuses a target that holds relay\n' +
    'data. Stop the relay first: writes made during the copy are not in it.',
  flags: [
    {
      name: 'from',
      valueName: '<file>',
      description: "the relay's SQLite file (required)",
      apply: (o, v) => {
        if (v === '') throw new CliUsageError('--from needs a file path')
        o.from = v
      },
    },
    {
      name: 'to',
      valueName: '<url>',
      description: 'the empty PostgreSQL database, postgres://… (?schema=NAME allowed) (required)',
      apply: (o, v) => {
        o.to = v
      },
    },
  ],
  defaults: {},
  run: ({ from, to }, _args, io) => {
    if (from === undefined || to === undefined) {
      throw new CliUsageError('--from and --to are both required')
    }
    const report = migrateToPostgres({ from, to }, io)
    io.out(formatMigrateReport(report, from, to))
    return 0
  },
})
