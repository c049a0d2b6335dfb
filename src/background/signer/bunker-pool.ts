import type { SubCloser, SubscribeManyParams } from 'nostr-tools/abstract-pool'
import { AbstractRelay, type Subscription } from 'nostr-tools/abstract-relay'
import type { NostrEvent } from 'nostr-tools/core'
import type { Filter } from 'nostr-tools/filter'
import { normalizeURL } from 'nostr-tools/utils'

/**
 * The relay pool a NIP-46 `BunkerSigner` talks through, over the
 * `AbstractRelay` the rest of the extension already uses. BunkerSigner only
 * subscribes and publishes; nostr-tools' own pool would bring a second copy of
 * the relay client and much that the extension never calls.
 */
export interface BunkerPool {
  /**
   * Connects to each relay on demand and subscribes there. `onclose` is called
   * once, when every relay's subscription has ended (or failed to start).
   */
  subscribe(relays: string[], filter: Filter, params: BunkerSubscribeParams): SubCloser
  /** One promise per relay: its OK message, or why it was not accepted. */
  publish(relays: string[], event: NostrEvent): Promise<string>[]
  /** Closes every connection; the pool connects nowhere afterwards. */
  destroy(): void
}

/** What BunkerSigner passes to `subscribe`. */
export type BunkerSubscribeParams = Pick<
  SubscribeManyParams,
  'onevent' | 'onclose' | 'maxWait' | 'abort'
>

export interface BunkerPoolOptions {
  /** An event reaches `onevent` only if this accepts it. */
  verifyEvent: (event: NostrEvent) => boolean
  /** `ws` in Node; browsers use their global WebSocket. */
  WebSocket?: typeof WebSocket
  /** How long a connection may take, in ms. */
  maxWaitForConnection: number
}

const CLOSED = 'the connection to the bunker is closed'

/**
 * Copies of one answer arrive from up to five relays within seconds; a
 * session's subscription can last for thousands of requests, so older ids
 * are dropped rather than kept for its whole life.
 */
const IDS_REMEMBERED = 1000

export function createBunkerPool(opts: BunkerPoolOptions): BunkerPool {
  const relays = new Map<string, AbstractRelay>()
  let destroyed = false

  /** One relay client per URL, shared by subscriptions and publishes. */
  function relayFor(url: string): AbstractRelay {
    if (destroyed) throw new Error(CLOSED)
    const known = relays.get(url)
    if (known !== undefined) return known
    const relay = new AbstractRelay(url, {
      verifyEvent: opts.verifyEvent,
      ...(opts.WebSocket !== undefined ? { websocketImplementation: opts.WebSocket } : {}),
    })
    // A dropped connection is forgotten, so the next request opens a new one.
    relay.onclose = () => {
      if (relays.get(url) === relay) relays.delete(url)
    }
    relays.set(url, relay)
    return relay
  }

  async function connected(url: string, timeout: number): Promise<AbstractRelay> {
    const relay = relayFor(url)
    try {
      await relay.connect({ timeout })
    } catch (err) {
      if (relays.get(url) === relay) relays.delete(url)
      throw new Error(`cannot connect to ${url}: ${describe(err)}`)
    }
    if (destroyed) {
      relay.close()
      throw new Error(CLOSED)
    }
    return relay
  }

  /** As nostr-tools' pool: a longer `maxWait` allows a longer connection. */
  const connectionTimeout = (maxWait = 0): number =>
    maxWait > opts.maxWaitForConnection
      ? Math.max(maxWait * 0.8, maxWait - 1000)
      : opts.maxWaitForConnection

  function subscribe(urls: string[], filter: Filter, params: BunkerSubscribeParams): SubCloser {
    const targets = unique(urls)
    const subs: (Subscription | undefined)[] = []
    const ends: ({ url: string; reason: string } | undefined)[] = targets.map(() => undefined)
    const seen = new Set<string>()
    let closedWith: string | undefined
    // Not handed to AbstractRelay, which sets the signal's `onabort` per relay
    // (the last one wins) and only once it has connected.
    const onAbort = (): void => {
      close(String(params.abort?.reason ?? 'aborted'))
    }

    const ended = (i: number, reason: string): void => {
      if (ends[i] !== undefined) return
      ends[i] = { url: targets[i] ?? '', reason }
      subs[i] = undefined
      if (ends.every((e) => e !== undefined)) {
        params.abort?.removeEventListener('abort', onAbort)
        params.onclose?.(ends)
      }
    }

    // Counted after the relay has verified the event, so that a relay cannot
    // hide an event by sending a forged copy of its id first.
    const onevent = (event: NostrEvent): void => {
      if (seen.has(event.id)) return
      seen.add(event.id)
      if (seen.size > IDS_REMEMBERED) {
        const [oldest] = seen
        if (oldest !== undefined) seen.delete(oldest)
      }
      params.onevent?.(event)
    }

    const open = async (i: number, url: string): Promise<void> => {
      let relay: AbstractRelay
      try {
        relay = await connected(url, connectionTimeout(params.maxWait))
      } catch (err) {
        ended(i, describe(err))
        return
      }
      if (closedWith !== undefined) return
      subs[i] = relay.subscribe([filter], {
        onevent,
        onclose: (reason) => {
          ended(i, reason)
        },
      })
    }

    const close = (reason = 'closed by caller'): void => {
      if (closedWith !== undefined) return
      closedWith = reason
      // BunkerSigner.fromURI closes its subscription before it records that it
      // succeeded, and takes an `onclose` before that as a failure; nostr-tools'
      // pool reports it later too.
      queueMicrotask(() => {
        targets.forEach((_, i) => {
          const sub = subs[i]
          if (sub !== undefined) sub.close(reason)
          else ended(i, reason)
        })
      })
    }
    targets.forEach((url, i) => {
      void open(i, url)
    })
    if (params.abort?.aborted === true) onAbort()
    else params.abort?.addEventListener('abort', onAbort, { once: true })
    return { close }
  }

  function publish(urls: string[], event: NostrEvent): Promise<string>[] {
    const keys = urls.map(normalized)
    return keys.map(async (url, i) => {
      if (keys.indexOf(url) !== i) throw new Error(`${url} is listed twice`)
      const relay = await connected(url, opts.maxWaitForConnection)
      return relay.publish(event)
    })
  }

  function destroy(): void {
    destroyed = true
    const all = [...relays.values()]
    relays.clear()
    // One still connecting is closed by `connected` when its handshake ends:
    // Node's `ws` throws, where nobody can catch it, when a handshake is cut.
    for (const relay of all) if (relay.connected) relay.close()
  }

  return { subscribe, publish, destroy }
}

/** The relay's own spelling, so `wss://r.example` and `wss://r.example/` share a connection. */
function normalized(url: string): string {
  try {
    return normalizeURL(url)
  } catch {
    // AbstractRelay refuses it when connecting, which reports the error.
    return url
  }
}

function unique(urls: string[]): string[] {
  return [...new Set(urls.map(normalized))]
}

/** AbstractRelay rejects with strings as well as errors. */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
