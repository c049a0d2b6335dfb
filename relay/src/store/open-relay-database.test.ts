import { describe, expect, it } from 'vitest'
import { freshSchema, postgresUrl } from '../../../tests/support/postgres'
import { isPostgres } from './database'
import {
  describeDatabase,
  isPostgresUrl,
  openRelayDatabase,
  splitSchema,
} from './open-relay-database'
import { PgDatabase } from './pg/pg-database'

describe('openRelayDatabase', () => {
  it('tells a postgres:// URL from a file', () => {
    expect(isPostgresUrl('postgres://h/db')).toBe(true)
    expect(isPostgresUrl('postgresql://h/db')).toBe(true)
    expect(isPostgresUrl('data/postgres.sqlite')).toBe(false)
    const db = openRelayDatabase(':memory:')
    expect(isPostgres(db)).toBe(false)
    db.close()
  })

  it('takes ?schema= off the URL and hides the password in logs', () => {
    expect(splitSchema('postgres://u@h:5/db?schema=relay_a&sslmode=disable')).toEqual({
      url: 'postgres://u@h:5/db?sslmode=disable',
      schema: 'relay_a',
    })
    expect(splitSchema('postgres://u@h/db')).toEqual({ url: 'postgres://u@h/db' })
    expect(describeDatabase('postgres://u:secret@h/db')).toBe('postgres://u:***@h/db')
    expect(describeDatabase('data/r.sqlite')).toBe('data/r.sqlite')
  })

  const url = postgresUrl()
  it.skipIf(url === undefined)('opens PostgreSQL in the schema the URL names', () => {
    const schema = freshSchema()
    const db = openRelayDatabase(`${url as string}?schema=${schema}`)
    try {
      expect(db).toBeInstanceOf(PgDatabase)
      expect(db instanceof PgDatabase && db.schema).toBe(schema)
      expect(db.prepare('SELECT current_schema()').pluck().get()).toBe(schema)
    } finally {
      db.close()
    }
  })
})
