import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import { encodeInvoice } from '../../../src/balance/bolt11'
import {
  checkCreateInvoiceParams,
  checkPayInvoiceOptions,
  decodePayableInvoice,
  LightningError,
  MAX_MEMO_BYTES,
  satToMsat,
  type CreatedInvoice,
  type CreateInvoiceParams,
  type InvoiceStatus,
  type LightningBackend,
  type PayInvoiceOptions,
  type PaymentResult,
} from './backend'

/** Every invoice the dev backend issues says so in the payer's wallet. */
export const TEST_MODE_PREFIX = '[TEST MODE] '

export interface DevBackendOptions {
  /** Unix seconds. */
  now?: () => number
  /** Source of keys and preimages; injectable for deterministic tests. */
  randomBytes?: (length: number) => Uint8Array
}

interface IssuedInvoice {
  amountSat: bigint
  preimage: string
  settledAt: number
}

/**
 * A Lightning backend for development and tests: no money moves. Invoices
 * are real regtest BOLT 11 strings signed by a throwaway node key and count as
 * paid the moment they are created; payments "succeed" instantly for any
 * decodable, unexpired invoice. `testMode` is true so the relay can label
 * every balance that came from it.
 */
export class DevLightningBackend implements LightningBackend {
  readonly name = 'dev'
  readonly testMode = true
  /** Compressed public key of the throwaway node, as recovered from its invoices. */
  readonly nodePubkey: string
  private readonly nodeKey: Uint8Array
  private readonly now: () => number
  private readonly random: (length: number) => Uint8Array
  private readonly issued = new Map<string, IssuedInvoice>()
  /** Outgoing payments by payment hash, so a withdrawal can be reconciled by lookup. */
  private readonly paid = new Map<string, { amountSat: bigint; settledAt: number }>()
  private closed = false

  constructor(options: DevBackendOptions = {}) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000))
    this.random = options.randomBytes ?? randomBytes
    this.nodeKey = secp256k1.utils.randomSecretKey(this.random(48))
    this.nodePubkey = bytesToHex(secp256k1.getPublicKey(this.nodeKey, true))
  }

  /** Issue a regtest invoice that is already settled. */
  createInvoice(params: CreateInvoiceParams): Promise<CreatedInvoice> {
    return attempt(() => this.issue(params))
  }

  private issue(params: CreateInvoiceParams): CreatedInvoice {
    this.assertOpen()
    checkCreateInvoiceParams(params)
    const timestamp = this.now()
    const preimage = this.random(32)
    const paymentHash = bytesToHex(sha256(preimage))
    const invoice = encodeInvoice(
      {
        network: 'regtest',
        amountMsat: satToMsat(params.amountSat),
        paymentHash,
        paymentSecret: bytesToHex(this.random(32)),
        description: truncateUtf8(TEST_MODE_PREFIX + params.memo, MAX_MEMO_BYTES),
        expirySeconds: params.expirySeconds,
        timestamp,
      },
      this.nodeKey,
    )
    this.issued.set(paymentHash, {
      amountSat: params.amountSat,
      preimage: bytesToHex(preimage),
      settledAt: timestamp,
    })
    return { invoice, paymentHash, expiresAt: timestamp + params.expirySeconds }
  }

  /** Answers for invoices it issued and for payments it made. */
  lookupInvoice(paymentHash: string): Promise<InvoiceStatus> {
    return attempt(() => {
      this.assertOpen()
      const found = this.issued.get(paymentHash) ?? this.paid.get(paymentHash)
      if (!found)
        throw new LightningError('NOT_FOUND', 'no invoice or payment with that payment hash')
      return { state: 'settled', amountSat: found.amountSat, settledAt: found.settledAt }
    })
  }

  /**
   * "Pay" instantly with no fee. A second payment of the same payment hash
   * fails, as on a real node, so a double withdrawal is caught in tests too.
   */
  payInvoice(invoice: string, opts: PayInvoiceOptions): Promise<PaymentResult> {
    return attempt(() => {
      this.assertOpen()
      checkPayInvoiceOptions(opts)
      const decoded = decodePayableInvoice(invoice, this.now())
      if (this.paid.has(decoded.paymentHash)) {
        throw new LightningError('PAYMENT_FAILED', 'invoice is already paid')
      }
      this.paid.set(decoded.paymentHash, { amountSat: decoded.amountSat, settledAt: this.now() })
      const own = this.issued.get(decoded.paymentHash)
      const result: PaymentResult = { feeSat: 0n }
      if (own) result.preimage = own.preimage
      return result
    })
  }

  close(): Promise<void> {
    this.closed = true
    return Promise.resolve()
  }

  private assertOpen(): void {
    if (this.closed) throw new LightningError('UNAVAILABLE', 'dev Lightning backend is closed')
  }
}

/** Run synchronous work so that its errors reject the promise instead of throwing. */
function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work())
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)))
  }
}

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder()
  if (encoder.encode(text).length <= maxBytes) return text
  let out = ''
  let used = 0
  for (const ch of text) {
    const size = encoder.encode(ch).length
    if (used + size > maxBytes) break
    out += ch
    used += size
  }
  return out
}
