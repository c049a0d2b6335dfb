/** Counts open connections per remote address and enforces a cap on each. */
export class ConnectionCounter {
  private readonly counts = new Map<string, number>()

  constructor(private readonly maxPerIp: number) {}

  /** Counts one more connection from `ip`, unless that would exceed the cap. */
  tryAcquire(ip: string): boolean {
    const n = this.counts.get(ip) ?? 0
    if (n >= this.maxPerIp) return false
    this.counts.set(ip, n + 1)
    return true
  }

  release(ip: string): void {
    const n = this.counts.get(ip) ?? 0
    if (n <= 1) this.counts.delete(ip)
    else this.counts.set(ip, n - 1)
  }

  count(ip: string): number {
    return this.counts.get(ip) ?? 0
  }
}
