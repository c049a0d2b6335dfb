import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { decodeInvoice, type Bolt11Network, type DecodedInvoice } from '../../../src/balance/bolt11'
import { parseWalletConnectUri } from '../../../src/nostr/nip47'
import {
  checkCreateInvoiceParams,
  checkPayInvoiceOptions,
  decodePayableInvoice,
  LightningError,
  msatToSatCeil,
  satToMsat,
  type CreatedInvoice,
  type CreateInvoiceParams,
  type InvoiceState,
  type InvoiceStatus,
  type LightningBackend,
  type LightningErrorCode,
  type PayInvoiceOptions,
  type PaymentResult,
} from './backend'
import {
  NwcClient,
  NwcError,
  type Nip47Requester,
  type WebSocketImplementation,
} from '../../../src/nostr/nwc-client'

export interface NwcBackendOptions {
  /** `nostr+walletconnect://…`; its secret stays inside the client and is never logged. */
  uri: string
  WebSocket: WebSocketImplementation
  /** make_invoice and lookup_invoice. Default 30 s. */
  requestTimeoutMs?: number
  /** pay_invoice, which waits for routing. Default 60 s. */
  payTimeoutMs?: number
  /** When set, invoices for another network are refused before reaching the wallet. */
  network?: Bolt11Network
  /** Unix seconds. */
  now?: () => number
  logger?: Pick<Console, 'warn'>
  /** Replaces the relay transport (unit tests). */
  requester?: Nip47Requester
}

const HEX64 = /^[0-9a-f]{64}$/

/** NIP-47 error code → what it means for the relay. */
const WALLET_CODES: Readonly<Record<string, LightningErrorCode>> = {
  INSUFFICIENT_BALANCE: 'INSUFFICIENT_BALANCE',
  // A spending cap is, to the relay, the same as an empty wallet.
  QUOTA_EXCEEDED: 'INSUFFICIENT_BALANCE',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  // Refusals before execution: the wallet did nothing and cannot serve us now.
  RATE_LIMITED: 'UNAVAILABLE',
  RESTRICTED: 'UNAVAILABLE',
  UNAUTHORIZED: 'UNAVAILABLE',
  NOT_IMPLEMENTED: 'UNAVAILABLE',
  UNSUPPORTED_ENCRYPTION: 'UNAVAILABLE',
  // INTERNAL, OTHER and unknown codes stay OTHER: a payment's fate is unclear.
}

/**
 * Lightning through the operator's wallet over Nostr Wallet Connect. NIP-47
 * speaks msat; this class converts to whole sats at the edge and checks what
 * the wallet says against the invoice itself (amount, payment hash, preimage).
 */
export class NwcLightningBackend implements LightningBackend {
  readonly name = 'nwc'
  readonly testMode = false
  /** The wallet's pubkey: safe to log, unlike the URI. */
  readonly walletPubkey: string
  private readonly requester: Nip47Requester
  private readonly requestTimeoutMs: number
  private readonly payTimeoutMs: number
  private readonly network: Bolt11Network | undefined
  private readonly now: () => number
  private readonly logger: Pick<Console, 'warn'>

