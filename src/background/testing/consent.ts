import { DEFAULT_PRICING, quoteDownload, swarmPrice } from '../../balance/pricing'
import { createConsent, type Consent } from '../consent/consent'
import type { EstimateCost } from '../consent/cost-estimator'
import type { Outbox } from '../outbox'
import { createMemoryStorageArea, type StorageAreaLike } from '../storage-item'

/**
 * Prices every download at the relay's default price, as a relay with the
 * default config answers `/price/{ih}?bytes=`: the network part of the cost
 * estimate is tested in cost-estimator.test.ts against a real relay.
 */
export const defaultPriceEstimate: EstimateCost = (_ih, bytes, relays) => {
  const tokens = quoteDownload(
    bytes,
    swarmPrice({ seeders: 0, leechers: 0 }, DEFAULT_PRICING),
  ).tokens
  return Promise.resolve({
    tokens: (tokens * BigInt(relays.length)).toString(),
    bytes: bytes.toString(),
    exact: true,
  })
}

/** The consent model over an in-memory storage area, for tests of what sits around it. */
export function testConsent(
  outbox: Outbox,
  opts: {
    area?: StorageAreaLike
    relays?: string[]
    now?: () => number
    estimateCost?: EstimateCost
    onReleased?: () => void
  } = {},
): Consent {
  return createConsent({
    area: opts.area ?? createMemoryStorageArea(),
    outbox,
    relays: () => Promise.resolve(opts.relays ?? ['ws://a']),
    estimateCost: opts.estimateCost ?? defaultPriceEstimate,
    now: opts.now ?? (() => 0),
    onReleased: opts.onReleased ?? (() => undefined),
    onChanged: () => undefined,
  })
}
