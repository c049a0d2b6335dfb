/**
 * The ledger facade the relay and the HTTP API call (docs/ledger.md). Every
 * operation runs in one IMMEDIATE transaction: it takes SQLite's write lock
 * before reading any balance, so parallel announces, swaps and withdrawals —
 * even from other connections or processes on the same file — are serialised
 * and can never spend the same TSEED or sats twice.
 */
import {
  applySwap,
  bootstrapPool as checkBootstrap,
  type Pool,
  type SwapSide,
} from '../../../src/balance/amm'
import { isCurrency, type Currency } from '../../../src/balance/currency'
import {
  DEFAULT_PRICING,
  checkConfig,
  swarmPrice,
  type PricingConfig,
  type SwarmPrice,
  type SwarmStats,
} from '../../../src/balance/pricing'
import { MAX_AMOUNT } from '../../../src/balance/units'
import type { BalanceMap } from '../../../src/balance/webledger'
import type { AnnouncePolicy } from '../core/announce-policy'
import { transactionRun, type SqlDatabase } from '../store/database'
import {
  EXTERNAL,
  POOL_ACCOUNT,
  PENDING_WITHDRAWALS,
  assertAccount,
  isExternal,
  userAccount,
} from './accounts'
import {
  AnnounceAccounting,
  DEFAULT_ANNOUNCE_LIMITS,
  type AnnounceLimits,
  type AnnounceOutcome,
  type VerifiedAnnounce,
} from './announce-accounting'
import { DuplicateReference, LedgerError } from './errors'
import {
  DEFAULT_ESCROW,
  Escrow,
  type EscrowConfig,
  type EscrowMismatch,
  type SettlementReport,
} from './escrow'
import {
  Journal,
  type AuditReport,
  type CacheTotals,
  type Posting,
  type PostingLine,
} from './journal'
import { SpendingLimiter, type SpendingLimits, type SpendingStatus } from './spending-limits'
import { Withdrawals, type Withdrawal } from './withdrawals'

export interface LedgerOptions {
  /** Unix seconds; stamps swaps, deposits and withdrawals. Defaults to the system clock. */
  clock?: () => number
  pricing?: PricingConfig
  announce?: Partial<AnnounceLimits>
  escrow?: Partial<EscrowConfig>
}

export interface SwapResult {
  side: SwapSide
  amountIn: bigint
  amountOut: bigint
  /** Reserves after the swap. */
  pool: Pool
  postingId: number
  /** True when this ref had already been executed and its result is returned again. */
  replayed: boolean
}

export interface DepositResult {
  postingId: number
  /** False when the ref had already been credited; nothing was added this time. */
  credited: boolean
}

export interface SettleResult extends SettlementReport {
  /**
   * Announce bookkeeping forgotten in this run (see AnnounceAccounting.prune),
   * and rows of charges older than the longest spending-limit window.
   */
  pruned: { states: number; seen: number; spending: number }
}

export interface LedgerAudit extends AuditReport {
  /** Swarm escrows that disagree with their payment lots. */
  escrow: EscrowMismatch[]
}

/** Balances and pool reserves, in the shapes `webledger.ts` reads and writes. */
export interface BalanceSnapshot {
  /** Internal accounts except the pool, non-zero balances only. */
  balances: BalanceMap
  pool: Pool | null
}

const BOOTSTRAP_REF = 'pool:bootstrap'
const REF = /^[\x21-\x7e]{1,200}$/

/** The TSEED ledger over an injected better-sqlite3 handle shared with the rest of the relay. */
export class Ledger {
  readonly db: SqlDatabase
  readonly pricing: PricingConfig
  private readonly clock: () => number
  private readonly journal: Journal
  private readonly escrow: Escrow
  private readonly announces: AnnounceAccounting
  private readonly spending: SpendingLimiter
  private readonly withdrawals: Withdrawals

