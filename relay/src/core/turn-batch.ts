/**
 * Collects the lookups asked for during one event-loop turn and answers them
 * all with one call of `lookup` once the turn's I/O callbacks have run. On
 * PostgreSQL each lookup is a blocking round trip; a turn's worth of them in
 * one costs one.
 */
export class TurnBatch<K, V> {
  private pending: { key: K; resolve: (value: V) => void; reject: (err: unknown) => void }[] = []

  /**
   * @param lookup answers `keys` in their order
   * @param schedule runs the flush after this turn's callbacks (injected for tests)
   */
  constructor(
    private readonly lookup: (keys: K[]) => V[],
    private readonly schedule: (flush: () => void) => void = (flush) => {
      setImmediate(flush)
    },
  ) {}

  get(key: K): Promise<V> {
    if (this.pending.length === 0) {
      this.schedule(() => {
        this.flush()
      })
    }
    return new Promise<V>((resolve, reject) => {
      this.pending.push({ key, resolve, reject })
    })
  }

  private flush(): void {
    const batch = this.pending
    this.pending = []
    let values: V[]
    try {
      values = this.lookup(batch.map((b) => b.key))
      if (values.length !== batch.length) {
        throw new Error(`lookup answered ${values.length} of ${batch.length} keys`)
      }
    } catch (err) {
      for (const b of batch) b.reject(err)
      return
    }
    batch.forEach((b, i) => {
      b.resolve(values[i] as V)
    })
  }
}
