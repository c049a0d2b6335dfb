import { AbstractRelay, SendingOnClosedConnection } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/core'
import { verifyEvent as pureVerifyEvent } from 'nostr-tools/pure'
import { NWC_INFO, NWC_RESPONSE } from './kinds'
import {
  buildRequest,
  chooseEncryption,
  parseInfoEvent,
  readResponse,
  type Nip47Encryption,
  type WalletConnection,
} from './nip47'

/**
 * A NIP-47 client over one relay connection at a time (nostr-tools
 * AbstractRelay, WebSocket injected). Browser-safe: no Node imports, so the
 * extension can reuse it for NWC top-ups.
 */

/** The WebSocket class to connect with: `ws` in Node 20, the global one in browsers. */
export type WebSocketImplementation = typeof WebSocket

/**
 * How a request failed:
 * - `wallet`: the wallet answered with NIP-47 error `walletCode`; it did not execute.
 * - `unavailable`: the request never reached a relay; nothing happened.
 * - `timeout`: the request was sent and no answer came; the outcome is unknown.
 * - `protocol`: the wallet's answer was malformed.
 */
export type NwcFailure = 'wallet' | 'unavailable' | 'timeout' | 'protocol'

export class NwcError extends Error {
  override name = 'NwcError'
  constructor(
    readonly failure: NwcFailure,
    message: string,
    /** The NIP-47 error code, for `wallet` failures. */
    readonly walletCode?: string,
  ) {
    super(message)
  }
}

/** The one operation the NWC backend needs; {@link NwcClient} implements it over a relay. */
export interface Nip47Requester {
  request(
    method: string,
    params: Record<string, unknown>,
    opts?: { timeoutMs?: number },
  ): Promise<Record<string, unknown>>
  close(): void
}

export interface NwcClientOptions {
  connection: WalletConnection
  WebSocket: WebSocketImplementation
  /** Default 30 s. */
  requestTimeoutMs?: number
  /** Default 10 s per relay. */
  connectTimeoutMs?: number
  /** How long to wait for the stored info event. Default 3 s. */
  infoTimeoutMs?: number
  /** Unix seconds. */
  now?: () => number
  verifyEvent?: (event: NostrEvent) => boolean
}

const DEFAULTS = { requestTimeoutMs: 30_000, connectTimeoutMs: 10_000, infoTimeoutMs: 3_000 }

/**
 * Sends NIP-47 requests and awaits their answers. The connection is opened
 * lazily and reopened on the next request after a drop, trying the URI's
 * relays in order.
 */
export class NwcClient implements Nip47Requester {
  private readonly connection: WalletConnection
  private readonly WebSocketImpl: WebSocketImplementation
  private readonly requestTimeoutMs: number
  private readonly connectTimeoutMs: number
  private readonly infoTimeoutMs: number
  private readonly now: () => number
  private readonly verify: (event: NostrEvent) => boolean
  private relay: AbstractRelay | undefined
  private connecting: Promise<AbstractRelay> | undefined
  private encryption: Nip47Encryption | undefined
  /** Connections on which the info event was already looked for, found or not. */
  private readonly infoChecked = new WeakSet<AbstractRelay>()
  private closed = false