  constructor(db: SqlDatabase, options: LedgerOptions = {}) {
    this.db = db
    this.clock = options.clock ?? (() => Math.floor(Date.now() / 1000))
    this.pricing = options.pricing ?? DEFAULT_PRICING
    checkConfig(this.pricing)
    this.journal = new Journal(db)
    this.escrow = new Escrow(this.journal, { ...DEFAULT_ESCROW, ...options.escrow })
    this.spending = new SpendingLimiter(db)
    this.announces = new AnnounceAccounting(
      this.journal,
      this.escrow,
      this.spending,
      { ...DEFAULT_ANNOUNCE_LIMITS, ...options.announce },
      (infoHash, now) => this.priceNow(infoHash, now),
    )
    this.withdrawals = new Withdrawals(this.journal)
  }

  /**
   * Accounts for a verified kind 21000 at `now`: charges the download delta
   * into the swarm escrow, records the upload delta as a claim. A refusal
   * (`invalid: …`, `blocked: spending limit: …`, or
   * `blocked: insufficient balance: need N TSEED, have M`) wrote nothing.
   */
  applyAnnounce(input: VerifiedAnnounce, now: number): AnnounceOutcome {
    return this.write(() => this.announces.apply(input, now))
  }

  /**
   * The relay's announce policy, backed by this ledger and its clock. It
   * answers synchronously, so the relay runs it inside its group commit: the
   * posting and the stored announce commit together (docs/performance.md).
   * @example new Relay({ policy: ledger.announcePolicy() })
   */
  announcePolicy(): AnnouncePolicy {
    const policy: AnnouncePolicy = (ev, announce) =>
      this.applyAnnounce(
        { pubkey: ev.pubkey, eventId: ev.id, createdAt: ev.created_at, announce },
        this.clock(),
      )
    policy.readAhead = (ev, announce) => {
      this.readAheadAnnounce({ pubkey: ev.pubkey, eventId: ev.id, announce })
    }
    const countsPeers = this.pricing.rarity !== null
    policy.touches = (ev, announce) =>
      AnnounceAccounting.touches(ev.pubkey, announce.infoHash, countsPeers)
    return policy
  }

  /**
   * Inside a transaction, sends the reads {@link applyAnnounce} of this
   * announce starts with along with the caller's next read (PostgreSQL; see
   * readAhead in store/database.ts). Changes nothing else.
   */
  readAheadAnnounce(input: Omit<VerifiedAnnounce, 'createdAt'>): void {
    this.announces.readAhead(input)
  }

  /**
   * Pays claims from escrow, lapses old claims, refunds old payments, prunes
   * announce state and the charges no spending-limit window reaches.
   */
  settle(now: number): SettleResult {
    return this.write(() => ({
      ...this.escrow.settle(now),
      pruned: { ...this.announces.prune(now), spending: this.spending.prune(now) },
    }))
  }

  /**
   * Sets the most a key's announces may be charged per hour and per day
   * (null clears a limit). The next announce is checked against them.
   * @throws LedgerError `invalid_account`, `amount_out_of_range`
   */
  setSpendingLimits(pubkey: string, limits: SpendingLimits): void {
    this.write(() => {
      this.spending.set(pubkey, limits, this.clock())
    })
  }

  /** A key's spending limits and what its announces were charged in the hour and day up to `now`. */
  spendingLimits(pubkey: string, now: number): SpendingStatus {
    userAccount(pubkey)
    return transactionRun(this.db).deferred(() => this.spending.status(pubkey, now))
  }

