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
  if (!isPostgresUrl(spec)) return openDatabase(spec, options)
  const { url, schema } = splitSchema(spec)
  return PgDatabase.open(url, schema === undefined ? {} : { schema })
}

/**
 * A read-only connection to a PostgreSQL read replica (`--db-read`), for
 * REQ queries.
 * @throws PgError when the replica cannot be reached
 */
export function openReadReplica(spec: string): PgDatabase {
  if (!isPostgresUrl(spec)) throw new TypeError('a read replica is a postgres:// URL')
  const { url, schema } = splitSchema(spec)
  return PgDatabase.open(url, { readOnly: true, ...(schema === undefined ? {} : { schema }) })
}

/**
 * `?schema=NAME` on a postgres:// URL puts the relay's tables in that schema
 * (created if missing) instead of `public`, so one database can hold several
 * relays or test runs. libpq itself does not know the parameter, so it is
 * taken off the URL here.
 */
export function splitSchema(spec: string): { url: string; schema?: string } {
  let u: URL
  try {
    u = new URL(spec)
  } catch {
    return { url: spec }
  }
  const schema = u.searchParams.get('schema')
  if (schema === null) return { url: spec }
  u.searchParams.delete('schema')
  return { url: u.toString(), schema }
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
