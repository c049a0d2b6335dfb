import { AbstractRelay } from 'nostr-tools/abstract-relay'
import type { EventTemplate, NostrEvent, VerifiedEvent } from 'nostr-tools/core'
import { verifyEvent } from 'nostr-tools/pure'
import { retryDelayMs } from './backoff'
import { classifyPublishFailure, okPrefix, type PublishOutcome } from './publish-outcome'

export type RelayConnState = 'connecting' | 'connected' | 'disconnected' | 'error'

export interface RelayStatus {
  url: string
  state: RelayConnState
  /** Why the last connection attempt failed or the connection dropped. */
  error?: string
  since: number
}

/** The part of nostr-tools' `AbstractRelay` the pool uses; a test double implements it. */
export interface RelayLink {
  readonly connected: boolean
  onclose: (() => void) | null
  connect(opts?: { timeout?: number }): Promise<void>
  publish(event: NostrEvent): Promise<string>
  auth(sign: (template: EventTemplate) => Promise<VerifiedEvent>): Promise<string>
  close(): void
}

export type RelayLinkFactory = (url: string) => RelayLink

/**
 * Links backed by nostr-tools. `websocketImplementation` is for Node (tests);
 * browsers use their global WebSocket.
 */
export function abstractRelayFactory(websocketImplementation?: typeof WebSocket): RelayLinkFactory {
  return (url) =>
    new AbstractRelay(
      url,
      websocketImplementation ? { verifyEvent, websocketImplementation } : { verifyEvent },
    )
}

export interface RelayPoolOptions {
  factory: RelayLinkFactory
  now: () => number
  random: () => number
  connectTimeoutMs?: number
  /** Called whenever a relay's status changes. */
  onChange?: (status: RelayStatus) => void
}

export type SignAuth = (template: EventTemplate) => Promise<NostrEvent>

export interface RelayPool {
  status(url: string): RelayStatus
  isConnected(url: string): boolean
  /**
   * When the next connection attempt to a relay that failed may be made.
   * Attempts are cheap, but a dead relay should not be hammered.
   */
  nextConnectAt(url: string): number
  /** Connects unless connected; concurrent callers share one attempt. */
  connect(url: string): Promise<{ ok: true } | { ok: false; error: string }>
  /** Publishes over an open connection and says how it ended. */
  publish(url: string, event: NostrEvent, signAuth?: SignAuth): Promise<PublishOutcome>
  /** Closes and forgets every relay not in `urls`. */
  retain(urls: readonly string[]): void
  /** Lets every relay be tried again at once ("retry now"). */
  resetBackoff(): void
}

export const CONNECT_TIMEOUT_MS = 5_000
const CONNECT_RETRY_BASE_MS = 1_000
/** Short, so a relay that comes back is noticed within seconds. */
const CONNECT_RETRY_CAP_MS = 10_000

interface Slot {
  link?: RelayLink
  attempt?: Promise<{ ok: true } | { ok: false; error: string }>
  status: RelayStatus
  failures: number
  nextConnectAt: number
}

/** One connection per relay URL, with its live state. */
export function createRelayPool(opts: RelayPoolOptions): RelayPool {
  const slots = new Map<string, Slot>()
  const timeout = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS

  const slot = (url: string): Slot => {
    let s = slots.get(url)
    if (s === undefined) {
      s = {
        status: { url, state: 'disconnected', since: opts.now() },
        failures: 0,
        nextConnectAt: 0,
      }
      slots.set(url, s)
    }
    return s
  }

  const setStatus = (s: Slot, state: RelayConnState, error?: string): void => {
    s.status =
      error === undefined
        ? { url: s.status.url, state, since: opts.now() }
        : { url: s.status.url, state, error, since: opts.now() }
    opts.onChange?.(s.status)
  }

  const attemptConnect = async (
    url: string,
    s: Slot,
  ): Promise<{ ok: true } | { ok: false; error: string }> => {
    const old = s.link
    s.link = undefined
    old?.close()
    const link = opts.factory(url)
    s.link = link
    setStatus(s, 'connecting')
    try {
      await link.connect({ timeout })
    } catch (e) {
      const error = typeof e === 'string' ? e : e instanceof Error ? e.message : 'connection failed'
      if (s.link === link) {
        s.link = undefined
        s.failures++
        s.nextConnectAt =
          opts.now() +
          retryDelayMs(s.failures, opts.random(), CONNECT_RETRY_BASE_MS, CONNECT_RETRY_CAP_MS)
        setStatus(s, 'error', error || 'connection failed')
      }
      link.close()
      return { ok: false, error: error || 'connection failed' }
    }
    if (s.link !== link) {
      link.close()
      return { ok: false, error: 'relay removed' }
    }
    s.failures = 0
    s.nextConnectAt = 0
    link.onclose = () => {
      if (s.link !== link) return
      s.link = undefined
      setStatus(s, 'disconnected', 'connection closed')
    }
    setStatus(s, 'connected')
    return { ok: true }
  }

  return {
    status: (url) => ({ ...slot(url).status }),
    isConnected: (url) => slots.get(url)?.link?.connected === true,
    nextConnectAt: (url) => slot(url).nextConnectAt,

    connect(url) {
      const s = slot(url)
      if (s.link?.connected === true) return Promise.resolve({ ok: true })
      s.attempt ??= attemptConnect(url, s).finally(() => {
        s.attempt = undefined
      })
      return s.attempt
    },

    async publish(url, event, signAuth) {
      const link = slots.get(url)?.link
      if (link?.connected !== true) return { kind: 'retry', error: 'not connected' }
      try {
        return { kind: 'ok', message: await link.publish(event) }
      } catch (e) {
        if (
          signAuth === undefined ||
          !(e instanceof Error) ||
          okPrefix(e.message) !== 'auth-required'
        ) {
          return classifyPublishFailure(e)
        }
      }
      // NIP-42: the relay wants to know who we are before it takes the event.
      try {
        await link.auth(signAuth as (t: EventTemplate) => Promise<VerifiedEvent>)
        return { kind: 'ok', message: await link.publish(event) }
      } catch (e) {
        return classifyPublishFailure(e)
      }
    },

    retain(urls) {
      for (const [url, s] of slots) {
        if (urls.includes(url)) continue
        const link = s.link
        s.link = undefined
        link?.close()
        slots.delete(url)
      }
    },

    resetBackoff() {
      for (const s of slots.values()) s.nextConnectAt = 0
    },
  }
}
