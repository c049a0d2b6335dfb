/**
 * The double-entry journal (docs/ledger.md, "Journal"): append-only postings
 * whose lines sum to zero per currency, and a balance cache updated in the
 * same transaction and checkable against the journal with {@link Journal.audit}.
 */
import { CURRENCIES, isCurrency, type Currency } from '../../../src/balance/currency'
import { MAX_AMOUNT } from '../../../src/balance/units'
import {
  readAhead,
  runLater,
  transactionRun,
  type SqlDatabase,
  type SqlStatement,
} from '../store/database'
import { assertAccount, isExternal } from './accounts'
import { DuplicateReference, InsufficientFunds, LedgerError } from './errors'
import { migrateLedger } from './schema'

/** What a posting records. Each has its own idempotency reference scheme (docs/ledger.md). */
export type PostingKind =
  | 'download'
  | 'payout'
  | 'refund'
  | 'swap'
  | 'deposit'
  | 'withdrawal_reserve'
  | 'withdrawal_complete'
  | 'withdrawal_fail'
  | 'pool_bootstrap'
  | 'import'

const KINDS = new Set<string>([
  'download',
  'payout',
  'refund',
  'swap',
  'deposit',
  'withdrawal_reserve',
  'withdrawal_complete',
  'withdrawal_fail',
  'pool_bootstrap',
  'import',
])

/** One leg of a posting: positive credits the account, negative debits it. */
export interface PostingLine {
  account: string
  currency: Currency
  amount: bigint
}

export interface PostingInput {
  kind: PostingKind
  /** Unique across the journal: an event id, a payment hash, … prefixed by purpose. */
  ref: string
  /** Unix seconds. */
  at: number
  lines: readonly PostingLine[]
  memo?: string
}

export interface Posting {
  id: number
  kind: PostingKind
  ref: string
  at: number
  memo: string | null
  lines: PostingLine[]
}

export interface BalanceMismatch {
  account: string
  currency: Currency
  cached: bigint
  journal: bigint
}

export interface AuditReport {
  /** True when every check below found nothing. */
  ok: boolean
  /** Sum of every journal line per currency; anything but 0n is a broken ledger. */
  sums: Record<Currency, bigint>
  /** Accounts whose cached balance differs from the sum of their journal lines. */
  mismatches: BalanceMismatch[]
  /** Internal accounts below zero, by cache or by journal. */
  negatives: { account: string; currency: Currency; amount: bigint }[]
  /** Postings whose own lines do not sum to zero. */
  unbalanced: { postingId: number; currency: Currency; sum: bigint }[]
}

/** Totals over the balance cache alone: cheap enough to check after every operation in tests. */
export interface CacheTotals {
  sums: Record<Currency, bigint>
  negatives: { account: string; currency: Currency; amount: bigint }[]
}

const MAX_REF = 256
const MAX_MEMO = 1024
const MAX_LINES = 64
const MAX_HISTORY = 1000

interface PostingRow {
  id: bigint
  kind: PostingKind
  ref: string
  at: bigint
  memo: string | null
}

interface LineRow {
  posting_id: bigint
  account: string
  currency: Currency
  amount: bigint
}

/** Per connection, the id of the last posting queued, and the transaction it was queued in. */
const lastQueued = new WeakMap<SqlDatabase, { id: bigint; serial: number }>()

interface PostingStatements {
  inputs: SqlStatement
  insertLines: SqlStatement
}

/**
 * The journal over an injected better-sqlite3 handle. Every read uses
 * `safeIntegers()`, so amounts come back as exact BigInts.
 */
export class Journal {
  readonly db: SqlDatabase
  private readonly stmt
  /** The statements of a posting, for each number of lines. */
  private readonly byLineCount = new Map<number, PostingStatements>()
  /** See balanceWrite. */
  private readonly balanceWrites = new Map<string, SqlStatement>()