  /**
   * Swaps against the pool, whose reserves are the pool account's balances.
   * Idempotent by `ref`: repeating a swap returns its first result.
   * @throws AmmError (SLIPPAGE, ZERO_OUTPUT, …), InsufficientFunds, LedgerError
   */
  swap(pubkey: string, side: SwapSide, amountIn: bigint, minOut: bigint, ref: string): SwapResult {
    checkRef(ref)
    const user = userAccount(pubkey)
    return this.write(() => {
      const postingRef = `swap:${ref}`
      const previous = this.journal.findByRef(postingRef)
      if (previous !== undefined) return this.replaySwap(previous, user, side, amountIn)
      const reserves = this.poolReserves()
      if (reserves === null) {
        throw new LedgerError('pool_not_bootstrapped', 'the pool has no reserves yet')
      }
      const q = applySwap(reserves, side, amountIn, minOut)
      const [inCur, outCur]: [Currency, Currency] =
        side === 'sat_to_tseed' ? ['sat', 'TSEED'] : ['TSEED', 'sat']
      const posting = this.journal.post({
        kind: 'swap',
        ref: postingRef,
        at: this.clock(),
        memo: side,
        lines: [
          { account: user, currency: inCur, amount: -amountIn },
          { account: POOL_ACCOUNT, currency: inCur, amount: amountIn },
          { account: POOL_ACCOUNT, currency: outCur, amount: -q.amountOut },
          { account: user, currency: outCur, amount: q.amountOut },
        ],
      })
      const after = this.poolReserves()
      if (after?.tseed !== q.poolAfter.tseed || after.sat !== q.poolAfter.sat) {
        throw new Error('pool reserves disagree with the AMM after a swap')
      }
      return {
        side,
        amountIn,
        amountOut: q.amountOut,
        pool: after,
        postingId: posting.id,
        replayed: false,
      }
    })
  }

  /**
   * Credits sats that arrived over Lightning. Idempotent by `ref` (the payment
   * hash): a repeat credits nothing; a repeat with other values throws.
   */
  deposit(pubkey: string, sats: bigint, ref: string): DepositResult {
    checkRef(ref)
    const user = userAccount(pubkey)
    if (typeof sats !== 'bigint' || sats <= 0n || sats > MAX_AMOUNT) {
      throw new LedgerError('invalid_input', 'deposit must be a positive bigint of at most 2^62')
    }
    return this.write(() => {
      const postingRef = `deposit:${ref}`
      const previous = this.journal.findByRef(postingRef)
      if (previous !== undefined) {
        const line = previous.lines.find((l) => l.account === user && l.currency === 'sat')
        if (line?.amount !== sats) {
          throw new DuplicateReference(ref, 'was used for a different deposit')
        }
        return { postingId: previous.id, credited: false }
      }
      const posting = this.journal.post({
        kind: 'deposit',
        ref: postingRef,
        at: this.clock(),
        lines: [
          { account: EXTERNAL.lightning, currency: 'sat', amount: -sats },
          { account: user, currency: 'sat', amount: sats },
        ],
      })
      return { postingId: posting.id, credited: true }
    })
  }

  /** Debits `sats + feeReserve` before the Lightning payment is attempted. Idempotent by ref. */
  reserveWithdrawal(pubkey: string, sats: bigint, feeReserve: bigint, ref: string): Withdrawal {
    checkRef(ref)
    return this.write(() => this.withdrawals.reserve(pubkey, sats, feeReserve, ref, this.clock()))
  }

  /** The payment went out with `feePaid` routing fees; the unused reserve is refunded. */
  completeWithdrawal(ref: string, feePaid: bigint): Withdrawal {
    return this.write(() => this.withdrawals.complete(ref, feePaid, this.clock()))
  }

  /** The payment failed; the whole reservation is refunded. */
  failWithdrawal(ref: string): Withdrawal {
    return this.write(() => this.withdrawals.fail(ref, this.clock()))
  }

  /** A withdrawal by ref, or undefined. */
  withdrawal(ref: string): Withdrawal | undefined {
    return this.withdrawals.get(ref)
  }

