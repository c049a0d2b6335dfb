import Database from 'better-sqlite3'
import { afterEach } from 'vitest'
import type { SqlDatabase } from '../../relay/src/store/database'
import { openTestPostgres, postgresUrl } from './postgres'

/** A database the relay can run on, as a test opens it: empty every time. */
export interface TestBackend {
  name: 'SQLite' | 'PostgreSQL'
  open: () => SqlDatabase
}

/**
 * SQLite in memory, and PostgreSQL on the run's throwaway cluster unless
 * PostgreSQL tests are off. Call at the top of a test file: every database a
 * test opened is closed after it.
 */
export function testBackends(): TestBackend[] {
  const opened: SqlDatabase[] = []
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close()
  })
  const track = (db: SqlDatabase) => {
    opened.push(db)
    return db
  }
  const backends: TestBackend[] = [{ name: 'SQLite', open: () => track(new Database(':memory:')) }]
  const url = postgresUrl()
  if (url !== undefined) {
    backends.push({ name: 'PostgreSQL', open: () => track(openTestPostgres(url)) })
  }
  return backends
}
