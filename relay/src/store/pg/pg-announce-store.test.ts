import { describe } from 'vitest'
import { openTestPostgres, postgresUrl } from '../../../../tests/support/postgres'
import { announceStoreContract } from '../announce-store.contract'
import { SqliteAnnounceStore } from '../sqlite-store'

const url = postgresUrl()

describe.skipIf(url === undefined)('the announce store on PostgreSQL', () => {
  // The same store code, on a PostgreSQL connection instead of a SQLite file.
  announceStoreContract('SqliteAnnounceStore on PostgreSQL', () => {
    return new SqliteAnnounceStore(openTestPostgres(url as string), true)
  })
})