  /**
   * Creates the pool once: `tseed` from the genesis account (the only TSEED
   * ever created, besides imports) and `sat` from the operator's funds.
   * @throws LedgerError `pool_already_bootstrapped`, AmmError `BAD_POOL`
   */
  bootstrapPool(deposit: { tseed: bigint; sat: bigint }): Pool {
    const pool = checkBootstrap(deposit)
    if (pool.tseed > MAX_AMOUNT || pool.sat > MAX_AMOUNT) {
      throw new LedgerError('amount_out_of_range', 'pool reserves must be at most 2^62')
    }
    return this.write(() => {
      if (this.journal.findByRef(BOOTSTRAP_REF) !== undefined || this.poolReserves() !== null) {
        throw new LedgerError('pool_already_bootstrapped', 'the pool already has reserves')
      }
      this.journal.post({
        kind: 'pool_bootstrap',
        ref: BOOTSTRAP_REF,
        at: this.clock(),
        lines: [
          { account: EXTERNAL.genesis, currency: 'TSEED', amount: -pool.tseed },
          { account: POOL_ACCOUNT, currency: 'TSEED', amount: pool.tseed },
          { account: EXTERNAL.operator, currency: 'sat', amount: -pool.sat },
          { account: POOL_ACCOUNT, currency: 'sat', amount: pool.sat },
        ],
      })
      return pool
    })
  }

  /** Current reserves, or null before the pool is bootstrapped. */
  pool(): Pool | null {
    return this.poolReserves()
  }

  /**
   * Adds balances read from a WebLedger (`importWebLedger`) against the
   * `urn:external:import` contra account. Swarm escrows and pending
   * withdrawals are refused: their provenance (who paid, what is in flight)
   * cannot travel in a WebLedger. A pool is accepted only while none exists.
   * Idempotent by `ref`. Writes one posting per account.
   * @returns how many postings were written (0 for a repeat)
   */
  importBalances(snapshot: BalanceSnapshot, ref: string): { postings: number } {
    checkRef(ref)
    const lines = importLines(snapshot)
    return this.write(() => {
      if (this.journal.findByRef(`import:${ref}:0`) !== undefined) return { postings: 0 }
      if (snapshot.pool !== null && this.poolReserves() !== null) {
        throw new LedgerError(
          'pool_already_bootstrapped',
          'cannot import a pool over an existing one',
        )
      }
      // One posting per account, so that no user's history shows another user.
      const byAccount = new Map<string, PostingLine[]>()
      for (const l of lines) byAccount.set(l.account, [...(byAccount.get(l.account) ?? []), l])
      let n = 0
      for (const credits of byAccount.values()) {
        const contra = credits.map((l) => ({ ...l, account: EXTERNAL.import, amount: -l.amount }))
        this.journal.post({
          kind: 'import',
          ref: `import:${ref}:${n}`,
          at: this.clock(),
          lines: [...credits, ...contra],
        })
        n++
      }
      return { postings: n }
    })
  }

  /** Every internal balance and the pool, for `exportWebLedger`. External contra accounts are left out. */
  exportBalances(): BalanceSnapshot {
    return this.db.transaction(() => {
      const balances: BalanceMap = new Map()
      for (const b of this.journal.cachedBalances()) {
        if (isExternal(b.account) || b.account === POOL_ACCOUNT) continue
        if (b.amount < 0n) throw new Error(`internal account ${b.account} is negative`)
        let m = balances.get(b.account)
        if (m === undefined) {
          m = new Map<Currency, bigint>()
          balances.set(b.account, m)
        }
        m.set(b.currency, b.amount)
      }
      return { balances, pool: this.poolReserves() }
    })()
  }

  /** A user's TSEED and sat balances. */
  balances(pubkey: string): Record<Currency, bigint> {
    return this.journal.balances(userAccount(pubkey))
  }

  /** A user's newest postings, newest first (1 to 1000). */
  history(pubkey: string, limit: number): Posting[] {
    return this.journal.history(userAccount(pubkey), limit)
  }

  /** Full check: zero sums, cache vs journal, no negative internal balance, escrow vs lots. */
  audit(): LedgerAudit {
    return this.db.transaction(() => {
      const report = this.journal.audit()
      const escrow = this.escrow.audit()
      return { ...report, ok: report.ok && escrow.length === 0, escrow }
    })()
  }

  /**
   * Sums per currency and negative internal balances over the balance cache
   * only: cheap enough for a health check after every operation.
   */
  totals(): CacheTotals {
    return this.journal.cacheTotals()
  }

  /** Seeders and leechers of a swarm from recent announces. */
  swarmStats(infoHash: string, now: number): SwarmStats {
    return this.announces.swarmStats(infoHash, now)
  }