  constructor(db: SqlDatabase) {
    this.db = db
    migrateLedger(db)
    const p = (sql: string) => db.prepare(sql).safeIntegers(true)
    this.stmt = {
      balance: p('SELECT amount FROM ledger_balances WHERE account = ? AND currency = ?').pluck(),
      insertPosting: p(
        'INSERT INTO ledger_postings (id, kind, ref, at, memo) VALUES (?, ?, ?, ?, ?)',
      ),
      postingByRef: p('SELECT id, kind, ref, at, memo FROM ledger_postings WHERE ref = ?'),
      linesOf: p(
        'SELECT posting_id, account, currency, amount FROM ledger_lines WHERE posting_id = ? ORDER BY rowid',
      ),
      history: p(
        `SELECT p.id, p.kind, p.ref, p.at, p.memo FROM ledger_postings p
         WHERE p.id IN (SELECT DISTINCT posting_id FROM ledger_lines WHERE account = ?)
         ORDER BY p.id DESC LIMIT ?`,
      ),
      allLines: p(
        'SELECT posting_id, account, currency, amount FROM ledger_lines ORDER BY posting_id',
      ),
      allBalances: p(
        'SELECT account, currency, amount FROM ledger_balances ORDER BY account, currency',
      ),
    }
  }

  /**
   * Appends one posting and updates the cached balances, atomically. Throws,
   * writing nothing, when the lines do not sum to zero per currency, an
   * internal account would go negative ({@link InsufficientFunds}), an amount
   * or balance would leave ±2^62, or the reference was used before
   * ({@link DuplicateReference}).
   */
  post(input: PostingInput): Posting {
    const lines = checkPosting(input)
    return transactionRun(this.db).deferred(() => {
      const { used, lastId, balances } = this.postingInputs(input.ref, lines)
      if (used) throw new DuplicateReference(input.ref)
      const set: unknown[] = []
      const add: unknown[] = []
      for (const [i, line] of lines.entries()) {
        const have = balances[i] ?? 0n
        const after = have + line.amount
        if (after < 0n && !isExternal(line.account)) {
          throw new InsufficientFunds(line.account, line.currency, -line.amount, have)
        }
        if (after > MAX_AMOUNT || after < -MAX_AMOUNT) {
          throw new LedgerError(
            'amount_out_of_range',
            `${line.currency} balance of ${line.account} would leave the ±2^62 range`,
          )
        }
        // A debit must find the balance it checked; a credit need not (see balanceWrite).
        if (line.amount < 0n && !isExternal(line.account))
          set.push(line.account, line.currency, after)
        else add.push(line.account, line.currency, line.amount)
      }
      // The next id, as SQLite's rowid would pick it. Every writer holds the
      // database's write lock (SQLite's, or the advisory one on PostgreSQL),
      // so nobody else can take it before this commits; knowing it here
      // saves the round trip a RETURNING would cost.
      const id = this.newestId(lastId) + 1n
      runLater(this.stmt.insertPosting, id, input.kind, input.ref, input.at, input.memo ?? null)
      const serial = this.db.transactionSerial
      if (serial !== undefined) lastQueued.set(this.db, { id, serial })
      const statements = this.forLines(lines.length)
      runLater(
        statements.insertLines,
        ...lines.flatMap((l) => [id, l.account, l.currency, l.amount]),
      )
      if (set.length > 0) runLater(this.balanceWrite('set', set.length / 3), ...set)
      if (add.length > 0) runLater(this.balanceWrite('add', add.length / 3), ...add)
      return {
        id: Number(id),
        kind: input.kind,
        ref: input.ref,
        at: input.at,
        memo: input.memo ?? null,
        lines: lines.map((l) => ({ ...l })),
      }
    })
  }

