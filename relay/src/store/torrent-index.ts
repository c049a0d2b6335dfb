import type { NostrEvent } from 'nostr-tools/core'
import { TORRENT_METADATA } from '../../../src/nostr/kinds'
import type { Filter } from '../core/filters'
import {
  migrate,
  transactionRun,
  type Migration,
  type SqlDatabase,
  type SqlStatement,
} from './database'
import { filterWhere, type FilterColumns } from './filter-sql'
import { tellOtherProcesses } from './pg/event-feed'
import { indexedTags } from './sqlite-store'

/** Why an event was not added; a refusal becomes `OK false "blocked: …"`. */
export type TorrentPutResult = 'stored' | 'duplicate' | 'index-full' | 'author-full'

/**
 * NIP-35 torrent events (kind 2003), kept so that `REQ {"kinds":[2003],"#x":[…]}`
 * answers what a torrent is called and how big it is. Regular events: every
 * one is kept (no replacement), up to the caps.
 */
export interface TorrentIndex {
  has(id: string): Promise<boolean>
  /** Adds a validated, signature-checked event whose `x` tag is `infoHash`. */
  put(ev: NostrEvent, infoHash: string): Promise<TorrentPutResult>
  /** Events matching the filter, newest first (ties by id), at most `limit`. */
  query(filter: Filter, limit: number): Promise<NostrEvent[]>
}

export interface TorrentIndexLimits {
  /** Events kept in all; beyond it new ones are refused, never old ones dropped. */
  maxEvents: number
  /** Events kept per author, so one key cannot fill the index. */
  maxPerAuthor: number
}

export const DEFAULT_TORRENT_INDEX_LIMITS: Readonly<TorrentIndexLimits> = Object.freeze({
  maxEvents: 1_000_000,
  maxPerAuthor: 10_000,
})

/** Migration component name in schema_migrations. */
export const TORRENT_INDEX_COMPONENT = 'torrent-index'

export const TORRENT_INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE torrents (
        id TEXT PRIMARY KEY,
        pubkey TEXT NOT NULL,
        info_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        event TEXT NOT NULL
      ) STRICT;
      CREATE INDEX torrents_by_info_hash ON torrents (info_hash, created_at);
      CREATE INDEX torrents_by_pubkey ON torrents (pubkey, created_at);
      CREATE INDEX torrents_by_created_at ON torrents (created_at);
      CREATE TABLE torrent_tags (
        torrent_id TEXT NOT NULL REFERENCES torrents (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
      CREATE INDEX torrent_tags_by_value ON torrent_tags (name, value);
    `,
  },
]

/** Kind 2003 only (the caller checks `kinds`); `#x` is the info_hash column. */
const TORRENT_COLUMNS: FilterColumns = {
  alias: 't',
  tagInColumn: { letter: 'x', column: 'info_hash' },
  tagTable: { table: 'torrent_tags', idColumn: 'torrent_id' },
}

/**
 * The torrent index on the relay's SQLite file. `#x` filters use the
 * info_hash column; other single-letter tags (NIP-35 clients search by `t`
 * and `i`) go through torrent_tags.
 */
export class SqliteTorrentIndex implements TorrentIndex {
  private readonly statements = new Map<string, SqlStatement>()
  private readonly limits: TorrentIndexLimits

  constructor(
    private readonly db: SqlDatabase,
    limits: Partial<TorrentIndexLimits> = {},
  ) {
    this.limits = { ...DEFAULT_TORRENT_INDEX_LIMITS, ...limits }
    for (const [name, v] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new RangeError(`torrent index ${name} must be a positive integer`)
      }
    }
    migrate(db, TORRENT_INDEX_COMPONENT, TORRENT_INDEX_MIGRATIONS)
  }

  has(id: string): Promise<boolean> {
    return Promise.resolve(this.stmt('SELECT 1 FROM torrents WHERE id = ?').get(id) !== undefined)
  }

  put(ev: NostrEvent, infoHash: string): Promise<TorrentPutResult> {
    return Promise.resolve(
      transactionRun(this.db).deferred((): TorrentPutResult => {
        if (this.stmt('SELECT 1 FROM torrents WHERE id = ?').get(ev.id) !== undefined) {
          return 'duplicate'
        }
        const count = (sql: string, ...p: string[]): number =>
          this.stmt(sql)
            .pluck()
            .get(...p) as number
        if (count('SELECT count(*) FROM torrents') >= this.limits.maxEvents) return 'index-full'
        if (
          count('SELECT count(*) FROM torrents WHERE pubkey = ?', ev.pubkey) >=
          this.limits.maxPerAuthor
        ) {
          return 'author-full'
        }
        this.stmt(
          'INSERT INTO torrents (id, pubkey, info_hash, created_at, event) VALUES (?, ?, ?, ?, ?)',
        ).run(ev.id, ev.pubkey, infoHash, ev.created_at, JSON.stringify(ev))
        const tag = this.stmt('INSERT INTO torrent_tags (torrent_id, name, value) VALUES (?, ?, ?)')
        for (const [name, value] of indexedTags(ev, 'x')) tag.run(ev.id, name, value)
        tellOtherProcesses(this.db, ev)
        return 'stored'
      }),
    )
  }

  query(filter: Filter, limit: number): Promise<NostrEvent[]> {
    if (filter.kinds !== undefined && !filter.kinds.has(TORRENT_METADATA)) {
      return Promise.resolve([])
    }
    const { where, params } = filterWhere(filter, TORRENT_COLUMNS)
    params.push(limit)
    const sql = `SELECT t.event FROM torrents t ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY t.created_at DESC, t.id ASC LIMIT ?`
    const rows = this.stmt(sql)
      .pluck()
      .all(...params) as string[]
    return Promise.resolve(rows.map((json) => JSON.parse(json) as NostrEvent))
  }

  private stmt(sql: string): SqlStatement {
    let s = this.statements.get(sql)
    if (s === undefined) {
      s = this.db.prepare(sql)
      this.statements.set(sql, s)
    }
    return s
  }
}
