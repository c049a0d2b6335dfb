/**
 * The API's own tables, in the relay's SQLite file next to the ledger's.
 * They hold what the ledger has no place for: which pubkey an invoice was
 * issued to, the invoice itself, the swap a deposit asked for, and the
 * Lightning outcome of a withdrawal. Money only moves in the ledger.
 */
import { migrate, type Migration, type SqlDatabase } from '../store/database'

export const API_COMPONENT = 'api'

export const API_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE api_deposits (
        payment_hash TEXT PRIMARY KEY CHECK (length(payment_hash) = 64),
        pubkey TEXT NOT NULL CHECK (length(pubkey) = 64),
        amount_sat INTEGER NOT NULL CHECK (amount_sat > 0),
        invoice TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        -- Decimal string; NULL when the deposit should stay in sats.
        swap_min_out TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'credited', 'expired', 'failed')),
        credited_sat INTEGER,
        credited_at INTEGER,
        swap_state TEXT CHECK (swap_state IN ('done', 'failed')),
        swap_amount_out INTEGER,
        swap_error TEXT
      ) STRICT;
      CREATE INDEX api_deposits_by_pubkey ON api_deposits (pubkey, state, expires_at);
      CREATE INDEX api_deposits_by_state ON api_deposits (state, expires_at);

      CREATE TABLE api_withdrawals (
        payment_hash TEXT PRIMARY KEY CHECK (length(payment_hash) = 64),
        pubkey TEXT NOT NULL CHECK (length(pubkey) = 64),
        invoice TEXT NOT NULL,
        amount_sat INTEGER NOT NULL CHECK (amount_sat > 0),
        fee_reserve_sat INTEGER NOT NULL CHECK (fee_reserve_sat >= 0),
        invoice_expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),
        preimage TEXT,
        fee_paid_sat INTEGER,
        -- Why it failed, or why its outcome is still unknown.
        detail TEXT,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX api_withdrawals_by_state ON api_withdrawals (state, created_at);
    `,
  },
  {
    // NIP-98 auth event ids already accepted, until their window closes:
    // shared by the relay processes of one PostgreSQL database (shared-replay-guard.ts).
    version: 2,
    up: `
      CREATE TABLE api_auth_seen (
        event_id TEXT PRIMARY KEY CHECK (length(event_id) = 64),
        until INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX api_auth_seen_by_until ON api_auth_seen (until);
    `,
  },
]

/** Creates or upgrades the API tables; idempotent. */
export function migrateApi(db: SqlDatabase): number[] {
  return migrate(db, API_COMPONENT, API_MIGRATIONS)
}
