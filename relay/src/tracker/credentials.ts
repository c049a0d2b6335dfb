/**
 * Tracker credentials: the secret in a personal tracker URL
 * (`/t/<credential>/announce`). A desktop client repeats that URL, with its
 * own query appended, for as long as the torrent lives, so the secret must be
 * long-lived and cannot be a NIP-98 token (docs/tracker.md). Each one is
 * bound to one pubkey, whose ledger account its announces are charged to.
 *
 * - 144 random bits, written as 24 base64url characters: unguessable, and
 *   nothing in it needs escaping in a URL or a .torrent file.
 * - Only SHA-256 of it is stored. Hashing needs no salt or slow KDF: the
 *   input has full entropy, so there is nothing to brute-force.
 * - Revocation takes effect on the next announce: the in-memory cache is
 *   updated by the same object that writes the table.
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto'
import { migrate, transactionRun, type Migration, type SqlDatabase } from '../store/database'

export const TRACKER_COMPONENT = 'tracker'

export const TRACKER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE tracker_credentials (
        id TEXT PRIMARY KEY CHECK (length(id) = 16),
        -- SHA-256 of the credential; the credential itself is never stored.
        secret_hash BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
        pubkey TEXT NOT NULL CHECK (length(pubkey) = 64),
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX tracker_credentials_by_pubkey ON tracker_credentials (pubkey, revoked_at);
    `,
  },
]

/** Random bytes in a credential: ≥ 128 bits, and a multiple of 3 so base64url needs no padding. */
export const CREDENTIAL_BYTES = 18
/** What a credential looks like in a URL; anything else is unknown without a database read. */
export const CREDENTIAL_PATTERN = /^[A-Za-z0-9_-]{24}$/
/** Active credentials one pubkey may hold. */
export const DEFAULT_MAX_PER_PUBKEY = 20
export const MAX_LABEL_CHARS = 64

export interface IssuedCredential {
  id: string
  /** The secret. Returned once, at issue; only its hash is kept. */
  credential: string
  label: string
  createdAt: number
}

export interface CredentialInfo {
  id: string
  label: string
  createdAt: number
  /** Unix seconds of the latest announce or scrape with it, to the minute; null if never used. */
  lastUsedAt: number | null
}

/** Who a credential belongs to. */
export interface CredentialOwner {
  id: string
  pubkey: string
}

/** Why a credential was not issued; the API maps `code` onto its answer. */
export class CredentialError extends Error {
  override name = 'CredentialError'
  constructor(
    readonly code: 'too_many_credentials' | 'invalid_label',
    message: string,
  ) {
    super(message)
  }
}

export interface TrackerCredentialsOptions {
  maxPerPubkey?: number
  randomBytes?: (n: number) => Uint8Array
  /** Owners remembered in memory; every announce looks its credential up. */
  cacheSize?: number
}

interface Cached extends CredentialOwner {
  /** Unix seconds `last_used_at` was last written for this credential by this process. */
  touched: number
}

/** `last_used_at` is written at most this often per credential: it is for people, not accounting. */
const TOUCH_EVERY_SECONDS = 60
const HEX64 = /^[0-9a-f]{64}$/
const ID_PATTERN = /^[0-9a-f]{16}$/

/** Issues, lists, revokes and resolves tracker credentials over the relay's database. */
export class TrackerCredentials {
  private readonly maxPerPubkey: number
  private readonly randomBytes: (n: number) => Uint8Array
  private readonly cacheSize: number
  private readonly cache = new Map<string, Cached>()
  private readonly stmt
  private readonly db: SqlDatabase

