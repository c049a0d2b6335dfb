/**
 * What deposits and withdrawals share in keeping their records in step with
 * the Lightning backend: one lookup per payment hash at a time, a lookup
 * that tolerates a backend with no record of the invoice, and background
 * passes that survive one unreachable invoice.
 */
import { LightningError, type InvoiceStatus, type LightningBackend } from '../lightning/backend'

/**
 * Work keyed by payment hash that runs once at a time: a second caller for
 * the same hash while the first is running gets the first one's promise, so
 * parallel polls ask the wallet once and act on one answer.
 */
export class OnePerHash<V> {
  private readonly running = new Map<string, Promise<V>>()

  run(hash: string, task: () => Promise<V>): Promise<V> {
    const running = this.running.get(hash)
    if (running !== undefined) return running
    const started = task().finally(() => {
      this.running.delete(hash)
    })
    this.running.set(hash, started)
    return started
  }
}

/**
 * The backend's view of an invoice, or `unknown` when it has no record of it
 * (the dev backend after a restart), which can never settle it anymore.
 * Other failures are thrown.
 */
export async function lookupInvoiceState(
  lightning: LightningBackend,
  hash: string,
): Promise<InvoiceStatus | 'unknown'> {
  try {
    return await lightning.lookupInvoice(hash)
  } catch (err) {
    if (!(err instanceof LightningError) || err.code !== 'NOT_FOUND') throw err
    return 'unknown'
  }
}

/**
 * Runs `check` on each payment hash in turn and counts the hashes it
 * answered true for. A check that throws is reported to `failed` and the
 * pass goes on with the next hash.
 */
export async function countPassing(
  hashes: readonly string[],
  check: (hash: string) => Promise<boolean>,
  failed: (hash: string, why: string) => void,
): Promise<number> {
  let count = 0
  for (const hash of hashes) {
    try {
      if (await check(hash)) count++
    } catch (err) {
      failed(hash, errorText(err))
    }
  }
  return count
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
