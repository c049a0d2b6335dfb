import { Bolt11Error, decodeInvoice, type DecodedInvoice } from '../../../src/balance/bolt11'

/**
 * The relay's only view of Lightning: deposits (createInvoice + lookupInvoice)
 * and withdrawals (payInvoice). Every amount on this interface is whole sats
 * as BigInt; backends convert from msat at their edge and refuse amounts that
 * would need rounding against the operator.
 */
export interface LightningBackend {
  /** Short identifier for logs and the NIP-11 document, e.g. `dev` or `nwc`. */
  readonly name: string
  /** True when no real money moves; every user-facing surface must say so. */
  readonly testMode: boolean
  createInvoice(params: CreateInvoiceParams): Promise<CreatedInvoice>
  /** Throws `NOT_FOUND` for a payment hash this backend never issued. */
  lookupInvoice(paymentHash: string): Promise<InvoiceStatus>
  /**
   * Pay a BOLT 11 invoice that carries an amount.
   * Error codes and whether money may have left: see {@link paymentMayHaveLeft}.
   */
  payInvoice(invoice: string, opts: PayInvoiceOptions): Promise<PaymentResult>
  close(): Promise<void>
}

export interface CreateInvoiceParams {
  amountSat: bigint
  /** Shown to the payer in their wallet; at most {@link MAX_MEMO_BYTES} bytes of UTF-8. */
  memo: string
  expirySeconds: number
}

export interface CreatedInvoice {
  invoice: string
  /** 64 lowercase hex. */
  paymentHash: string
  /** Unix seconds. */
  expiresAt: number
}

/** `pending` also covers a held (accepted, not yet settled) payment: it is not money yet. */
export type InvoiceState = 'pending' | 'settled' | 'expired' | 'failed'

export interface InvoiceStatus {
  state: InvoiceState
  amountSat: bigint
  /** Unix seconds, when settled. */
  settledAt?: number
}

export interface PayInvoiceOptions {
  /** The most the caller has reserved for routing fees. */
  maxFeeSat: bigint
}

export interface PaymentResult {
  /**
   * 64 lowercase hex, proof of payment. Absent only from the dev backend when
   * it "pays" an invoice it did not issue and so cannot know the preimage.
   */
  preimage?: string
  /** Routing fee actually paid, rounded up to whole sats. */
  feeSat: bigint
}

export type LightningErrorCode =
  | 'PAYMENT_FAILED'
  | 'INSUFFICIENT_BALANCE'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'INVOICE_INVALID'
  | 'NOT_FOUND'
  | 'OTHER'

/** A Lightning operation failed; `code` says how (see {@link paymentMayHaveLeft}). */
export class LightningError extends Error {
  override name = 'LightningError'
  constructor(
    readonly code: LightningErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/**
 * Whether a failed `payInvoice` may still have paid. `TIMEOUT` (sent, no
 * answer) and `OTHER` (an internal or malformed answer) are ambiguous, as is
 * any error that is not a LightningError: such a withdrawal must stay pending
 * until reconciled (e.g. `lookupInvoice(paymentHash)` on the wallet), never
 * refunded. Every other code means the payment was not made, so a refund is safe.
 */
export function paymentMayHaveLeft(error: unknown): boolean {
  return !(error instanceof LightningError) || error.code === 'TIMEOUT' || error.code === 'OTHER'
}

/** BOLT 11 `d` field limit. */
export const MAX_MEMO_BYTES = 639
/** 21 million BTC in sats. */
export const MAX_SAT = 2_100_000_000_000_000n
export const MIN_EXPIRY_SECONDS = 60
export const MAX_EXPIRY_SECONDS = 7 * 24 * 3600

/** Exact sats → msat. */
export function satToMsat(sat: bigint): bigint {
  return sat * 1000n
}

/**
 * msat → sats where the amount must be exact (invoice amounts): a fraction
 * of a sat would have to be rounded, and either direction loses someone money.
 */
export function msatToWholeSat(msat: bigint, what: string): bigint {
  if (msat < 0n) throw new LightningError('OTHER', `${what} is negative: ${msat} msat`)
  if (msat % 1000n !== 0n) {
    throw new LightningError(
      'INVOICE_INVALID',
      `${what} of ${msat} msat is not a whole number of sats`,
    )
  }
  return msat / 1000n
}

/** msat → sats rounded up: for fees the operator paid, so the ledger never under-charges. */
export function msatToSatCeil(msat: bigint): bigint {
  if (msat < 0n) throw new LightningError('OTHER', `negative fee: ${msat} msat`)
  return (msat + 999n) / 1000n
}

/**
 * Validate createInvoice parameters; throws `RangeError` naming the bad field.
 * These come from the relay's own API layer, so a bad value is a caller bug.
 */
export function checkCreateInvoiceParams(params: CreateInvoiceParams): void {
  if (
    typeof params.amountSat !== 'bigint' ||
    params.amountSat <= 0n ||
    params.amountSat > MAX_SAT
  ) {
    throw new RangeError('amountSat must be a positive bigint of at most 21 million BTC')
  }
  if (
    typeof params.memo !== 'string' ||
    new TextEncoder().encode(params.memo).length > MAX_MEMO_BYTES
  ) {
    throw new RangeError(`memo must be a string of at most ${MAX_MEMO_BYTES} UTF-8 bytes`)
  }
  if (
    !Number.isInteger(params.expirySeconds) ||
    params.expirySeconds < MIN_EXPIRY_SECONDS ||
    params.expirySeconds > MAX_EXPIRY_SECONDS
  ) {
    throw new RangeError(
      `expirySeconds must be an integer in [${MIN_EXPIRY_SECONDS}, ${MAX_EXPIRY_SECONDS}]`,
    )
  }
}

/** Validate payInvoice options; throws `RangeError`. */
export function checkPayInvoiceOptions(opts: PayInvoiceOptions): void {
  if (typeof opts.maxFeeSat !== 'bigint' || opts.maxFeeSat < 0n) {
    throw new RangeError('maxFeeSat must be a non-negative bigint')
  }
}

/**
 * Decode an invoice about to be paid, refusing what a withdrawal must not pay:
 * undecodable, expired, amountless (the ledger debits a known amount), or
 * carrying a fraction of a sat. `network`, when given, must match.
 */
export function decodePayableInvoice(
  invoice: string,
  nowSeconds: number,
  network?: DecodedInvoice['network'],
): DecodedInvoice & { amountSat: bigint } {
  let decoded: DecodedInvoice
  try {
    decoded = decodeInvoice(invoice)
  } catch (e) {
    const message = e instanceof Bolt11Error ? e.message : 'undecodable invoice'
    throw new LightningError('INVOICE_INVALID', message, { cause: e })
  }
  if (network !== undefined && decoded.network !== network) {
    throw new LightningError(
      'INVOICE_INVALID',
      `invoice is for ${decoded.network}, this wallet is on ${network}`,
    )
  }
  if (nowSeconds >= decoded.expiresAt) {
    throw new LightningError('INVOICE_INVALID', 'invoice has expired')
  }
  if (decoded.amountMsat === undefined) {
    throw new LightningError(
      'INVOICE_INVALID',
      'invoice has no amount; amountless invoices are refused',
    )
  }
  return { ...decoded, amountSat: msatToWholeSat(decoded.amountMsat, 'invoice amount') }
}
