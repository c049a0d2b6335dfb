import { openDatabase, type OpenDatabaseOptions, type SqlDatabase } from './database'
import { PgDatabase } from './pg/pg-database'

/** `postgres://…` or `postgresql://…`: what selects the PostgreSQL backend. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec)
}

/**
 * The relay's database from its `--db` value: a PostgreSQL server for a
 * `postgres://` URL, otherwise a SQLite file (created with its folder).
 * `synchronous` applies to SQLite only; PostgreSQL's durability is the
 * server's `synchronous_commit`.
 * @throws PgError when the PostgreSQL server cannot be reached
 */
export function openRelayDatabase(spec: string, options: OpenDatabaseOptions = {}): SqlDatabase {
  return isPostgresUrl(spec) ? PgDatabase.open(spec) : openDatabase(spec, options)
}

/** How logs and errors name the database: the URL without its password. */
export function describeDatabase(spec: string): string {
  if (!isPostgresUrl(spec)) return spec
  try {
    const u = new URL(spec)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}