  /**
   * The newest posting id, given the one read. On PostgreSQL that read may
   * have been made ahead of postings queued since in the same transaction
   * (scoped in store/database.ts); the id queued last counts too. A unit
   * that queued a posting and then rolled back leaves its id unused: a gap,
   * which nothing relies on being absent.
   */
  private newestId(read: bigint): bigint {
    const queued = lastQueued.get(this.db)
    if (queued === undefined || queued.serial !== this.db.transactionSerial) return read
    return queued.id > read ? queued.id : read
  }

  /**
   * Whether `ref` was used, the newest posting id (0n for none), and each
   * line's balance (0n for an account never posted to), in one query: on
   * PostgreSQL every read needs a round trip (one it can share; see
   * readAheadPost), and this is the only read a posting makes.
   */
  private postingInputs(
    ref: string,
    lines: readonly PostingLine[],
  ): { used: boolean; lastId: bigint; balances: bigint[] } {
    const row = this.forLines(lines.length).inputs.get(...inputsParams(ref, lines)) as Record<
      string,
      bigint | null
    >
    return {
      // Anything but a plain 0 refuses: a duplicate would post twice.
      used: row.used !== 0n,
      lastId: row.last_id ?? 0n,
      balances: lines.map((_, i) => row[`b${i}`] ?? 0n),
    }
  }

  /**
   * Sends the read a {@link post} of `ref` with these lines' accounts starts
   * with ahead, with the caller's next round trip, on PostgreSQL (see
   * readAhead in store/database.ts).
   */
  readAheadPost(ref: string, lines: readonly Omit<PostingLine, 'amount'>[]): void {
    readAhead(this.forLines(lines.length).inputs, ...inputsParams(ref, lines))
  }

  /**
   * A posting's read and its lines' write, for `n` lines. One multi-row
   * statement per table rather than one per line: fewer statements for
   * PostgreSQL to run.
   */
  private forLines(n: number): PostingStatements {
    let statements = this.byLineCount.get(n)
    if (statements === undefined) {
      const each = (text: string) =>
        Array.from({ length: n }, (_, i) => text.replace('#', String(i)))
      const p = (sql: string) => this.db.prepare(sql).safeIntegers(true)
      statements = {
        inputs: p(
          `SELECT EXISTS (SELECT 1 FROM ledger_postings WHERE ref = ?) AS used,
             (SELECT max(id) FROM ledger_postings) AS last_id,
             ${each('(SELECT amount FROM ledger_balances WHERE account = ? AND currency = ?) AS b#').join(', ')}`,
        ),
        insertLines: p(
          `INSERT INTO ledger_lines (posting_id, account, currency, amount)
           VALUES ${each('(?, ?, ?, ?)').join(', ')}`,
        ),
      }
      this.byLineCount.set(n, statements)
    }
    return statements
  }

  /**
   * The upsert of `n` balances: `set` writes the balances a posting computed
   * from the ones it read, `add` adds its amounts. A posting has at most one
   * line per account and currency (checkPosting), so neither meets a row
   * twice.
   *
   * Credits, and debits of external accounts, are added: the result is the
   * same, and such an account then does not depend on the balance read being
   * current. The escrow of a swarm that many announces pay into is one; the
   * ledger's announces rely on that (AnnounceAccounting.touches), and the
   * range check on it stays the database's. Debits of other accounts are set
   * from the balance checked: PostgreSQL checks an upsert's row against the
   * table's CHECKs before it finds the conflict, and a negative amount
   * inserted for an internal account would fail them.
   */
  private balanceWrite(kind: 'set' | 'add', n: number): SqlStatement {
    const key = `${kind}${n}`
    let statement = this.balanceWrites.get(key)
    if (statement === undefined) {
      const value = kind === 'set' ? 'excluded.amount' : 'ledger_balances.amount + excluded.amount'
      const rows = Array.from({ length: n }, () => '(?, ?, ?)').join(', ')
      statement = this.db.prepare(
        `INSERT INTO ledger_balances (account, currency, amount) VALUES ${rows}
         ON CONFLICT (account, currency) DO UPDATE SET amount = ${value}`,
      )
      this.balanceWrites.set(key, statement)
    }
    return statement
  }

