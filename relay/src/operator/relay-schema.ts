/**
 * Every component's schema steps, in the order the relay creates them. A
 * command that must bring a whole relay database up to date (the migration
 * to PostgreSQL) runs these rather than opening each component.
 */
import { API_COMPONENT, API_MIGRATIONS } from '../api/schema'
import { LEDGER_COMPONENT, LEDGER_MIGRATIONS } from '../ledger/schema'
import { migrate, type Migration, type SqlDatabase } from '../store/database'
import { ANNOUNCE_MIGRATIONS, ANNOUNCE_STORE_COMPONENT } from '../store/sqlite-store'
import { TORRENT_INDEX_COMPONENT, TORRENT_INDEX_MIGRATIONS } from '../store/torrent-index'
import { TRACKER_COMPONENT, TRACKER_MIGRATIONS } from '../tracker/credentials'

export const RELAY_COMPONENTS: readonly { component: string; migrations: readonly Migration[] }[] =
  [
    { component: ANNOUNCE_STORE_COMPONENT, migrations: ANNOUNCE_MIGRATIONS },
    { component: LEDGER_COMPONENT, migrations: LEDGER_MIGRATIONS },
    { component: API_COMPONENT, migrations: API_MIGRATIONS },
    { component: TRACKER_COMPONENT, migrations: TRACKER_MIGRATIONS },
    { component: TORRENT_INDEX_COMPONENT, migrations: TORRENT_INDEX_MIGRATIONS },
  ]

/** Brings every relay table in `db` up to this build's schema; cheap when it already is. */
export function migrateRelaySchema(db: SqlDatabase): void {
  for (const { component, migrations } of RELAY_COMPONENTS) migrate(db, component, migrations)
}
