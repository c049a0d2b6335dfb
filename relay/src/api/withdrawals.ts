/**
 * Lightning withdrawals (docs/relay-api.md). The amount plus a fee reserve is
 * debited in the same transaction that records the invoice, before anything
 * is paid; only the request that created that record pays, so the same
 * invoice can never be paid twice. A payment that certainly failed is
 * refunded at once; one whose fate is unknown (`paymentMayHaveLeft`) stays
 * pending until {@link Withdrawals.reconcile} asks the wallet.
 */
import type { Bolt11Network } from '../../../src/balance/bolt11'
import type { Ledger } from '../ledger/ledger'
import {
  decodePayableInvoice,
  paymentMayHaveLeft,
  type LightningBackend,
  type PaymentResult,
} from '../lightning/backend'
import type { SqlDatabase } from '../store/database'
import type { Deposits } from './deposits'
import { ApiError } from './errors'
import { countPassing, errorText, lookupInvoiceState, OnePerHash } from './payment-sync'
import type { ApiLogger } from './types'

export type WithdrawalState = 'pending' | 'completed' | 'failed'

/** A withdrawal as stored in `api_withdrawals`. */
export interface WithdrawalRecord {
  paymentHash: string
  pubkey: string
  invoice: string
  amountSat: bigint
  feeReserveSat: bigint
  invoiceExpiresAt: number
  createdAt: number
  state: WithdrawalState
  preimage: string | null
  feePaidSat: bigint | null
  detail: string | null
  updatedAt: number
}

export interface WithdrawOptions {
  /** Bitcoin network invoices must be for: the backend's. */
  network: Bolt11Network
  /** Default fee reserve, in basis points of the amount; default 100 (1%). */
  feeReserveBps: bigint
  /** Smallest default fee reserve; default 10 sat. */
  minFeeReserveSat: bigint
  /** Largest withdrawal; default 10,000,000 sat. */
  maxSat: bigint
  /**
   * After the invoice expired, how long a payment the wallet has never heard
   * of stays pending before it counts as not made. Default 3600 s.
   */
  unknownGraceSeconds: number
}

export const DEFAULT_WITHDRAW_OPTIONS: Omit<WithdrawOptions, 'network'> = {
  feeReserveBps: 100n,
  minFeeReserveSat: 10n,
  maxSat: 10_000_000n,
  unknownGraceSeconds: 3600,
}

/** What a withdrawal request led to. */
export interface WithdrawOutcome {
  record: WithdrawalRecord
  /** False when this invoice was already withdrawn and the existing record is returned. */
  created: boolean
  /** The payment error, for a withdrawal that failed or whose outcome is unknown. */
  error?: unknown
}

interface Row {
  payment_hash: string
  pubkey: string
  invoice: string
  amount_sat: bigint
  fee_reserve_sat: bigint
  invoice_expires_at: bigint
  created_at: bigint
  state: WithdrawalState
  preimage: string | null
  fee_paid_sat: bigint | null
  detail: string | null
  updated_at: bigint
}

/** Withdrawals over one ledger and one Lightning backend. */
export class Withdrawals {
  private readonly stmt
  /** Payments this process is making right now; reconciliation leaves them alone. */
  private readonly paying = new Set<string>()
  private readonly reconciling = new OnePerHash<WithdrawalRecord>()