  /** The cached balance of one account in one currency; 0n for an account never posted to. */
  balance(account: string, currency: Currency): bigint {
    return (this.stmt.balance.get(account, currency) as bigint | undefined) ?? 0n
  }

  /** Both balances of one account. */
  balances(account: string): Record<Currency, bigint> {
    assertAccount(account)
    return { TSEED: this.balance(account, 'TSEED'), sat: this.balance(account, 'sat') }
  }

  /** The posting with this reference, or undefined. */
  findByRef(ref: string): Posting | undefined {
    const row = this.stmt.postingByRef.get(ref) as PostingRow | undefined
    return row === undefined ? undefined : this.withLines(row)
  }

  /** The newest `limit` postings (at most 1000) touching `account`, newest first. */
  history(account: string, limit: number): Posting[] {
    assertAccount(account)
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY) {
      throw new LedgerError('invalid_input', `limit must be an integer from 1 to ${MAX_HISTORY}`)
    }
    const rows = this.stmt.history.all(account, limit) as PostingRow[]
    return rows.map((r) => this.withLines(r))
  }

  /** Every non-zero cached balance, for exports. */
  cachedBalances(): { account: string; currency: Currency; amount: bigint }[] {
    const rows = this.stmt.allBalances.all() as {
      account: string
      currency: Currency
      amount: bigint
    }[]
    return rows.filter((r) => r.amount !== 0n)
  }

  /** Sums and negative internal balances over the cache only (no journal scan). */
  cacheTotals(): CacheTotals {
    const sums: Record<Currency, bigint> = { TSEED: 0n, sat: 0n }
    const negatives: CacheTotals['negatives'] = []
    for (const row of this.cachedBalances()) {
      sums[row.currency] += row.amount
      if (row.amount < 0n && !isExternal(row.account)) negatives.push(row)
    }
    return { sums, negatives }
  }

  /**
   * Recomputes every balance from the journal and compares it with the cache.
   * Sums are accumulated as BigInt in JS, never by SQLite's SUM, which would
   * stop at int64 overflow.
   */
  audit(): AuditReport {
    const sums: Record<Currency, bigint> = { TSEED: 0n, sat: 0n }
    const fromJournal = new Map<string, bigint>()
    const unbalanced: AuditReport['unbalanced'] = []
    let current: bigint | undefined
    let postingSums: Record<Currency, bigint> = { TSEED: 0n, sat: 0n }
    const closePosting = () => {
      if (current === undefined) return
      for (const c of CURRENCIES) {
        if (postingSums[c] !== 0n) {
          unbalanced.push({ postingId: Number(current), currency: c, sum: postingSums[c] })
        }
      }
    }
    for (const line of this.stmt.allLines.iterate() as Iterable<LineRow>) {
      if (line.posting_id !== current) {
        closePosting()
        current = line.posting_id
        postingSums = { TSEED: 0n, sat: 0n }
      }
      postingSums[line.currency] += line.amount
      sums[line.currency] += line.amount
      const key = balanceKey(line.account, line.currency)
      fromJournal.set(key, (fromJournal.get(key) ?? 0n) + line.amount)
    }
    closePosting()

    const mismatches: BalanceMismatch[] = []
    const negatives: AuditReport['negatives'] = []
    const seen = new Set<string>()
    for (const row of this.stmt.allBalances.iterate() as Iterable<{
      account: string
      currency: Currency
      amount: bigint
    }>) {
      const key = balanceKey(row.account, row.currency)
      seen.add(key)
      const journal = fromJournal.get(key) ?? 0n
      if (journal !== row.amount) {
        mismatches.push({
          account: row.account,
          currency: row.currency,
          cached: row.amount,
          journal,
        })
      }
      if ((row.amount < 0n || journal < 0n) && !isExternal(row.account)) {
        negatives.push({ account: row.account, currency: row.currency, amount: row.amount })
      }
    }
    for (const [key, journal] of fromJournal) {
      if (seen.has(key) || journal === 0n) continue
      const [account, currency] = splitKey(key)
      mismatches.push({ account, currency, cached: 0n, journal })
    }
    const ok =
      sums.TSEED === 0n &&
      sums.sat === 0n &&
      mismatches.length === 0 &&
      negatives.length === 0 &&
      unbalanced.length === 0
    return { ok, sums, mismatches, negatives, unbalanced }
  }

  private withLines(row: PostingRow): Posting {
    const lines = (this.stmt.linesOf.all(row.id) as LineRow[]).map((l) => ({
      account: l.account,
      currency: l.currency,
      amount: l.amount,
    }))
    return {
      id: Number(row.id),
      kind: row.kind,
      ref: row.ref,
      at: Number(row.at),
      memo: row.memo,
      lines,
    }
  }
}

