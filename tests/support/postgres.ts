import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { PgDatabase } from '../../relay/src/store/pg/pg-database'

/**
 * The test cluster's URL, or undefined when PostgreSQL tests are off; then
 * the reason is printed once per file that would have used it.
 */
export function postgresUrl(): string | undefined {
  const url = inject('postgresUrl')
  if (url === '') {
    console.info(`PostgreSQL tests skipped: ${inject('postgresOff')}`)
    return undefined
  }
  return url
}

/** A fresh schema on the test cluster: an empty database as far as the relay can tell. */
export function freshSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`
}

/** A connection to a fresh, empty schema of the test cluster. */
export function openTestPostgres(url: string, schema = freshSchema()): PgDatabase {
  return PgDatabase.open(url, { schema })
}
