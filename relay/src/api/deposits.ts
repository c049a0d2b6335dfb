/**
 * Lightning deposits: an invoice bound to the caller's pubkey, credited
 * exactly once when the backend reports it settled, and optionally swapped
 * to TSEED. The credit, the optional swap and the deposit's new state are
 * one SQLite transaction, so two polls at once, a poll racing the background
 * sweep, or a crash in between can never credit twice or lose the swap's
 * outcome.
 */
import { AmmError, quoteSwap } from '../../../src/balance/amm'
import { LedgerError } from '../ledger/errors'
import type { Ledger } from '../ledger/ledger'
import type { LightningBackend } from '../lightning/backend'
import type { SqlDatabase } from '../store/database'
import { ApiError, POOL_EMPTY_MESSAGE } from './errors'
import { countPassing, lookupInvoiceState, OnePerHash } from './payment-sync'
import type { ApiLogger } from './types'

export type DepositState = 'pending' | 'credited' | 'expired' | 'failed'

/** A deposit as stored in `api_deposits`. */
export interface DepositRecord {
  paymentHash: string
  pubkey: string
  amountSat: bigint
  invoice: string
  createdAt: number
  expiresAt: number
  /** The swap to TSEED asked for, or null to keep sats. */
  swapMinOut: bigint | null
  state: DepositState
  creditedSat: bigint | null
  creditedAt: number | null
  swapState: 'done' | 'failed' | null
  swapAmountOut: bigint | null
  swapError: string | null
}

export interface DepositOptions {
  /** Invoice lifetime; default 3600 s. */
  expirySeconds: number
  /** Largest deposit; default 10,000,000 sat (0.1 BTC). */
  maxSat: bigint
  /** Unpaid, unexpired invoices one pubkey may hold; more gets 429. Default 20. */
  maxPendingPerPubkey: number
}

export const DEFAULT_DEPOSIT_OPTIONS: DepositOptions = {
  expirySeconds: 3600,
  maxSat: 10_000_000n,
  maxPendingPerPubkey: 20,
}

interface Row {
  payment_hash: string
  pubkey: string
  amount_sat: bigint
  invoice: string
  created_at: bigint
  expires_at: bigint
  swap_min_out: string | null
  state: DepositState
  credited_sat: bigint | null
  credited_at: bigint | null
  swap_state: 'done' | 'failed' | null
  swap_amount_out: bigint | null
  swap_error: string | null
}