  constructor(db: SqlDatabase, options: TrackerCredentialsOptions = {}) {
    migrate(db, TRACKER_COMPONENT, TRACKER_MIGRATIONS)
    this.maxPerPubkey = options.maxPerPubkey ?? DEFAULT_MAX_PER_PUBKEY
    this.randomBytes = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)))
    this.cacheSize = options.cacheSize ?? 10_000
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO tracker_credentials (id, secret_hash, pubkey, label, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      active: db
        .prepare('SELECT count(*) FROM tracker_credentials WHERE pubkey = ? AND revoked_at IS NULL')
        .pluck(),
      list: db.prepare(
        `SELECT id, label, created_at AS "createdAt", last_used_at AS "lastUsedAt"
         FROM tracker_credentials WHERE pubkey = ? AND revoked_at IS NULL
         ORDER BY created_at, id`,
      ),
      byHash: db.prepare(
        `SELECT id, pubkey FROM tracker_credentials
         WHERE secret_hash = ? AND revoked_at IS NULL`,
      ),
      revoke: db.prepare(
        `UPDATE tracker_credentials SET revoked_at = ?
         WHERE id = ? AND pubkey = ? AND revoked_at IS NULL`,
      ),
      touch: db.prepare('UPDATE tracker_credentials SET last_used_at = ? WHERE id = ?'),
    }
    this.db = db
  }

  /**
   * A new credential for `pubkey`.
   * @throws CredentialError `too_many_credentials`, `invalid_label`
   */
  issue(pubkey: string, label: string, now: number): IssuedCredential {
    if (!HEX64.test(pubkey)) throw new TypeError('pubkey must be 64 lowercase hex chars')
    checkLabel(label)
    // The count and the insert share the write lock, so parallel requests cannot pass the cap.
    return transactionRun(this.db).immediate(() => {
      const active = this.stmt.active.get(pubkey) as number
      if (active >= this.maxPerPubkey) {
        throw new CredentialError(
          'too_many_credentials',
          `a key may hold ${this.maxPerPubkey} tracker credentials; revoke one first`,
        )
      }
      const credential = base64url(this.bytes(CREDENTIAL_BYTES))
      const id = Buffer.from(this.bytes(8)).toString('hex')
      this.stmt.insert.run(id, hashCredential(credential), pubkey, label, now)
      return { id, credential, label, createdAt: now }
    })
  }

  /** A pubkey's active credentials, oldest first. The secrets themselves are not known. */
  list(pubkey: string): CredentialInfo[] {
    return this.stmt.list.all(pubkey) as CredentialInfo[]
  }

  /** Revokes one of `pubkey`'s credentials. False when it has no active credential `id`. */
  revoke(pubkey: string, id: string, now: number): boolean {
    if (!ID_PATTERN.test(id)) return false
    const changed = this.stmt.revoke.run(now, id, pubkey).changes > 0
    if (changed) {
      for (const [hash, owner] of this.cache) if (owner.id === id) this.cache.delete(hash)
    }
    return changed
  }

  /**
   * The owner of an active credential, or undefined for an unknown, revoked
   * or malformed one. Notes the use (at most once a minute per credential).
   */
  resolve(credential: string, now: number): CredentialOwner | undefined {
    if (!CREDENTIAL_PATTERN.test(credential)) return undefined
    const hash = hashCredential(credential)
    const key = hash.toString('hex')
    let owner = this.cache.get(key)
    if (owner === undefined) {
      const row = this.stmt.byHash.get(hash) as CredentialOwner | undefined
      // Unknown credentials are not cached: a flood of guesses must not grow memory.
      if (row === undefined) return undefined
      // Bounded: a full cache starts over rather than growing.
      if (this.cache.size >= this.cacheSize) this.cache.clear()
      owner = { id: row.id, pubkey: row.pubkey, touched: 0 }
      this.cache.set(key, owner)
    }
    if (now - owner.touched >= TOUCH_EVERY_SECONDS) {
      owner.touched = now
      this.stmt.touch.run(now, owner.id)
    }
    return { id: owner.id, pubkey: owner.pubkey }
  }

  private bytes(n: number): Uint8Array {
    const b = this.randomBytes(n)
    if (b.length !== n) throw new Error('random source returned too few bytes')
    return b
  }
}

/** SHA-256 of the credential's ASCII text. */
export function hashCredential(credential: string): Buffer {
  return createHash('sha256').update(credential, 'latin1').digest()
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

function checkLabel(label: string): void {
  // Printable text without controls, so it shows as it was typed in every list.
  // eslint-disable-next-line no-control-regex
  if (label.length > MAX_LABEL_CHARS || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new CredentialError(
      'invalid_label',
      `label must be at most ${MAX_LABEL_CHARS} characters, without control characters`,
    )
  }
}