  constructor(options: NwcBackendOptions) {
    const connection = parseWalletConnectUri(options.uri)
    this.walletPubkey = connection.walletPubkey
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000
    this.payTimeoutMs = options.payTimeoutMs ?? 60_000
    this.network = options.network
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000))
    this.logger = options.logger ?? console
    this.requester =
      options.requester ??
      new NwcClient({
        connection,
        WebSocket: options.WebSocket,
        requestTimeoutMs: this.requestTimeoutMs,
        now: this.now,
      })
  }

  async createInvoice(params: CreateInvoiceParams): Promise<CreatedInvoice> {
    checkCreateInvoiceParams(params)
    const amountMsat = satToMsat(params.amountSat)
    const result = await this.call('make_invoice', {
      amount: jsonMsat(amountMsat),
      description: params.memo,
      expiry: params.expirySeconds,
    })
    if (typeof result.invoice !== 'string') {
      throw new LightningError('OTHER', 'wallet answered make_invoice without an invoice')
    }
    let decoded: DecodedInvoice
    try {
      decoded = decodeInvoice(result.invoice)
    } catch (e) {
      throw new LightningError(
        'OTHER',
        `wallet returned an invalid invoice: ${(e as Error).message}`,
      )
    }
    // The invoice, not the wallet's summary of it, is what the payer will pay.
    if (decoded.amountMsat !== amountMsat) {
      throw new LightningError(
        'OTHER',
        `wallet issued an invoice for ${decoded.amountMsat ?? 'any'} msat instead of ${amountMsat}`,
      )
    }
    if (result.payment_hash !== undefined && result.payment_hash !== decoded.paymentHash) {
      throw new LightningError('OTHER', 'wallet reported a payment hash that is not the invoice’s')
    }
    if (this.network !== undefined && decoded.network !== this.network) {
      throw new LightningError(
        'OTHER',
        `wallet issued a ${decoded.network} invoice, expected ${this.network}`,
      )
    }
    return {
      invoice: result.invoice,
      paymentHash: decoded.paymentHash,
      expiresAt: decoded.expiresAt,
    }
  }

  /**
   * A received amount with a fraction of a sat is floored: the fraction stays
   * with the operator, and a paid deposit is never left uncredited over it.
   */
  async lookupInvoice(paymentHash: string): Promise<InvoiceStatus> {
    if (!HEX64.test(paymentHash)) throw new RangeError('paymentHash must be 64 lowercase hex')
    const result = await this.call('lookup_invoice', { payment_hash: paymentHash })
    if (result.payment_hash !== undefined && result.payment_hash !== paymentHash) {
      throw new LightningError('OTHER', 'wallet answered lookup_invoice for another payment hash')
    }
    const state = this.invoiceState(result)
    const status: InvoiceStatus = { state, amountSat: readMsat(result.amount, 'amount') / 1000n }
    if (state === 'settled' && typeof result.settled_at === 'number') {
      status.settledAt = result.settled_at
    }
    return status
  }

  /**
   * NIP-47 has no fee limit: the wallet applies its own. A fee above
   * `maxFeeSat` is reported as paid (the money is gone) and logged.
   */
  async payInvoice(invoice: string, opts: PayInvoiceOptions): Promise<PaymentResult> {
    checkPayInvoiceOptions(opts)
    const decoded = decodePayableInvoice(invoice, this.now(), this.network)
    const result = await this.call('pay_invoice', { invoice }, this.payTimeoutMs)
    const feeSat =
      result.fees_paid === undefined || result.fees_paid === null
        ? 0n
        : msatToSatCeil(readMsat(result.fees_paid, 'fees_paid'))
    if (feeSat > opts.maxFeeSat) {
      this.logger.warn(
        `nwc: payment ${decoded.paymentHash} cost ${feeSat} sat in fees, above the ${opts.maxFeeSat} sat reserved`,
      )
    }
    const paid: PaymentResult = { feeSat }
    if (isPreimageOf(result.preimage, decoded.paymentHash)) {
      paid.preimage = result.preimage
    } else {
      this.logger.warn(`nwc: wallet paid ${decoded.paymentHash} but returned no matching preimage`)
    }
    return paid
  }

  close(): Promise<void> {
    this.requester.close()
    return Promise.resolve()
  }

  private invoiceState(result: Record<string, unknown>): InvoiceState {
    switch (result.state) {
      case 'settled':
        return 'settled'
      // A held HTLC is not money until settled.
      case 'pending':
      case 'accepted':
        return 'pending'
      case 'expired':
        return 'expired'
      case 'failed':
        return 'failed'
      case undefined:
      case null:
        // Wallets from before `state` existed: settled_at is the only settlement signal.
        if (typeof result.settled_at === 'number' && result.settled_at > 0) return 'settled'
        if (typeof result.expires_at === 'number' && this.now() >= result.expires_at)
          return 'expired'
        return 'pending'
      default:
        throw new LightningError(
          'OTHER',
          `wallet reported unknown invoice state ${JSON.stringify(result.state)}`,
        )
    }
  }

  private async call(
    method: string,
    params: Record<string, unknown>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<Record<string, unknown>> {
    try {
      return await this.requester.request(method, params, { timeoutMs })
    } catch (e) {
      throw toLightningError(e)
    }
  }
}

/** Map a transport or wallet failure onto the backend's error codes. */
export function toLightningError(e: unknown): LightningError {
  if (e instanceof LightningError) return e
  if (!(e instanceof NwcError)) {
    return new LightningError('OTHER', e instanceof Error ? e.message : String(e), { cause: e })
  }
  switch (e.failure) {
    case 'unavailable':
      return new LightningError('UNAVAILABLE', e.message, { cause: e })
    case 'timeout':
      return new LightningError('TIMEOUT', e.message, { cause: e })
    case 'protocol':
      return new LightningError('OTHER', e.message, { cause: e })
    case 'wallet':
      return new LightningError(WALLET_CODES[e.walletCode ?? ''] ?? 'OTHER', e.message, {
        cause: e,
      })
  }
}

/** msat as a JSON number, refusing amounts JSON cannot carry exactly. */
function jsonMsat(msat: bigint): number {
  if (msat > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${msat} msat is too large to send exactly over NWC`)
  }
  return Number(msat)
}

function readMsat(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && /^[0-9]{1,19}$/.test(value)) return BigInt(value)
  throw new LightningError('OTHER', `wallet reported an invalid ${field}: ${JSON.stringify(value)}`)
}

function isPreimageOf(preimage: unknown, paymentHash: string): preimage is string {
  return (
    typeof preimage === 'string' &&
    HEX64.test(preimage) &&
    bytesToHex(sha256(hexToBytes(preimage))) === paymentHash
  )
}
