import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export type SqliteDatabase = Database.Database

/** One schema step. Versions count up from 1 per component and never change once shipped. */
export interface Migration {
  version: number
  up: string | ((db: SqliteDatabase) => void)
}

/**
 * Opens (and creates, with its folder) a SQLite file tuned for the relay: WAL
 * so readers never block the writer, `synchronous=NORMAL` because WAL keeps
 * the file consistent across a crash and only the last commits can be lost,
 * and foreign keys on. `:memory:` works for tests.
 */
export function openDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:' && !path.startsWith('file:')) {
    mkdirSync(dirname(path), { recursive: true })
  }
  const db = new Database(path)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

/**
 * Applies a component's pending migrations in order, each in its own
 * transaction. Components (announce store, ledger, …) share one file, so the
 * applied versions are recorded per component name rather than in the single
 * `user_version`.
 *
 * @returns the versions applied now
 */
export function migrate(
  db: SqliteDatabase,
  component: string,
  migrations: readonly Migration[],
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  ) STRICT`)
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`${component} migrations must be numbered 1..n; found version ${m.version}`)
    }
  })
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations WHERE component = ?')
      .pluck()
      .all(component) as number[],
  )
  const newest = Math.max(0, ...applied)
  if (newest > sorted.length) {
    throw new Error(
      `database has ${component} schema version ${newest}, newer than this build knows (${sorted.length})`,
    )
  }
  const record = db.prepare(
    'INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)',
  )
  const done: number[] = []
  for (const m of sorted) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      record.run(component, m.version, Math.floor(Date.now() / 1000))
    })()
    done.push(m.version)
  }
  return done
}
