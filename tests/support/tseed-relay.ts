import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js'
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { AbstractRelay } from 'nostr-tools/abstract-relay'
import { verifyEvent } from 'nostr-tools/pure'
import { WebSocket } from 'ws'
import { TseedApiClient } from '../../src/balance/api-client'
import { encodeInvoice, type Bolt11Network } from '../../src/balance/bolt11'
import { toEventTemplate, type Kind21000Announce } from '../../src/nostr/kind21000'
import {
  LightningError,
  type CreatedInvoice,
  type CreateInvoiceParams,
  type InvoiceStatus,
  type LightningBackend,
  type PayInvoiceOptions,
  type PaymentResult,
} from '../../relay/src/lightning/backend'
import { DevLightningBackend } from '../../relay/src/lightning/dev-backend'
import type { WebSocketImplementation } from '../../src/nostr/nwc-client'
import {
  startTseedRelay,
  type RunningTseedRelay,
  type TseedRelayOptions,
} from '../../relay/src/tseed-relay'

/**
 * Shared helpers for tests of the TSEED relay as a whole: a quiet relay on
 * 127.0.0.1 port 0, users with keys and API clients, signed announces,
 * invoices from "elsewhere", a scriptable Lightning backend, and a nostr-tools
 * relay connection.
 */

export const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/**
 * Starts the relay on 127.0.0.1, any port, in memory, with no log output.
 * Signatures are verified on the main thread: starting worker threads costs
 * a few hundred milliseconds per relay, and the worker pool has its own tests
 * (relay/src/core/worker-verifier.test.ts), as does the real command line
 * with workers (the crash test, the browser tests).
 */
export function startQuietRelay(options: TseedRelayOptions = {}): Promise<RunningTseedRelay> {
  return startTseedRelay({
    host: '127.0.0.1',
    port: 0,
    logger: quiet,
    verifierThreads: 0,
    ...options,
  })
}

/** A key pair with an API client that signs NIP-98 headers with it. */
export interface TestUser {
  sk: Uint8Array
  pubkey: string
  api: TseedApiClient
  sign: (t: EventTemplate) => Promise<NostrEvent>
}

/**
 * A new user of `relay`'s API. `now` (unix seconds) dates its NIP-98
 * headers, for a relay running on an injected clock; `sk` reuses a key
 * (the same user on another relay process).
 */
export function newUser(
  relay: { apiUrl: string },
  now?: () => number,
  sk: Uint8Array = generateSecretKey(),
): TestUser {
  const sign = (t: EventTemplate): Promise<NostrEvent> => Promise.resolve(finalizeEvent(t, sk))
  return {
    sk,
    pubkey: getPublicKey(sk),
    sign,
    api: new TseedApiClient({
      baseUrl: relay.apiUrl,
      fetch: (u, i) => fetch(u, i),
      sign,
      ...(now !== undefined ? { now } : {}),
    }),
  }
}

/** A public API client (no signer). */
export function publicClient(relay: { apiUrl: string }): TseedApiClient {
  return new TseedApiClient({ baseUrl: relay.apiUrl, fetch: (u, i) => fetch(u, i) })
}

/** A signed kind 21000 announce as plain JSON (free of nostr-tools' cached verdict). */
export function signAnnounce(
  sk: Uint8Array,
  fields: Partial<Kind21000Announce> & { infoHash: string },
  createdAt = Math.floor(Date.now() / 1000),
): NostrEvent {
  const announce: Kind21000Announce = {
    uploaded: 0n,
    downloaded: 0n,
    left: 1000n,
    ...fields,
  }
  return JSON.parse(
    JSON.stringify(finalizeEvent(toEventTemplate(announce, createdAt), sk)),
  ) as NostrEvent
}

/** An invoice from some other node: what a user hands the relay to withdraw to. */
export function foreignInvoice(
  amountSat: bigint | undefined,
  opts: { network?: Bolt11Network; expirySeconds?: number; timestamp?: number } = {},
): { invoice: string; paymentHash: string; preimage: string } {
  const preimage = randomBytes(32)
  const paymentHash = bytesToHex(sha256(preimage))
  const invoice = encodeInvoice(
    {
      network: opts.network ?? 'regtest',
      ...(amountSat !== undefined ? { amountMsat: amountSat * 1000n } : {}),
      paymentHash,
      paymentSecret: bytesToHex(randomBytes(32)),
      description: 'withdrawal',
      expirySeconds: opts.expirySeconds ?? 600,
      timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    },
    secp256k1.utils.randomSecretKey(),
  )
  return { invoice, paymentHash, preimage: bytesToHex(preimage) }
}

/**
 * The dev backend with failures on demand: the next payments can be made to
 * fail (or to time out, leaving their fate unknown), and lookups can be
 * answered from a script, so every withdrawal path is reachable.
 */
export class ScriptedLightning implements LightningBackend {
  readonly name = 'dev'
  readonly testMode = true
  readonly inner = new DevLightningBackend()
  /** Errors thrown by the next payInvoice calls, in order; `undefined` pays normally. */
  readonly payErrors: (LightningError | undefined)[] = []
  /** Lookup answers by payment hash, overriding the dev backend's. */
  readonly lookups = new Map<string, InvoiceStatus | LightningError>()
  payments = 0

  createInvoice(params: CreateInvoiceParams): Promise<CreatedInvoice> {
    return this.inner.createInvoice(params)
  }

  lookupInvoice(paymentHash: string): Promise<InvoiceStatus> {
    const scripted = this.lookups.get(paymentHash)
    if (scripted instanceof LightningError) return Promise.reject(scripted)
    if (scripted !== undefined) return Promise.resolve(scripted)
    return this.inner.lookupInvoice(paymentHash)
  }

  payInvoice(invoice: string, opts: PayInvoiceOptions): Promise<PaymentResult> {
    this.payments++
    const err = this.payErrors.shift()
    if (err !== undefined) return Promise.reject(err)
    return this.inner.payInvoice(invoice, opts)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}

/** A nostr-tools relay connection over `ws`. */
export async function connectNostr(url: string): Promise<AbstractRelay> {
  const relay = new AbstractRelay(url, {
    verifyEvent,
    websocketImplementation: WebSocket as unknown as WebSocketImplementation,
  })
  relay.onnotice = () => undefined
  await relay.connect({ timeout: 5_000 })
  return relay
}

/** Publishes and returns the relay's verdict instead of throwing on `OK false`. */
export async function publish(
  relay: AbstractRelay,
  event: NostrEvent,
): Promise<{ ok: boolean; message: string }> {
  try {
    return { ok: true, message: await relay.publish(event) }
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) }
  }
}
