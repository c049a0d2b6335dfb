/**
 * Remembers recently accepted ids of events the relay does not store, so a
 * replayed ephemeral event is answered `duplicate:` instead of being forwarded
 * twice. Entries live for `retentionMs`; once an event is older than the relay
 * accepts, its id no longer needs remembering. `maxEntries` bounds memory under
 * a flood, evicting the oldest first.
 */
export class SeenIds {
  // Map keeps insertion order, which is also expiry order: one clock, one retention.
  private readonly expiries = new Map<string, number>()

  constructor(
    private readonly maxEntries: number,
    private readonly retentionMs: number,
    private readonly now: () => number,
  ) {}

  has(id: string): boolean {
    this.evictExpired()
    return this.expiries.has(id)
  }

  add(id: string): void {
    this.evictExpired()
    this.expiries.delete(id)
    this.expiries.set(id, this.now() + this.retentionMs)
    if (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next()
      if (oldest.done !== true) this.expiries.delete(oldest.value)
    }
  }

  get size(): number {
    return this.expiries.size
  }

  private evictExpired(): void {
    const t = this.now()
    for (const [id, expiry] of this.expiries) {
      if (expiry > t) break
      this.expiries.delete(id)
    }
  }
}