/** Deposits over one ledger and one Lightning backend. */
export class Deposits {
  private readonly stmt
  private readonly refreshing = new OnePerHash<DepositRecord>()

  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly lightning: LightningBackend,
    private readonly now: () => number,
    private readonly options: DepositOptions,
    private readonly logger: ApiLogger,
  ) {
    const p = (sql: string) => db.prepare(sql).safeIntegers(true)
    this.stmt = {
      get: p('SELECT * FROM api_deposits WHERE payment_hash = ?'),
      insert: p(
        `INSERT INTO api_deposits
           (payment_hash, pubkey, amount_sat, invoice, created_at, expires_at, swap_min_out, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ),
      pendingOf: p(
        `SELECT COUNT(*) FROM api_deposits WHERE pubkey = ? AND state = 'pending' AND expires_at > ?`,
      ).pluck(),
      pending: p(
        `SELECT payment_hash FROM api_deposits WHERE state = 'pending' AND expires_at > ?
         ORDER BY created_at LIMIT ?`,
      ).pluck(),
      setState: p('UPDATE api_deposits SET state = ? WHERE payment_hash = ?'),
      credit: p(
        `UPDATE api_deposits SET state = 'credited', credited_sat = ?, credited_at = ?,
           swap_state = ?, swap_amount_out = ?, swap_error = ?
         WHERE payment_hash = ?`,
      ),
    }
  }

  /** Whether the relay issued this payment hash as a deposit invoice. */
  has(paymentHash: string): boolean {
    return this.stmt.get.get(paymentHash) !== undefined
  }

  /**
   * Issues an invoice for `amountSat` bound to `pubkey`. With `swapMinOut`,
   * the sats are swapped to TSEED on arrival; a swap that would already miss
   * `swapMinOut` at today's price is refused now, before anyone pays.
   */
  async create(
    pubkey: string,
    amountSat: bigint,
    swapMinOut: bigint | null,
  ): Promise<DepositRecord> {
    if (amountSat > this.options.maxSat) {
      throw new ApiError(
        400,
        'amount_out_of_range',
        `amount_sat must be at most ${this.options.maxSat}`,
      )
    }
    const now = this.now()
    const pending = this.stmt.pendingOf.get(pubkey, now) as bigint
    if (pending >= BigInt(this.options.maxPendingPerPubkey)) {
      throw new ApiError(
        429,
        'too_many_pending_deposits',
        `${pending} unpaid deposit invoices are still open; pay one or wait until they expire`,
      )
    }
    if (swapMinOut !== null) this.checkSwapPossible(amountSat, swapMinOut)

    const created = await this.lightning.createInvoice({
      amountSat,
      memo: `TSEED deposit of ${amountSat} sat for did:nostr:${pubkey.slice(0, 12)}…`,
      expirySeconds: this.options.expirySeconds,
    })
    this.stmt.insert.run(
      created.paymentHash,
      pubkey,
      amountSat,
      created.invoice,
      now,
      created.expiresAt,
      swapMinOut?.toString() ?? null,
    )
    return this.mustGet(created.paymentHash)
  }

  /**
   * The caller's deposit, brought up to date with the backend first. Someone
   * else's payment hash is answered like an unknown one (404), so hashes do
   * not leak who deposited.
   */
  async status(pubkey: string, paymentHash: string): Promise<DepositRecord> {
    const record = this.get(paymentHash)
    if (record?.pubkey !== pubkey) {
      throw new ApiError(404, 'not_found', 'no deposit with that payment hash')
    }
    return record.state === 'pending' ? this.refresh(paymentHash) : record
  }

  /**
   * Asks the backend about a pending deposit and credits it once settled.
   * Throws an ApiError when the backend cannot answer.
   */
  refresh(paymentHash: string): Promise<DepositRecord> {
    return this.refreshing.run(paymentHash, () => this.lookupAndApply(paymentHash))
  }

  /**
   * Checks up to `limit` pending, unexpired deposits, oldest first, so a
   * paid invoice is credited even if its payer never polls. Returns how many
   * were credited.
   */
  sweep(limit: number): Promise<number> {
    return countPassing(
      this.stmt.pending.all(this.now(), limit) as string[],
      async (hash) => (await this.refresh(hash)).state === 'credited',
      (hash, why) => {
        this.logger.warn(`api: deposit ${hash} could not be checked`, why)
      },
    )
  }

  /** A deposit by payment hash, or undefined. */
  get(paymentHash: string): DepositRecord | undefined {
    const row = this.stmt.get.get(paymentHash) as Row | undefined
    return row === undefined ? undefined : fromRow(row)
  }

  private async lookupAndApply(paymentHash: string): Promise<DepositRecord> {
    const before = this.mustGet(paymentHash)
    if (before.state !== 'pending') return before
    const status = await lookupInvoiceState(this.lightning, paymentHash)
    const now = this.now()
    if (status === 'unknown') {
      if (now >= before.expiresAt) this.stmt.setState.run('expired', paymentHash)
    } else if (status.state === 'settled') {
      this.credit(paymentHash, status.amountSat, now)
    } else if (status.state === 'expired' || status.state === 'failed') {
      this.stmt.setState.run(status.state, paymentHash)
    }
    return this.mustGet(paymentHash)
  }

  /**
   * Credits what arrived and runs the requested swap, in one transaction
   * that re-reads the deposit first: whoever comes second finds it credited.
   */
  private credit(paymentHash: string, receivedSat: bigint, now: number): void {
    this.db
      .transaction(() => {
        const d = this.mustGet(paymentHash)
        if (d.state !== 'pending') return
        // A wallet reports what actually arrived; payers may overpay, never underpay, an invoice.
        const sats = receivedSat > 0n ? receivedSat : d.amountSat
        if (sats !== d.amountSat) {
          this.logger.warn(`api: deposit ${paymentHash} asked ${d.amountSat} sat, received ${sats}`)
        }
        this.ledger.deposit(d.pubkey, sats, paymentHash)
        let swap: { state: 'done' | 'failed'; out: bigint | null; error: string | null } = {
          state: 'done',
          out: null,
          error: null,
        }
        if (d.swapMinOut !== null) {
          try {
            const r = this.ledger.swap(
              d.pubkey,
              'sat_to_tseed',
              sats,
              d.swapMinOut,
              `deposit:${paymentHash}`,
            )
            swap = { state: 'done', out: r.amountOut, error: null }
          } catch (err) {
            // The swap ran in its own savepoint and was rolled back; the sats stay credited.
            if (!(err instanceof AmmError) && !(err instanceof LedgerError)) throw err
            swap = { state: 'failed', out: null, error: err.message }
          }
        }
        this.stmt.credit.run(
          sats,
          now,
          d.swapMinOut === null ? null : swap.state,
          swap.out,
          swap.error,
          paymentHash,
        )
      })
      .immediate()
  }

  private checkSwapPossible(amountSat: bigint, minOut: bigint): void {
    const pool = this.ledger.pool()
    if (pool === null) throw new ApiError(503, 'pool_not_bootstrapped', POOL_EMPTY_MESSAGE)
    const quote = quoteSwap(pool, 'sat_to_tseed', amountSat)
    if (quote.amountOut < minOut) {
      throw new ApiError(
        409,
        'slippage',
        `at the current pool price ${amountSat} sat buys ${quote.amountOut} TSEED, below swap_min_out ${minOut}`,
        { amount_out: quote.amountOut.toString() },
      )
    }
  }

  private mustGet(paymentHash: string): DepositRecord {
    const d = this.get(paymentHash)
    if (d === undefined) throw new ApiError(404, 'not_found', 'no deposit with that payment hash')
    return d
  }
}

/** The JSON form of a deposit; amounts are decimal strings. */
export function depositJson(d: DepositRecord): Record<string, unknown> {
  return {
    payment_hash: d.paymentHash,
    invoice: d.invoice,
    amount_sat: d.amountSat.toString(),
    state: d.state,
    created_at: d.createdAt,
    expires_at: d.expiresAt,
    credited_sat: d.creditedSat?.toString() ?? null,
    credited_at: d.creditedAt,
    swap:
      d.swapMinOut === null
        ? null
        : {
            min_out: d.swapMinOut.toString(),
            state: d.swapState ?? 'requested',
            amount_out: d.swapAmountOut?.toString() ?? null,
            ...(d.swapError !== null
              ? { message: `swap not made, the sats stay credited: ${d.swapError}` }
              : {}),
          },
  }
}

function fromRow(r: Row): DepositRecord {
  return {
    paymentHash: r.payment_hash,
    pubkey: r.pubkey,
    amountSat: r.amount_sat,
    invoice: r.invoice,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    swapMinOut: r.swap_min_out === null ? null : BigInt(r.swap_min_out),
    state: r.state,
    creditedSat: r.credited_sat,
    creditedAt: r.credited_at === null ? null : Number(r.credited_at),
    swapState: r.swap_state,
    swapAmountOut: r.swap_amount_out,
    swapError: r.swap_error,
  }
}