  /** A swarm's price now, as charged to the next announce. */
  swarmPrice(infoHash: string, now: number): SwarmPrice {
    return this.priceNow(infoHash, now)
  }

  /** What a swarm's escrow holds and what open claims ask of it. */
  escrowOf(infoHash: string, now: number): { escrow: bigint; claims: bigint } {
    return this.escrow.outstanding(infoHash, now)
  }

  private priceNow(infoHash: string, now: number): SwarmPrice {
    // Without the rarity rule the swarm's make-up cannot change the price, and
    // counting its peers is a scan per announce; it is skipped.
    const stats =
      this.pricing.rarity === null
        ? { seeders: 0, leechers: 0 }
        : this.announces.swarmStats(infoHash, now)
    return swarmPrice(stats, this.pricing)
  }

  private poolReserves(): Pool | null {
    const tseed = this.journal.balance(POOL_ACCOUNT, 'TSEED')
    const sat = this.journal.balance(POOL_ACCOUNT, 'sat')
    return tseed > 0n && sat > 0n ? { tseed, sat } : null
  }

  private replaySwap(
    previous: Posting,
    user: string,
    side: SwapSide,
    amountIn: bigint,
  ): SwapResult {
    const [inCur, outCur]: [Currency, Currency] =
      side === 'sat_to_tseed' ? ['sat', 'TSEED'] : ['TSEED', 'sat']
    const paid = previous.lines.find((l) => l.account === user && l.currency === inCur)
    const got = previous.lines.find((l) => l.account === user && l.currency === outCur)
    if (paid?.amount !== -amountIn || got === undefined || previous.memo !== side) {
      throw new DuplicateReference(
        previous.ref.slice('swap:'.length),
        'was used for a different swap',
      )
    }
    const pool = this.poolReserves()
    if (pool === null) throw new Error('pool vanished after a swap')
    return { side, amountIn, amountOut: got.amount, pool, postingId: previous.id, replayed: true }
  }

  private write<T>(fn: () => T): T {
    return transactionRun(this.db).immediate(fn)
  }
}

function checkRef(ref: string): void {
  if (typeof ref !== 'string' || !REF.test(ref)) {
    throw new LedgerError('invalid_input', 'ref must be 1 to 200 printable ASCII chars, no spaces')
  }
}

/** Validates an import and turns it into credit lines (pool first, then accounts in order). */
function importLines(snapshot: BalanceSnapshot): PostingLine[] {
  const lines: PostingLine[] = []
  if (snapshot.pool !== null) {
    const pool = checkBootstrap(snapshot.pool)
    if (pool.tseed > MAX_AMOUNT || pool.sat > MAX_AMOUNT) {
      throw new LedgerError('amount_out_of_range', 'pool reserves must be at most 2^62')
    }
    lines.push({ account: POOL_ACCOUNT, currency: 'TSEED', amount: pool.tseed })
    lines.push({ account: POOL_ACCOUNT, currency: 'sat', amount: pool.sat })
  }
  for (const [account, byCurrency] of snapshot.balances) {
    assertAccount(account)
    if (isExternal(account) || account === POOL_ACCOUNT) {
      throw new LedgerError('invalid_account', `${account} cannot be imported as a balance`)
    }
    if (account.startsWith('urn:swarm:') || account === PENDING_WITHDRAWALS) {
      throw new LedgerError(
        'invalid_account',
        `${account} cannot be imported: escrow and pending withdrawals must be settled before export`,
      )
    }
    for (const [currency, amount] of byCurrency) {
      if (!isCurrency(currency)) {
        throw new LedgerError('invalid_input', `unknown currency ${JSON.stringify(currency)}`)
      }
      if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_AMOUNT) {
        throw new LedgerError(
          'amount_out_of_range',
          `${currency} balance of ${account} must be a bigint from 0 to 2^62`,
        )
      }
      if (amount > 0n) lines.push({ account, currency, amount })
    }
  }
  return lines
}
