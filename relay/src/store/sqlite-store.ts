import type { NostrEvent } from 'nostr-tools/core'
import type { Filter } from '../core/filters'
import { filterWhere, type FilterColumns } from './filter-sql'
import { tellOtherProcesses } from './pg/event-feed'
import {
  announceKeyString,
  isNewer,
  type AnnounceKey,
  type AnnounceStore,
  type AnnounceWrites,
  type PutResult,
  type StoredAnnounce,
} from './announce-store'
import {
  isPostgres,
  migrate,
  openDatabase,
  readAhead,
  runLater,
  scoped,
  transactionRun,
  type Migration,
  type OpenDatabaseOptions,
  type SqlDatabase,
  type SqlStatement,
} from './database'

/** The row an announce key holds, expired or not. */
const CURRENT_ROW = `SELECT id, created_at, expires_at, event FROM announces
  WHERE pubkey = ? AND info_hash = ? AND session = ?`

/** Migration component name of the announce tables in schema_migrations. */
export const ANNOUNCE_STORE_COMPONENT = 'announce-store'

/**
 * `i` is not in announce_tags: an announce has exactly one `i` tag and it is
 * the info_hash column, which `#i` queries use directly.
 */
export const ANNOUNCE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE announces (
        id TEXT PRIMARY KEY,
        pubkey TEXT NOT NULL,
        info_hash TEXT NOT NULL,
        session TEXT NOT NULL,
        kind INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        event TEXT NOT NULL,
        UNIQUE (pubkey, info_hash, session)
      ) STRICT;
      CREATE INDEX announces_by_info_hash ON announces (info_hash, created_at);
      CREATE INDEX announces_by_pubkey ON announces (pubkey, created_at);
      CREATE INDEX announces_by_created_at ON announces (created_at);
      CREATE INDEX announces_by_expiry ON announces (expires_at);
      CREATE TABLE announce_tags (
        announce_id TEXT NOT NULL REFERENCES announces (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
      CREATE INDEX announce_tags_by_value ON announce_tags (name, value);
      CREATE INDEX announce_tags_by_announce ON announce_tags (announce_id);
    `,
  },
  {
    // The (pubkey, info_hash, session) key already serves `authors` filters.
    // A second index keyed by pubkey cost a random page write per stored
    // announce (docs/performance.md).
    version: 2,
    up: 'DROP INDEX IF EXISTS announces_by_pubkey',
  },
  {
    // The index now holds the whole order of a query (created_at DESC, then
    // id), so SQLite stops reading a swarm once `limit` rows are in hand
    // instead of sorting every announce of a large swarm: 25 ms to 0.4 ms for
    // a swarm of 10,000 in a store of 10^6 (docs/performance.md).
    version: 3,
    up: `
      DROP INDEX IF EXISTS announces_by_info_hash;
      CREATE INDEX announces_by_info_hash ON announces (info_hash, created_at DESC, id);
    `,
  },
]

const ANNOUNCE_COLUMNS: FilterColumns = {
  alias: 'a',
  kindColumn: 'kind',
  tagInColumn: { letter: 'i', column: 'info_hash' },
  tagTable: { table: 'announce_tags', idColumn: 'announce_id' },
}

interface CurrentRow {
  id: string
  created_at: number
  expires_at: number
  event: string
}

/**
 * The announce store in SQL, written for SQLite (better-sqlite3) and run
 * unchanged on PostgreSQL through the same calls (store/pg/). Construct it
 * on a database the caller opened to share it with other components (the
 * ledger); `SqliteAnnounceStore.open(path)` opens a SQLite file the store
 * owns and closes.
 */
export class SqliteAnnounceStore implements AnnounceStore {
  private readonly statements = new Map<string, SqlStatement>()

  /** Statements prepared on the read replica, when there is one. */
  private readonly readStatements = new Map<string, SqlStatement>()

  /**
   * @param db an open database; migrations run here.
   * @param ownsDatabase whether `close()` also closes `db`.
   * @param reader a read replica of `db` that REQ queries (`query`) go to
   *   instead; the caller closes it. Writes and the reads they depend on
   *   stay on `db`.
   */
  constructor(
    readonly db: SqlDatabase,
    private readonly ownsDatabase = false,
    private readonly reader?: SqlDatabase,
  ) {
    migrate(db, ANNOUNCE_STORE_COMPONENT, ANNOUNCE_MIGRATIONS)
    // In the constructor, not a field initializer: it needs `db` assigned.
    this.writes = this.syncWrites()
  }

  /** Opens (creating if needed) the file at `path` and a store that owns it. */
  static open(path: string, options: OpenDatabaseOptions = {}): SqliteAnnounceStore {
    const db = openDatabase(path, options)
    try {
      return new SqliteAnnounceStore(db, true)
    } catch (err) {
      db.close()
      throw err
    }
  }

  /**
   * The synchronous operations the relay's group commit uses. Another
   * component writing on this same `db` handle (the ledger) joins the group's
   * transaction; a second connection to the file would wait on its lock instead.
   */
  readonly writes: AnnounceWrites

  hasId(id: string, now: number): Promise<boolean> {
    return Promise.resolve(this.hasIdNow(id, now))
  }

  current(key: AnnounceKey, now: number): Promise<StoredAnnounce | undefined> {
    return Promise.resolve(this.currentNow(key, now))
  }

  put(entry: StoredAnnounce, now: number): Promise<PutResult> {
    return Promise.resolve(transactionRun(this.db).deferred(() => this.putNow(entry, now)))
  }

  query(filter: Filter, now: number, limit: number): Promise<NostrEvent[]> {
    const { where, params } = filterWhere(filter, ANNOUNCE_COLUMNS)
    where.unshift('a.expires_at > ?')
    params.unshift(now)
    params.push(limit)
    const sql = `SELECT a.event FROM announces a WHERE ${where.join(' AND ')}
      ORDER BY a.created_at DESC, a.id ASC LIMIT ?`
    const statement =
      this.reader === undefined
        ? this.stmt(sql)
        : cached(this.readStatements, sql, () => (this.reader as SqlDatabase).prepare(sql))
    const rows = statement.pluck().all(...params) as string[]
    return Promise.resolve(rows.map((json) => JSON.parse(json) as NostrEvent))
  }

  pruneExpired(now: number): Promise<number> {
    return Promise.resolve(
      this.stmt('DELETE FROM announces WHERE expires_at <= ?').run(now).changes,
    )
  }

  close(): Promise<void> {
    this.statements.clear()
    this.readStatements.clear()
    if (this.ownsDatabase && this.db.open) this.db.close()
    return Promise.resolve()
  }

  private syncWrites(): AnnounceWrites {
    const db = this.db
    const run = transactionRun(db)
    return {
      // IMMEDIATE takes the write lock up front, so a group never fails halfway
      // on a lock upgrade; nested calls are savepoints whatever the mode.
      transaction: <T>(fn: () => T): T => run.immediate(fn),
      get inTransaction(): boolean {
        return db.inTransaction
      },
      // Only PostgreSQL does anything with a unit's keys; without scoped, the
      // group commit runs SQLite's units in submission order, as it always has.
      ...(isPostgres(db)
        ? { scoped: <T>(keys: readonly string[], fn: () => T) => scoped(db, keys, fn) }
        : {}),
      hasId: (id, now) => this.hasIdNow(id, now),
      current: (key, now) => this.currentNow(key, now),
      currentMany: (keys, now) => this.currentManyNow(keys, now),
      put: (entry, now) => run.deferred(() => this.putNow(entry, now)),
      replace: (entry) => {
        run.deferred(() => {
          this.replaceNow(entry)
        })
      },
      readAheadCurrent: (key) => {
        readAhead(this.stmt(CURRENT_ROW), key.pubkey, key.infoHash, key.session)
      },
    }
  }

  private hasIdNow(id: string, now: number): boolean {
    return (
      this.stmt('SELECT 1 FROM announces WHERE id = ? AND expires_at > ?').get(id, now) !==
      undefined
    )
  }

  private currentNow(key: AnnounceKey, now: number): StoredAnnounce | undefined {
    const row = this.currentRow(key)
    return row === undefined ? undefined : storedOf(key, row, now)
  }

  /**
   * SQLite looks each key up: in-process, that is as cheap as it gets. On
   * PostgreSQL, one statement per {@link MANY_KEYS} keys, each a round trip.
   * Its sizes are powers of two (the last key repeats to fill one), so a
   * handful of statements serve every batch.
   */
  private currentManyNow(
    keys: readonly AnnounceKey[],
    now: number,
  ): (StoredAnnounce | undefined)[] {
    if (!isPostgres(this.db)) return keys.map((key) => this.currentNow(key, now))
    const found = new Map<string, StoredAnnounce>()
    for (let at = 0; at < keys.length; at += MANY_KEYS) {
      const chunk = keys.slice(at, at + MANY_KEYS)
      let size = 1
      while (size < chunk.length) size *= 2
      const values = Array.from({ length: size }, () => '(?, ?, ?)').join(', ')
      const params = Array.from({ length: size }, (_, i) => {
        const k = chunk[Math.min(i, chunk.length - 1)] as AnnounceKey
        return [k.pubkey, k.infoHash, k.session]
      }).flat()
      const rows = this.stmt(
        `SELECT pubkey, info_hash, session, created_at, expires_at, event FROM announces
         WHERE (pubkey, info_hash, session) IN (VALUES ${values})`,
      ).all(...params) as (StoredRow & { pubkey: string; info_hash: string; session: string })[]
      for (const row of rows) {
        const key = { pubkey: row.pubkey, infoHash: row.info_hash, session: row.session }
        const stored = storedOf(key, row, now)
        if (stored !== undefined) found.set(announceKeyString(key), stored)
      }
    }
    return keys.map((key) => found.get(announceKeyString(key)))
  }

  /** Stores unless a newer unexpired announce holds the key; call inside a transaction. */
  private putNow(entry: StoredAnnounce, now: number): PutResult {
    const ev = entry.event
    const old = this.currentRow({ pubkey: ev.pubkey, ...keyOf(entry) })
    if (old !== undefined) {
      const oldEvent = { id: old.id, created_at: old.created_at } as NostrEvent
      if (old.expires_at > now && !isNewer(ev, oldEvent)) return 'stale'
    }
    this.replaceNow(entry)
    return 'stored'
  }

  /**
   * Stores in place of whatever holds the key (its tags go by the cascade).
   * Every write waits for the next statement on PostgreSQL (runLater).
   */
  private replaceNow(entry: StoredAnnounce): void {
    const ev = entry.event
    runLater(
      this.stmt('DELETE FROM announces WHERE pubkey = ? AND info_hash = ? AND session = ?'),
      ev.pubkey,
      entry.infoHash,
      entry.session,
    )
    runLater(
      this.stmt(
        `INSERT INTO announces (id, pubkey, info_hash, session, kind, created_at, expires_at, event)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      ev.id,
      ev.pubkey,
      entry.infoHash,
      entry.session,
      ev.kind,
      ev.created_at,
      entry.expiresAt,
      JSON.stringify(ev),
    )
    const insertTag = this.stmt(
      'INSERT INTO announce_tags (announce_id, name, value) VALUES (?, ?, ?)',
    )
    for (const [name, value] of indexedTags(ev, 'i')) runLater(insertTag, ev.id, name, value)
    tellOtherProcesses(this.db, ev)
  }

  private currentRow(key: AnnounceKey): CurrentRow | undefined {
    return this.stmt(CURRENT_ROW).get(key.pubkey, key.infoHash, key.session) as
      CurrentRow | undefined
  }

  private stmt(sql: string): SqlStatement {
    return cached(this.statements, sql, () => this.db.prepare(sql))
  }
}

