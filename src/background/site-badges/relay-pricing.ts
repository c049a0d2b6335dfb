/**
 * A TSEED relay's pricing config, read from one `GET /price/{info_hash}`
 * answer (which carries the base price and the rarity rule's parameters),
 * so every swarm on a page is priced locally by `swarmPrice`, the code the
 * relay charges with, instead of one request per link.
 */
import { TseedApiClient, type FetchLike } from '../../balance/api-client'
import { checkConfig, type PricingConfig } from '../../balance/pricing'

/** A relay's config is this fresh at most; operators rarely change prices. */
const FRESH_MS = 60_000
/** A relay that failed is asked again after this, not on every page. */
const RETRY_MS = 15_000

export type RelayPricingAnswer =
  | { ok: true; config: PricingConfig; testMode: boolean }
  /** `unpublished`: the rarity rule is on but the relay does not say its parameters. */
  | { ok: false; error: string; unpublished?: true }

export interface RelayPricing {
  /** The config of the relay whose API is at `apiUrl`; `probe` is any valid info hash. */
  config(apiUrl: string, probe: string): Promise<RelayPricingAnswer>
}

export function createRelayPricing(deps: { fetch: FetchLike; now: () => number }): RelayPricing {
  const cache = new Map<string, { at: number; value: RelayPricingAnswer }>()
  const inFlight = new Map<string, Promise<RelayPricingAnswer>>()
  const ask = async (apiUrl: string, probe: string): Promise<RelayPricingAnswer> => {
    try {
      const p = await new TseedApiClient({ baseUrl: apiUrl, fetch: deps.fetch }).price(probe)
      if (p.rarityRule && p.rarity == null) {
        return {
          ok: false,
          unpublished: true,
          error: 'the relay does not publish its rarity rule, so prices cannot be computed here',
        }
      }
      const config: PricingConfig = { baseTokensPerMB: p.baseTokensPerMb, rarity: p.rarity ?? null }
      checkConfig(config)
      return { ok: true, config, testMode: p.testMode }
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) }
    }
  }
  return {
    config(apiUrl, probe) {
      const hit = cache.get(apiUrl)
      const now = deps.now()
      if (hit !== undefined && now - hit.at < (hit.value.ok ? FRESH_MS : RETRY_MS)) {
        return Promise.resolve(hit.value)
      }
      let p = inFlight.get(apiUrl)
      if (p === undefined) {
        p = ask(apiUrl, probe).then((value) => {
          cache.set(apiUrl, { at: deps.now(), value })
          inFlight.delete(apiUrl)
          return value
        })
        inFlight.set(apiUrl, p)
      }
      return p
    },
  }
}
