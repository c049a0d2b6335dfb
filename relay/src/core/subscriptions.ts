import type { NostrEvent } from 'nostr-tools/core'
import { matchAnyFilter, type Filter } from './filters'

/**
 * A live subscription. While the stored events are being fetched, live
 * matches queue in `pending` so they reach the client after EOSE instead of
 * being lost or sent before the stored ones.
 */
export interface Subscription {
  readonly clientId: string
  readonly id: string
  readonly filters: readonly Filter[]
  pending: NostrEvent[] | null
}

/** Live events held per subscription while its stored events load. */
export const MAX_PENDING = 1000

/** Live subscriptions of every connection, with a per-connection cap. */
export class SubscriptionRegistry {
  private readonly byClient = new Map<string, Map<string, Subscription>>()

  constructor(private readonly maxPerClient: number) {}

  /**
   * Opens or replaces a subscription. NIP-01: a REQ with an id that is already
   * open replaces it, so a replacement never counts against the cap.
   * Returns undefined when the client is at its cap.
   */
  open(clientId: string, id: string, filters: readonly Filter[]): Subscription | undefined {
    let subs = this.byClient.get(clientId)
    if (subs === undefined) {
      subs = new Map()
      this.byClient.set(clientId, subs)
    }
    if (!subs.has(id) && subs.size >= this.maxPerClient) return undefined
    const sub: Subscription = { clientId, id, filters, pending: [] }
    subs.set(id, sub)
    return sub
  }

  /** True while this exact subscription object is still the open one for its id. */
  isOpen(sub: Subscription): boolean {
    return this.byClient.get(sub.clientId)?.get(sub.id) === sub
  }

  close(clientId: string, id: string): boolean {
    const subs = this.byClient.get(clientId)
    const closed = subs?.delete(id) ?? false
    if (subs?.size === 0) this.byClient.delete(clientId)
    return closed
  }

  closeClient(clientId: string): void {
    this.byClient.delete(clientId)
  }

  count(clientId: string): number {
    return this.byClient.get(clientId)?.size ?? 0
  }

  /** Every open subscription one of whose filters matches the event. */
  *matching(ev: NostrEvent): Generator<Subscription> {
    for (const subs of this.byClient.values()) {
      for (const sub of subs.values()) {
        if (matchAnyFilter(sub.filters, ev)) yield sub
      }
    }
  }

  get size(): number {
    let n = 0
    for (const subs of this.byClient.values()) n += subs.size
    return n
  }
}