  constructor(
    private readonly db: SqlDatabase,
    private readonly ledger: Ledger,
    private readonly lightning: LightningBackend,
    private readonly deposits: Deposits,
    private readonly now: () => number,
    private readonly options: WithdrawOptions,
    private readonly logger: ApiLogger,
  ) {
    const p = (sql: string) => db.prepare(sql).safeIntegers(true)
    this.stmt = {
      get: p('SELECT * FROM api_withdrawals WHERE payment_hash = ?'),
      insert: p(
        `INSERT INTO api_withdrawals (payment_hash, pubkey, invoice, amount_sat, fee_reserve_sat,
           invoice_expires_at, created_at, state, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      ),
      settle: p(
        `UPDATE api_withdrawals SET state = ?, preimage = ?, fee_paid_sat = ?, detail = ?,
           updated_at = ? WHERE payment_hash = ?`,
      ),
      note: p('UPDATE api_withdrawals SET detail = ?, updated_at = ? WHERE payment_hash = ?'),
      pending: p(
        `SELECT payment_hash FROM api_withdrawals WHERE state = 'pending' ORDER BY created_at`,
      ).pluck(),
    }
  }

  /**
   * Debits, pays and settles one withdrawal of an amount-carrying invoice.
   * `maxFeeSat` is the fee reserve; by default 1% of the amount, at least 10 sat.
   */
  async withdraw(
    pubkey: string,
    given: string,
    maxFeeSat: bigint | undefined,
  ): Promise<WithdrawOutcome> {
    // Wallets copy invoices as `lightning:…` URIs; the backend wants the bare invoice.
    const invoice = given.trim().replace(/^lightning:/i, '')
    const decoded = decodePayableInvoice(invoice, this.now(), this.options.network)
    const hash = decoded.paymentHash
    if (this.deposits.has(hash)) {
      throw new ApiError(
        422,
        'invalid_invoice',
        'that is one of this relay’s own deposit invoices; withdraw to your own wallet',
      )
    }
    if (decoded.amountSat <= 0n || decoded.amountSat > this.options.maxSat) {
      throw new ApiError(
        400,
        'amount_out_of_range',
        `withdrawals must be from 1 to ${this.options.maxSat} sat; this invoice asks ${decoded.amountSat}`,
      )
    }
    const feeReserve = maxFeeSat ?? this.defaultFeeReserve(decoded.amountSat)

    const existing = this.db
      .transaction((): WithdrawalRecord | undefined => {
        const known = this.get(hash)
        if (known !== undefined) return known
        const now = this.now()
        // Throws InsufficientFunds (402) with need and have; nothing is then recorded.
        this.ledger.reserveWithdrawal(pubkey, decoded.amountSat, feeReserve, hash)
        this.stmt.insert.run(
          hash,
          pubkey,
          invoice,
          decoded.amountSat,
          feeReserve,
          decoded.expiresAt,
          now,
          now,
        )
        return undefined
      })
      .immediate()
    if (existing !== undefined) {
      if (existing.pubkey !== pubkey) {
        throw new ApiError(409, 'invoice_taken', 'another account already withdrew to this invoice')
      }
      return { record: existing, created: false }
    }

    this.paying.add(hash)
    try {
      let paid: PaymentResult
      try {
        paid = await this.lightning.payInvoice(invoice, { maxFeeSat: feeReserve })
      } catch (err) {
        return { record: this.afterFailedPayment(hash, err), created: true, error: err }
      }
      return { record: this.complete(hash, paid.feeSat, paid.preimage ?? null), created: true }
    } finally {
      this.paying.delete(hash)
    }
  }

  /** The caller's withdrawal; a pending one is reconciled first. Others' hashes answer 404. */
  async status(pubkey: string, paymentHash: string): Promise<WithdrawalRecord> {
    const record = this.get(paymentHash)
    if (record?.pubkey !== pubkey) {
      throw new ApiError(404, 'not_found', 'no withdrawal with that payment hash')
    }
    if (record.state !== 'pending' || this.paying.has(paymentHash)) return record
    try {
      return await this.reconcile(paymentHash)
    } catch (err) {
      this.logger.warn(`api: withdrawal ${paymentHash} could not be reconciled`, errorText(err))
      return record
    }
  }

  /**
   * Settles a pending withdrawal from what the wallet knows: `settled` →
   * completed (keeping the whole fee reserve, since a lookup does not report
   * the fee), `failed`/`expired` → refunded, never heard of long after the
   * invoice expired → refunded, anything else → still pending.
   */
  reconcile(paymentHash: string): Promise<WithdrawalRecord> {
    return this.reconciling.run(paymentHash, () => this.lookupAndSettle(paymentHash))
  }

  /** Reconciles every pending withdrawal not being paid right now; returns how many settled. */
  reconcileAll(): Promise<number> {
    return countPassing(
      this.stmt.pending.all() as string[],
      async (hash) => !this.paying.has(hash) && (await this.reconcile(hash)).state !== 'pending',
      (hash, why) => {
        this.logger.warn(`api: withdrawal ${hash} could not be reconciled`, why)
      },
    )
  }

  /** A withdrawal by payment hash, or undefined. */
  get(paymentHash: string): WithdrawalRecord | undefined {
    const row = this.stmt.get.get(paymentHash) as Row | undefined
    return row === undefined ? undefined : fromRow(row)
  }

  private async lookupAndSettle(hash: string): Promise<WithdrawalRecord> {
    const w = this.mustGet(hash)
    if (w.state !== 'pending' || this.paying.has(hash)) return w
    const status = await lookupInvoiceState(this.lightning, hash)
    const state = status === 'unknown' ? status : status.state
    if (this.paying.has(hash)) return this.mustGet(hash)
    const now = this.now()
    if (state === 'settled') return this.complete(hash, w.feeReserveSat, null)
    if (state === 'failed' || state === 'expired') return this.fail(hash, `wallet reports ${state}`)
    if (state === 'unknown' && now >= w.invoiceExpiresAt + this.options.unknownGraceSeconds) {
      return this.fail(hash, 'the wallet has no record of the payment and the invoice expired')
    }
    return w
  }

  private afterFailedPayment(hash: string, err: unknown): WithdrawalRecord {
    const text = errorText(err)
    if (paymentMayHaveLeft(err)) {
      this.logger.warn(`api: withdrawal ${hash} outcome unknown, kept pending`, text)
      this.stmt.note.run(`outcome unknown, will be reconciled: ${text}`, this.now(), hash)
      return this.mustGet(hash)
    }
    return this.fail(hash, text)
  }

  private complete(hash: string, feeSat: bigint, preimage: string | null): WithdrawalRecord {
    return this.db
      .transaction(() => {
        const w = this.mustGet(hash)
        if (w.state !== 'pending') return w
        // NIP-47 has no fee cap: a wallet may spend more than reserved. The money is gone
        // either way; the user is charged at most the reserve and the operator bears the rest.
        const charged = feeSat > w.feeReserveSat ? w.feeReserveSat : feeSat
        if (charged !== feeSat) {
          this.logger.warn(
            `api: withdrawal ${hash} cost ${feeSat} sat in fees, ${w.feeReserveSat} reserved`,
          )
        }
        this.ledger.completeWithdrawal(hash, charged)
        this.stmt.settle.run('completed', preimage, charged, null, this.now(), hash)
        return this.mustGet(hash)
      })
      .immediate()
  }

  private fail(hash: string, detail: string): WithdrawalRecord {
    return this.db
      .transaction(() => {
        const w = this.mustGet(hash)
        if (w.state !== 'pending') return w
        this.ledger.failWithdrawal(hash)
        this.stmt.settle.run('failed', null, null, detail, this.now(), hash)
        return this.mustGet(hash)
      })
      .immediate()
  }

  private defaultFeeReserve(amount: bigint): bigint {
    const byRate = (amount * this.options.feeReserveBps + 9_999n) / 10_000n
    return byRate > this.options.minFeeReserveSat ? byRate : this.options.minFeeReserveSat
  }

  private mustGet(hash: string): WithdrawalRecord {
    const w = this.get(hash)
    if (w === undefined)
      throw new ApiError(404, 'not_found', 'no withdrawal with that payment hash')
    return w
  }
}

/** The JSON form of a withdrawal; amounts are decimal strings. */
export function withdrawalJson(w: WithdrawalRecord): Record<string, unknown> {
  return {
    payment_hash: w.paymentHash,
    state: w.state,
    amount_sat: w.amountSat.toString(),
    fee_reserve_sat: w.feeReserveSat.toString(),
    fee_paid_sat: w.feePaidSat?.toString() ?? null,
    preimage: w.preimage,
    created_at: w.createdAt,
    updated_at: w.updatedAt,
    detail: w.detail,
  }
}

function fromRow(r: Row): WithdrawalRecord {
  return {
    paymentHash: r.payment_hash,
    pubkey: r.pubkey,
    invoice: r.invoice,
    amountSat: r.amount_sat,
    feeReserveSat: r.fee_reserve_sat,
    invoiceExpiresAt: Number(r.invoice_expires_at),
    createdAt: Number(r.created_at),
    state: r.state,
    preimage: r.preimage,
    feePaidSat: r.fee_paid_sat,
    detail: r.detail,
    updatedAt: Number(r.updated_at),
  }
}
