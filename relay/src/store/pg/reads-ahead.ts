/**
 * The reads a PostgreSQL connection was asked to send ahead of their use
 * (PgDatabase.readAhead), and the rows of those it sent, until the read is
 * made or a write may have changed them.
 *
 * A read asked for inside a scoped unit carries the unit's keys (scoped in
 * store/database.ts). A write inside a scoped unit forgets only the rows
 * read under one of its keys: the others concern rows it cannot touch. A
 * write outside one forgets everything. An index from key to reads keeps
 * that cheap with a whole group's reads waiting (GroupCommit's prefetch).
 */

/** A read asked for, not sent yet. */
export interface PendingRead<Item, Shape> {
  key: string
  item: Item
  read: Shape
  keys: ReadonlySet<string> | undefined
}

export class ReadsAhead<Item, Shape, Rows> {
  private pending: PendingRead<Item, Shape>[] = []
  private readonly pendingKeys = new Set<string>()
  private readonly rows = new Map<string, Rows>()
  /** Scope key → the reads (pending or arrived) made under it. */
  private readonly byScope = new Map<string, Set<string>>()
  /** Reads made outside a scoped unit: any write forgets them. */
  private readonly unscoped = new Set<string>()

  get pendingCount(): number {
    return this.pending.length
  }

  get hasRows(): boolean {
    return this.rows.size > 0
  }

  /** Asks for a read, unless the same read is already waiting or its rows are here. */
  ask(read: PendingRead<Item, Shape>): void {
    if (this.pendingKeys.has(read.key) || this.rows.has(read.key)) return
    this.pending.push(read)
    this.pendingKeys.add(read.key)
    this.index(read.key, read.keys)
  }

  /** The reads waiting, each with its unit keys; they stay waiting. */
  waiting(): readonly PendingRead<Item, Shape>[] {
    return this.pending
  }

  /** Takes the reads waiting, to be sent now. */
  send(): PendingRead<Item, Shape>[] {
    const sent = this.pending
    this.pending = []
    this.pendingKeys.clear()
    return sent
  }

  arrived(key: string, rows: Rows): void {
    this.rows.set(key, rows)
  }

  /** The rows of a read that arrived, once; undefined when there are none. */
  take(key: string): Rows | undefined {
    const rows = this.rows.get(key)
    this.rows.delete(key)
    return rows
  }

  /**
   * A write under `scope` was queued or made: forgets every read it may
   * have changed. With no scope, that is every read.
   */
  wrote(scope: ReadonlySet<string> | undefined): void {
    if (this.pending.length === 0 && this.rows.size === 0) return
    if (scope === undefined) {
      this.clear()
      return
    }
    const stale = new Set(this.unscoped)
    this.unscoped.clear()
    for (const k of scope) {
      const reads = this.byScope.get(k)
      if (reads === undefined) continue
      this.byScope.delete(k)
      for (const r of reads) stale.add(r)
    }
    if (stale.size === 0) return
    for (const r of stale) this.rows.delete(r)
    if (this.pending.some((p) => stale.has(p.key))) {
      this.pending = this.pending.filter((p) => !stale.has(p.key))
      for (const r of stale) this.pendingKeys.delete(r)
    }
  }

  clear(): void {
    this.pending = []
    this.pendingKeys.clear()
    this.rows.clear()
    this.byScope.clear()
    this.unscoped.clear()
  }

  private index(read: string, keys: ReadonlySet<string> | undefined): void {
    if (keys === undefined) {
      this.unscoped.add(read)
      return
    }
    for (const k of keys) {
      let reads = this.byScope.get(k)
      if (reads === undefined) {
        reads = new Set()
        this.byScope.set(k, reads)
      }
      reads.add(read)
    }
  }
}
