/**
 * The ledger's tables, all prefixed `ledger_`, so the ledger shares the relay's
 * SQLite file with other components. Versions are recorded under the
 * component name `ledger` and never change once shipped.
 */
import { migrate, type Migration, type SqliteDatabase } from '../store/database'
import { backfillSpending, DAY_SECONDS } from './spending-limits'

/** Name under which the ledger's schema versions are recorded. */
export const LEDGER_COMPONENT = 'ledger'

// ±2^62: the documented range of every amount and balance (docs/ledger.md).
const MAX = '4611686018427387904'

const JOURNAL = `
CREATE TABLE ledger_postings (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  ref TEXT NOT NULL UNIQUE,
  at INTEGER NOT NULL,
  memo TEXT
) STRICT;

CREATE TABLE ledger_lines (
  posting_id INTEGER NOT NULL REFERENCES ledger_postings(id),
  account TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (currency IN ('TSEED', 'sat')),
  amount INTEGER NOT NULL CHECK (amount <> 0 AND amount BETWEEN -${MAX} AND ${MAX}),
  PRIMARY KEY (posting_id, account, currency)
) STRICT;
CREATE INDEX ledger_lines_by_account ON ledger_lines (account, posting_id);

CREATE TABLE ledger_balances (
  account TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (currency IN ('TSEED', 'sat')),
  amount INTEGER NOT NULL CHECK (amount BETWEEN -${MAX} AND ${MAX}),
  PRIMARY KEY (account, currency)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER ledger_postings_append_only_u BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only'); END;
CREATE TRIGGER ledger_postings_append_only_d BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only'); END;
CREATE TRIGGER ledger_lines_append_only_u BEFORE UPDATE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger_lines is append-only'); END;
CREATE TRIGGER ledger_lines_append_only_d BEFORE DELETE ON ledger_lines
BEGIN SELECT RAISE(ABORT, 'ledger_lines is append-only'); END;
`

// Counters are TEXT because a tracker counter reaches 2^64-1, beyond SQLite's signed INTEGER.
const ANNOUNCES = `
CREATE TABLE ledger_announce_state (
  pubkey TEXT NOT NULL,
  info_hash TEXT NOT NULL,
  session TEXT NOT NULL,
  uploaded TEXT NOT NULL,
  downloaded TEXT NOT NULL,
  left_bytes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  stopped INTEGER NOT NULL CHECK (stopped IN (0, 1)),
  PRIMARY KEY (pubkey, info_hash, session)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_announce_state_by_swarm ON ledger_announce_state (info_hash, created_at);
CREATE INDEX ledger_announce_state_by_time ON ledger_announce_state (created_at);
CREATE INDEX ledger_announce_state_stopped ON ledger_announce_state (created_at) WHERE stopped = 1;

CREATE TABLE ledger_announce_seen (
  event_id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_announce_seen_by_time ON ledger_announce_seen (created_at);

CREATE TABLE ledger_carry (
  pubkey TEXT NOT NULL,
  info_hash TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('down', 'up')),
  carry INTEGER NOT NULL CHECK (carry >= 0 AND carry < 1000000),
  PRIMARY KEY (pubkey, info_hash, direction)
) STRICT, WITHOUT ROWID;
`

const ESCROW = `
CREATE TABLE ledger_escrow_lots (
  id INTEGER PRIMARY KEY,
  info_hash TEXT NOT NULL,
  payer TEXT NOT NULL,
  posting_id INTEGER NOT NULL REFERENCES ledger_postings(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  remaining INTEGER NOT NULL CHECK (remaining > 0 AND remaining <= amount),
  paid_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_escrow_lots_by_swarm ON ledger_escrow_lots (info_hash, paid_at, id);
CREATE INDEX ledger_escrow_lots_by_time ON ledger_escrow_lots (paid_at);

CREATE TABLE ledger_claims (
  id INTEGER PRIMARY KEY,
  info_hash TEXT NOT NULL,
  pubkey TEXT NOT NULL,
  event_id TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  remaining INTEGER NOT NULL CHECK (remaining > 0 AND remaining <= amount),
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_claims_by_swarm ON ledger_claims (info_hash, id);
CREATE INDEX ledger_claims_by_time ON ledger_claims (created_at);

CREATE TABLE ledger_settlements (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL
) STRICT;
`

const WITHDRAWALS = `
CREATE TABLE ledger_withdrawals (
  ref TEXT PRIMARY KEY,
  pubkey TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  fee_reserve INTEGER NOT NULL CHECK (fee_reserve >= 0),
  state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),
  fee_paid INTEGER CHECK (fee_paid IS NULL OR (fee_paid >= 0 AND fee_paid <= fee_reserve)),
  created_at INTEGER NOT NULL,
  settled_at INTEGER
) STRICT, WITHOUT ROWID;
`

// Each key's own limits, and a row per key and second that had charges:
// that second's charges and the key's running total. Both TEXT: a running
// total has no bound below 2^63.
const SPENDING_LIMITS = `
CREATE TABLE ledger_limits (
  pubkey TEXT PRIMARY KEY CHECK (length(pubkey) = 64),
  per_hour INTEGER CHECK (per_hour BETWEEN 0 AND ${MAX}),
  per_day INTEGER CHECK (per_day BETWEEN 0 AND ${MAX}),
  updated_at INTEGER NOT NULL,
  CHECK (per_hour IS NOT NULL OR per_day IS NOT NULL)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_spending (
  pubkey TEXT NOT NULL,
  at INTEGER NOT NULL,
  amount TEXT NOT NULL,
  total TEXT NOT NULL,
  PRIMARY KEY (pubkey, at)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_spending_by_time ON ledger_spending (at);
`

/** Numbered schema steps of the ledger. */
export const LEDGER_MIGRATIONS: readonly Migration[] = [
  { version: 1, up: JOURNAL },
  { version: 2, up: ANNOUNCES },
  { version: 3, up: ESCROW },
  { version: 4, up: WITHDRAWALS },
  {
    version: 5,
    up: (db) => {
      db.exec(SPENDING_LIMITS)
      // Charges of the last day before this version count against the limits too.
      backfillSpending(db, Math.floor(Date.now() / 1000) - DAY_SECONDS)
    },
  },
]

/**
 * Brings the ledger tables up to date; cheap when they already are.
 * @returns the versions applied now
 */
export function migrateLedger(db: SqliteDatabase): number[] {
  return migrate(db, LEDGER_COMPONENT, LEDGER_MIGRATIONS)
}
