import { TseedApiClient, type FetchLike } from '../../balance/api-client'
import { DEFAULT_PRICING, quoteDownload, swarmPrice } from '../../balance/pricing'
import type { TseedRelayDirectory } from '../tseed-relays'
import type { CostEstimate } from './hold'

export interface CostEstimatorDeps {
  directory: TseedRelayDirectory
  fetch: FetchLike
}

export type EstimateCost = (
  infoHash: string,
  bytes: bigint,
  relays: readonly string[],
) => Promise<CostEstimate>

/**
 * What publishing a download of `bytes` will cost across the user's relays:
 * each TSEED relay charges on its own ledger, so their quotes add up. The
 * quote is the relay's own (`/price/{ih}?bytes=`), computed by the same
 * pricing code that charges. A relay that cannot be asked is assumed to be a
 * TSEED relay at the default price, and the estimate says it is not exact.
 */
export function createCostEstimator(deps: CostEstimatorDeps): EstimateCost {
  const fallback = (bytes: bigint): bigint =>
    quoteDownload(bytes, swarmPrice({ seeders: 0, leechers: 0 }, DEFAULT_PRICING)).tokens
  return async (infoHash, bytes, relays) => {
    if (bytes <= 0n) return { tokens: '0', bytes: '0', exact: true }
    const quotes = await Promise.all(
      relays.map(async (url): Promise<{ tokens: bigint; exact: boolean }> => {
        const r = await deps.directory.lookup(url)
        if (r.kind === 'plain') return { tokens: 0n, exact: true }
        if (r.kind === 'unknown') return { tokens: fallback(bytes), exact: false }
        try {
          const api = new TseedApiClient({ baseUrl: r.info.apiUrl, fetch: deps.fetch })
          const p = await api.price(infoHash, bytes)
          return p.download === undefined
            ? { tokens: fallback(bytes), exact: false }
            : { tokens: p.download.maxTokens, exact: true }
        } catch {
          return { tokens: fallback(bytes), exact: false }
        }
      }),
    )
    return {
      tokens: quotes.reduce((a, q) => a + q.tokens, 0n).toString(),
      bytes: bytes.toString(),
      exact: quotes.every((q) => q.exact),
    }
  }
}
