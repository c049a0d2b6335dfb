import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js'
import { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import {
  decodeInvoice,
  encodeInvoice,
  type Bolt11Network,
  type DecodedInvoice,
} from '../../src/balance/bolt11'
import { NWC_INFO, NWC_REQUEST } from '../../src/nostr/kinds'
import {
  buildResponse,
  formatWalletConnectUri,
  Nip47Error,
  readRequest,
  type Nip47Encryption,
  type Nip47ErrorCode,
  type ReceivedRequest,
} from '../../src/nostr/nip47'
import type { WebSocketImplementation } from '../../src/nostr/nwc-client'

/**
 * A NIP-47 wallet service for tests: its own key, a relay subscription for
 * requests addressed to it, and an in-memory wallet (msat balance, invoices it
 * issued, payments it made). It speaks the protocol for real, so a client
 * talking to it exercises the same path as against a production wallet.
 */

export interface NwcWalletServiceOptions {
  relayUrl: string
  WebSocket: WebSocketImplementation
  balanceMsat?: bigint
  network?: Bolt11Network
  /** Schemes advertised in the info event and accepted on requests. */
  encryptions?: Nip47Encryption[]
  /** Routing fee charged per outgoing payment. */
  feeMsat?: bigint
  /** Unix seconds. */
  now?: () => number
  /** Reconnect delay after the relay drops. Default 100 ms. */
  reconnectMs?: number
  /** Other wallets this one can pay: invoices they issued settle there when paid here. */
  peers?: TestLightningNetwork
}

/**
 * Wallets that can pay each other's invoices, the way two Lightning nodes
 * with a route between them can: a payment from one settles the invoice at
 * the other, which learns of it as a real payee would (`lookup_invoice`).
 */
export class TestLightningNetwork {
  private readonly issuers = new Map<string, NwcWalletService>()

  register(paymentHash: string, issuer: NwcWalletService): void {
    this.issuers.set(paymentHash, issuer)
  }

  issuerOf(paymentHash: string): NwcWalletService | undefined {
    return this.issuers.get(paymentHash)
  }
}

interface Transaction {
  type: 'incoming' | 'outgoing'
  invoice: string
  paymentHash: string
  preimage: string | undefined
  amountMsat: bigint
  feesMsat: bigint
  description: string | undefined
  createdAt: number
  expiresAt: number
  state: 'pending' | 'settled' | 'failed'
  settledAt: number | undefined
}

/** A request as it was handled, for assertions. */
export interface HandledRequest {
  method: string
  encryption: Nip47Encryption
  clientPubkey: string
  errorCode?: string
}

class WalletError extends Error {
  constructor(
    readonly code: Nip47ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

const METHODS = ['get_info', 'get_balance', 'make_invoice', 'lookup_invoice', 'pay_invoice']

export class NwcWalletService {
  readonly walletPubkey: string
  readonly relayUrl: string
  /** Every request answered, in order. */
  readonly handled: HandledRequest[] = []
  /** The relay's answer to the info event, e.g. `blocked: …` on a TSEED relay. */
  infoPublishResult = ''
  private readonly walletSecret = generateSecretKey()
  private readonly nodeKey = secp256k1.utils.randomSecretKey()
  private readonly options: NwcWalletServiceOptions
  private readonly now: () => number
  private readonly clients = new Set<string>()
  private readonly transactions = new Map<string, Transaction>()
  /** Preimages of payees elsewhere on the "network" this wallet can route to. */
  private readonly payees = new Map<string, string>()
  private readonly seen = new Set<string>()
  private balance: bigint
  private relay: AbstractRelay | undefined
  private stopped = false
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private connectedWaiters: (() => void)[] = []

  private constructor(options: NwcWalletServiceOptions) {
    this.options = options
    this.relayUrl = options.relayUrl
    this.walletPubkey = getPublicKey(this.walletSecret)
    this.balance = options.balanceMsat ?? 0n
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000))
  }

  /** Connect, subscribe to requests and publish the info event. */
  static async start(options: NwcWalletServiceOptions): Promise<NwcWalletService> {
    const service = new NwcWalletService(options)
    await service.connect()
    return service
  }

  get balanceMsat(): bigint {
    return this.balance
  }

  get connected(): boolean {
    return this.relay?.connected === true
  }

  /** Resolves once the service is subscribed again after a relay drop. */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve()
    return new Promise((resolve) => this.connectedWaiters.push(resolve))
  }

  /** Authorize a fresh client key and return its connection URI. */
  createConnection(): { uri: string; clientSecret: Uint8Array } {
    const clientSecret = generateSecretKey()
    this.clients.add(getPublicKey(clientSecret))
    const uri = formatWalletConnectUri({
      walletPubkey: this.walletPubkey,
      relays: [this.relayUrl],
      secret: clientSecret,
    })
    return { uri, clientSecret }
  }

  /** Play the payer: mark an invoice this wallet issued as paid. */
  settleInvoice(paymentHash: string): void {
    const tx = this.transactions.get(paymentHash)
    if (tx?.type !== 'incoming') throw new Error(`no invoice ${paymentHash}`)
    if (tx.state !== 'pending') throw new Error(`invoice ${paymentHash} is ${tx.state}`)
    if (this.now() >= tx.expiresAt) throw new Error(`invoice ${paymentHash} has expired`)
    tx.state = 'settled'
    tx.settledAt = this.now()
    this.balance += tx.amountMsat
  }

  /**
   * Be paid `amountMsat` for an invoice this wallet issued, by another
   * wallet on the same network; returns the preimage the payer gets.
   */
  receivePayment(paymentHash: string, amountMsat: bigint): string {
    const tx = this.transactions.get(paymentHash)
    if (tx?.type !== 'incoming' || tx.state !== 'pending' || tx.preimage === undefined) {
      throw new WalletError('PAYMENT_FAILED', 'the payee does not accept this payment')
    }
    if (amountMsat < tx.amountMsat) {
      throw new WalletError('PAYMENT_FAILED', 'the payment is less than the invoice asks')
    }
    this.settleInvoice(paymentHash)
    return tx.preimage
  }

  /** Make a payee reachable: payments to sha256(preimage) will succeed. Returns the payment hash. */
  addPayee(preimage: string): string {
    const hash = bytesToHex(sha256(hexToBytes(preimage)))
    this.payees.set(hash, preimage)
    return hash
  }

  /** Disconnect for good; requests now go unanswered. */
  stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.reconnectTimer)
    const relay = this.relay
    this.relay = undefined
    relay?.close()
    return Promise.resolve()
  }

  private async connect(): Promise<void> {
    const relay = new AbstractRelay(this.relayUrl, {
      verifyEvent,
      websocketImplementation: this.options.WebSocket,
    })
    relay.onnotice = () => undefined
    await relay.connect({ timeout: 5_000 })
    relay.onclose = () => {
      if (this.relay === relay) this.relay = undefined
      this.scheduleReconnect()
    }
    this.relay = relay
    await new Promise<void>((resolve) => {
      relay.subscribe([{ kinds: [NWC_REQUEST], '#p': [this.walletPubkey] }], {
        onevent: (event) => {
          this.onRequest(relay, event)
        },
        oneose: resolve,
        onclose: () => {
          resolve()
        },
      })
    })
    await this.publishInfo(relay)
    for (const wake of this.connectedWaiters.splice(0)) wake()
  }

  private scheduleReconnect(): void {
    if (this.stopped) return
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch(() => {
        this.scheduleReconnect()
      })
    }, this.options.reconnectMs ?? 100)
  }

  private async publishInfo(relay: AbstractRelay): Promise<void> {
    const info = finalizeEvent(
      {
        kind: NWC_INFO,
        created_at: this.now(),
        tags: [['encryption', (this.options.encryptions ?? ['nip44_v2', 'nip04']).join(' ')]],
        content: METHODS.join(' '),
      },
      this.walletSecret,
    )
    try {
      this.infoPublishResult = await relay.publish(info)
    } catch (e) {
      this.infoPublishResult = e instanceof Error ? e.message : String(e)
    }
  }

  private onRequest(relay: AbstractRelay, event: NostrEvent): void {
    if (this.stopped || this.seen.has(event.id)) return
    this.seen.add(event.id)
    let request: ReceivedRequest
    try {
      request = readRequest(event, this.walletSecret)
    } catch (e) {
      // Undecryptable: there is no method to answer to, so answer nothing.
      if (!(e instanceof Nip47Error)) throw e
      return
    }
    if (request.expiresAt !== undefined && this.now() > request.expiresAt) return
    const accepted = this.options.encryptions ?? ['nip44_v2', 'nip04']
    let result: Record<string, unknown> | null = null
    let error: { code: Nip47ErrorCode; message: string } | null = null
    try {
      if (!accepted.includes(request.encryption)) {
        throw new WalletError('UNSUPPORTED_ENCRYPTION', `${request.encryption} is not accepted`)
      }
      if (!this.clients.has(request.clientPubkey)) {
        throw new WalletError('UNAUTHORIZED', 'no wallet is connected to this key')
      }
      result = this.execute(request)
    } catch (e) {
      if (!(e instanceof WalletError)) throw e
      error = { code: e.code, message: e.message }
    }
    const entry: HandledRequest = {
      method: request.method,
      encryption: request.encryption,
      clientPubkey: request.clientPubkey,
    }
    if (error) entry.errorCode = error.code
    this.handled.push(entry)
    const response = buildResponse(
      { resultType: request.method, error, result },
      {
        request: event,
        walletSecret: this.walletSecret,
        encryption: request.encryption,
        now: this.now(),
      },
    )
    relay.publish(response).catch(() => undefined)
  }

  private execute(request: ReceivedRequest): Record<string, unknown> {
    const p = request.params
    switch (request.method) {
      case 'get_info':
        return {
          alias: 'tseed-test-wallet',
          network: this.options.network ?? 'regtest',
          pubkey: bytesToHex(secp256k1.getPublicKey(this.nodeKey, true)),
          methods: METHODS,
        }
      case 'get_balance':
        return { balance: Number(this.balance) }
      case 'make_invoice':
        return this.makeInvoice(p)
      case 'lookup_invoice':
        return this.lookupInvoice(p)
      case 'pay_invoice':
        return this.payInvoice(p)
      default:
        throw new WalletError('NOT_IMPLEMENTED', `${request.method} is not supported`)
    }
  }

  private makeInvoice(p: Record<string, unknown>): Record<string, unknown> {
    const amount = p.amount
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      throw new WalletError('OTHER', 'amount must be a positive integer of msat')
    }
    const expiry = typeof p.expiry === 'number' && Number.isSafeInteger(p.expiry) ? p.expiry : 3600
    const description = typeof p.description === 'string' ? p.description : ''
    const preimage = randomBytes(32)
    const paymentHash = bytesToHex(sha256(preimage))
    const createdAt = this.now()
    const invoice = encodeInvoice(
      {
        network: this.options.network ?? 'regtest',
        amountMsat: BigInt(amount),
        paymentHash,
        paymentSecret: bytesToHex(randomBytes(32)),
        description,
        expirySeconds: expiry,
        timestamp: createdAt,
      },
      this.nodeKey,
    )
    const tx: Transaction = {
      type: 'incoming',
      invoice,
      paymentHash,
      preimage: bytesToHex(preimage),
      amountMsat: BigInt(amount),
      feesMsat: 0n,
      description,
      createdAt,
      expiresAt: createdAt + expiry,
      state: 'pending',
      settledAt: undefined,
    }
    this.transactions.set(paymentHash, tx)
    this.options.peers?.register(paymentHash, this)
    return this.describe(tx)
  }

  private lookupInvoice(p: Record<string, unknown>): Record<string, unknown> {
    let hash = typeof p.payment_hash === 'string' ? p.payment_hash : undefined
    if (hash === undefined && typeof p.invoice === 'string')
      hash = this.decode(p.invoice).paymentHash
    if (hash === undefined) throw new WalletError('OTHER', 'payment_hash or invoice is required')
    const tx = this.transactions.get(hash)
    if (!tx) throw new WalletError('NOT_FOUND', 'invoice not found')
    return this.describe(tx)
  }

  private payInvoice(p: Record<string, unknown>): Record<string, unknown> {
    if (typeof p.invoice !== 'string') throw new WalletError('OTHER', 'invoice is required')
    const decoded = this.decode(p.invoice)
    const network = this.options.network ?? 'regtest'
    if (decoded.network !== network) {
      throw new WalletError(
        'OTHER',
        `invoice is for ${decoded.network}, this wallet is on ${network}`,
      )
    }
    const amountMsat =
      decoded.amountMsat ?? (typeof p.amount === 'number' ? BigInt(p.amount) : undefined)
    if (amountMsat === undefined || amountMsat <= 0n) {
      throw new WalletError('OTHER', 'amount is required for an amountless invoice')
    }
    const now = this.now()
    if (now >= decoded.expiresAt) throw new WalletError('PAYMENT_FAILED', 'invoice has expired')
    const existing = this.transactions.get(decoded.paymentHash)
    if (existing?.type === 'outgoing' && existing.state === 'settled') {
      throw new WalletError('PAYMENT_FAILED', 'invoice is already paid')
    }
    const fee = this.options.feeMsat ?? 0n
    if (amountMsat + fee > this.balance) {
      throw new WalletError(
        'INSUFFICIENT_BALANCE',
        `balance ${this.balance} msat cannot cover ${amountMsat} msat plus ${fee} msat fee`,
      )
    }
    let preimage = this.payees.get(decoded.paymentHash)
    if (existing?.type === 'incoming') {
      // Paying its own invoice: an internal transfer that settles it.
      if (existing.state !== 'pending')
        throw new WalletError('PAYMENT_FAILED', 'invoice is not payable')
      preimage = existing.preimage
      this.settleInvoice(existing.paymentHash)
    }
    const issuer = this.options.peers?.issuerOf(decoded.paymentHash)
    if (preimage === undefined && issuer !== undefined && issuer !== this) {
      preimage = issuer.receivePayment(decoded.paymentHash, amountMsat)
    }
    if (preimage === undefined) throw new WalletError('PAYMENT_FAILED', 'no route to the payee')
    this.balance -= amountMsat + fee
    const tx: Transaction = {
      type: 'outgoing',
      invoice: p.invoice,
      paymentHash: decoded.paymentHash,
      preimage,
      amountMsat,
      feesMsat: fee,
      description: decoded.description,
      createdAt: now,
      expiresAt: decoded.expiresAt,
      state: 'settled',
      settledAt: now,
    }
    if (existing?.type !== 'incoming') this.transactions.set(decoded.paymentHash, tx)
    return { preimage, fees_paid: Number(fee) }
  }

  private decode(invoice: string): DecodedInvoice {
    try {
      return decodeInvoice(invoice)
    } catch (e) {
      throw new WalletError('OTHER', `invalid invoice: ${(e as Error).message}`)
    }
  }

  private describe(tx: Transaction): Record<string, unknown> {
    const expired = tx.state === 'pending' && this.now() >= tx.expiresAt
    const out: Record<string, unknown> = {
      type: tx.type,
      state: expired ? 'expired' : tx.state,
      invoice: tx.invoice,
      description: tx.description,
      payment_hash: tx.paymentHash,
      amount: Number(tx.amountMsat),
      fees_paid: Number(tx.feesMsat),
      created_at: tx.createdAt,
      expires_at: tx.expiresAt,
      metadata: {},
    }
    if (tx.state === 'settled') {
      out.settled_at = tx.settledAt
      out.preimage = tx.preimage
    }
    return out
  }
}