  constructor(options: NwcClientOptions) {
    this.connection = options.connection
    this.WebSocketImpl = options.WebSocket
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs
    this.infoTimeoutMs = options.infoTimeoutMs ?? DEFAULTS.infoTimeoutMs
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000))
    this.verify = options.verifyEvent ?? pureVerifyEvent
  }

  /** The scheme in use once known (after the first request). */
  get encryptionInUse(): Nip47Encryption | undefined {
    return this.encryption
  }

  /** Whether a relay connection is open right now. */
  get connected(): boolean {
    return this.relay?.connected === true
  }

  /**
   * Send `method` with `params` and resolve with the wallet's `result`.
   * Rejects with {@link NwcError}.
   */
  async request(
    method: string,
    params: Record<string, unknown>,
    opts: { timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs
    const relay = await this.open()
    const encryption = await this.pickEncryption(relay)
    const now = this.now()
    const request = buildRequest(
      { method, params },
      {
        walletPubkey: this.connection.walletPubkey,
        clientSecret: this.connection.secret,
        encryption,
        now,
        // The wallet must not act on a request we have stopped waiting for.
        expiresAt: now + Math.ceil(timeoutMs / 1000),
      },
    )
    return this.exchange(relay, method, request, encryption, timeoutMs)
  }

  /** Close the connection; later requests fail with `unavailable`. */
  close(): void {
    this.closed = true
    const relay = this.relay
    this.relay = undefined
    relay?.close()
  }

  private exchange(
    relay: AbstractRelay,
    method: string,
    request: NostrEvent,
    encryption: Nip47Encryption,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const { walletPubkey, clientPubkey, secret } = this.connection
    // nostr-tools leaves a send on a closed socket as an unhandled rejection.
    if (!relay.connected) {
      return Promise.reject(new NwcError('unavailable', `relay connection lost before ${method}`))
    }
    return new Promise((resolve, reject) => {
      let sent = false
      let done = false
      const finish = (settle: () => void): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        sub.close()
        settle()
      }
      const fail = (error: NwcError): void => {
        finish(() => {
          reject(error)
        })
      }
      const timer = setTimeout(() => {
        fail(
          sent
            ? new NwcError(
                'timeout',
                `no answer to ${method} from the wallet within ${timeoutMs} ms`,
              )
            : new NwcError(
                'unavailable',
                `relay did not accept the ${method} subscription in time`,
              ),
        )
      }, timeoutMs)

      const sub = relay.subscribe(
        [
          {
            kinds: [NWC_RESPONSE],
            authors: [walletPubkey],
            '#p': [clientPubkey],
            '#e': [request.id],
          },
        ],
        {
          // Subscribed first; publish only once the relay has the subscription,
          // so the answer cannot slip past before we listen.
          oneose: () => {
            if (done || sent) return
            sent = true
            relay.publish(request).catch((err: unknown) => {
              if (err instanceof SendingOnClosedConnection) {
                fail(
                  new NwcError('unavailable', `relay connection closed before ${method} was sent`),
                )
                return
              }
              const message = err instanceof Error ? err.message : String(err)
              // Without an OK the relay may still have forwarded it: keep waiting.
              if (message === 'publish timed out') return
              fail(new NwcError('unavailable', `relay refused the ${method} request: ${message}`))
            })
          },
          // The filter (checked again client-side) already pins author, #p and
          // #e, and the signature is verified: whatever arrives is the answer.
          onevent: (event) => {
            let response
            try {
              response = readResponse(event, {
                walletPubkey,
                clientSecret: secret,
                requestId: request.id,
                encryption,
              })
            } catch (e) {
              fail(
                new NwcError(
                  'protocol',
                  `wallet answer to ${method} is malformed: ${(e as Error).message}`,
                ),
              )
              return
            }
            if (response.error) {
              const { code, message } = response.error
              fail(
                new NwcError('wallet', `wallet refused ${method}: ${code} ${message}`.trim(), code),
              )
              return
            }
            if (response.resultType !== method) {
              fail(new NwcError('protocol', `wallet answered ${response.resultType} to ${method}`))
              return
            }
            const result = response.result ?? {}
            finish(() => {
              resolve(result)
            })
          },
          onclose: (reason) => {
            fail(
              sent
                ? new NwcError(
                    'timeout',
                    `relay connection lost after ${method} was sent (${reason}); outcome unknown`,
                  )
                : new NwcError('unavailable', `relay closed the subscription: ${reason}`),
            )
          },
          eoseTimeout: Math.min(timeoutMs, 5_000),
        },
      )
    })
  }

  /** The open relay, connecting (or reconnecting) when there is none. */
  private open(): Promise<AbstractRelay> {
    if (this.closed) return Promise.reject(new NwcError('unavailable', 'NWC client is closed'))
    if (this.relay?.connected) return Promise.resolve(this.relay)
    this.connecting ??= this.connectAny().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private async connectAny(): Promise<AbstractRelay> {
    const reasons: string[] = []
    for (const url of this.connection.relays) {
      const relay = new AbstractRelay(url, {
        verifyEvent: this.verify,
        websocketImplementation: this.WebSocketImpl,
        enablePing: true,
      })
      relay.onnotice = () => undefined
      relay.onclose = () => {
        if (this.relay === relay) this.relay = undefined
      }
      try {
        await relay.connect({ timeout: this.connectTimeoutMs })
      } catch (err) {
        reasons.push(`${url}: ${err instanceof Error ? err.message : String(err)}`)
        relay.close()
        continue
      }
      if (this.closed) {
        relay.close()
        break
      }
      this.relay = relay
      return relay
    }
    throw new NwcError('unavailable', `cannot reach the wallet's relay (${reasons.join('; ')})`)
  }

  /**
   * NIP-44 unless the wallet's info event says it only speaks NIP-04. A found
   * event settles it for good; a missing one is looked for again on the next
   * connection, in case the wallet publishes it later.
   */
  private async pickEncryption(relay: AbstractRelay): Promise<Nip47Encryption> {
    if (this.encryption !== undefined) return this.encryption
    if (this.infoChecked.has(relay)) return chooseEncryption(undefined)
    const info = await this.fetchInfo(relay)
    this.infoChecked.add(relay)
    if (info === undefined) return chooseEncryption(undefined)
    try {
      this.encryption = chooseEncryption(parseInfoEvent(info))
    } catch (e) {
      throw new NwcError('unavailable', (e as Error).message)
    }
    return this.encryption
  }

  private fetchInfo(relay: AbstractRelay): Promise<NostrEvent | undefined> {
    if (!relay.connected) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      let latest: NostrEvent | undefined
      let done = false
      const finish = (): void => {
        if (done) return
        done = true
        sub.close()
        resolve(latest)
      }
      const sub = relay.subscribe(
        [{ kinds: [NWC_INFO], authors: [this.connection.walletPubkey], limit: 1 }],
        {
          onevent: (event) => {
            if (latest === undefined || event.created_at > latest.created_at) latest = event
          },
          oneose: finish,
          onclose: finish,
          eoseTimeout: this.infoTimeoutMs,
        },
      )
    })
  }
}