function balanceKey(account: string, currency: Currency): string {
  return `${currency} ${account}`
}

function splitKey(key: string): [string, Currency] {
  const space = key.indexOf(' ')
  return [key.slice(space + 1), key.slice(0, space) as Currency]
}

/** The parameters of a posting's inputs query, in its order. */
function inputsParams(ref: string, lines: readonly Omit<PostingLine, 'amount'>[]): string[] {
  return [ref, ...lines.flatMap((l) => [l.account, l.currency])]
}

/** Validates a posting without touching the database; returns its lines. */
function checkPosting(input: PostingInput): readonly PostingLine[] {
  if (!KINDS.has(input.kind)) {
    throw new LedgerError('invalid_input', `unknown posting kind ${JSON.stringify(input.kind)}`)
  }
  if (typeof input.ref !== 'string' || input.ref.length === 0 || input.ref.length > MAX_REF) {
    throw new LedgerError('invalid_input', `ref must be a string of 1 to ${MAX_REF} chars`)
  }
  if (!Number.isSafeInteger(input.at) || input.at < 0) {
    throw new LedgerError('invalid_input', 'at must be unix seconds')
  }
  if (
    input.memo !== undefined &&
    (typeof input.memo !== 'string' || input.memo.length > MAX_MEMO)
  ) {
    throw new LedgerError('invalid_input', `memo must be a string of at most ${MAX_MEMO} chars`)
  }
  // Array.isArray would widen the element type to any, so the typed view is taken first.
  const lines: readonly PostingLine[] = input.lines
  if (!(lines instanceof Array) || lines.length < 2 || lines.length > MAX_LINES) {
    throw new LedgerError('invalid_input', `a posting has 2 to ${MAX_LINES} lines`)
  }
  const sums: Record<Currency, bigint> = { TSEED: 0n, sat: 0n }
  const seen = new Set<string>()
  for (const line of lines) {
    assertAccount(line.account)
    if (!isCurrency(line.currency)) {
      throw new LedgerError('invalid_input', `unknown currency ${JSON.stringify(line.currency)}`)
    }
    if (typeof line.amount !== 'bigint' || line.amount === 0n) {
      throw new LedgerError('invalid_input', 'line amounts must be non-zero bigints')
    }
    if (line.amount > MAX_AMOUNT || line.amount < -MAX_AMOUNT) {
      throw new LedgerError(
        'amount_out_of_range',
        `|amount| must be at most 2^62, got ${line.amount}`,
      )
    }
    const key = balanceKey(line.account, line.currency)
    if (seen.has(key)) {
      throw new LedgerError(
        'invalid_input',
        `${line.account} appears twice in ${line.currency}; merge the lines`,
      )
    }
    seen.add(key)
    sums[line.currency] += line.amount
  }
  for (const c of CURRENCIES) {
    if (sums[c] !== 0n) {
      throw new LedgerError(
        'unbalanced_posting',
        `posting ${JSON.stringify(input.ref)} does not balance: ${c} lines sum to ${sums[c]}`,
      )
    }
  }
  return lines
}