/** What a stored announce is rebuilt from, with its key. */
type StoredRow = Pick<CurrentRow, 'expires_at' | 'event'>

/** Keys per statement of currentMany on PostgreSQL: 768 parameters. */
const MANY_KEYS = 256

/** The stored announce a row of `key` holds, undefined once it expired. */
function storedOf(key: AnnounceKey, row: StoredRow, now: number): StoredAnnounce | undefined {
  if (row.expires_at <= now) return undefined
  return {
    event: JSON.parse(row.event) as NostrEvent,
    infoHash: key.infoHash,
    session: key.session,
    expiresAt: row.expires_at,
  }
}

function cached(
  map: Map<string, SqlStatement>,
  sql: string,
  prepare: () => SqlStatement,
): SqlStatement {
  let s = map.get(sql)
  if (s === undefined) {
    s = prepare()
    map.set(sql, s)
  }
  return s
}

function keyOf(entry: StoredAnnounce): Omit<AnnounceKey, 'pubkey'> {
  return { infoHash: entry.infoHash, session: entry.session }
}

/**
 * First values of single-letter tags other than `except` (a table keeps
 * that one in a column of its own), without repeats: what `#x` filters
 * search.
 */
export function indexedTags(ev: NostrEvent, except: string): [string, string][] {
  const seen = new Set<string>()
  const out: [string, string][] = []
  for (const [name, value] of ev.tags) {
    if (name === undefined || value === undefined || name === except || !/^[a-zA-Z]$/.test(name)) {
      continue
    }
    const k = `${name}\u0000${value}`
    if (seen.has(k)) continue
    seen.add(k)
    out.push([name, value])
  }
  return out
}
