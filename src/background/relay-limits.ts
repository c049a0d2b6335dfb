import type { FetchLike, SpendingLimits, TseedApiClient } from '../balance/api-client'
import type { Signer } from './signer/signer'
import { createSerialQueue, createStorageItem, type StorageAreaLike } from './storage-item'
import { tseedApiClient, type TseedRelayDirectory } from './tseed-relays'
import { WalletError } from './wallet/wallet-error'

/**
 * What a new key may be charged on each TSEED relay unless the user chooses
 * otherwise: ten times a site's default daily budget per day, and a fifth of
 * that per hour, so a signer that approves everything loses at most that.
 */
export const DEFAULT_RELAY_LIMITS = { perHour: 200n, perDay: 1_000n } as const

/** A relay's limits as the popup shows them: decimal strings, null for "no limit". */
export type RelayLimitsView =
  | {
      relay: string
      perHour: string | null
      perDay: string | null
      chargedLastHour: string
      chargedLastDay: string
    }
  | { relay: string; error: string }

/** The popup polls every second; the relay's figures are refreshed at most this often. */
const REFRESH_MS = 30_000

export interface RelayLimitsDeps {
  directory: TseedRelayDirectory
  fetch: FetchLike
  relays: () => Promise<string[]>
  signer: () => Signer | null
  /** The current key's pubkey, read synchronously so a key change invalidates what is cached. */
  pubkey: () => string | null
  /** `storage.local`: which (key, relay) pairs already got the default, so a user's choice is never overwritten. */
  area: StorageAreaLike
  now: () => number
  warn: (message: string) => void
}

export interface RelayLimits {
  /** Gives the current key the default limits on every TSEED relay that has none for it yet. */
  ensureDefaults(): Promise<void>
  /** The last known limits per TSEED relay; starts a refresh in the background when stale. */
  view(): RelayLimitsView[]
  /** Sets both limits on one relay; null removes one. */
  set(relay: string, perHour: bigint | null, perDay: bigint | null): Promise<RelayLimitsView>
}

/**
 * The relay-enforced spending limit, from the extension's side: defence in
 * depth behind the consent gate, for the day the key is used by a signer that
 * asks nobody. Every call is NIP-98 signed by the current key.
 */
export function createRelayLimits(deps: RelayLimitsDeps): RelayLimits {
  const applied = createStorageItem<string[]>(deps.area, 'relayLimitDefaults', {
    defaultValue: [],
    parse: (raw) =>
      Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw : undefined,
  })
  const serial = createSerialQueue()
  let cache: { pubkey: string; at: number; views: RelayLimitsView[] } | null = null
  let refreshing = false

  /** null for a relay that is not a TSEED relay: it has no limits to set. */
  const client = async (relay: string, signer: Signer): Promise<TseedApiClient | null> => {
    try {
      return await tseedApiClient(deps.directory, relay, {
        fetch: deps.fetch,
        sign: (t) => signer.signEvent(t),
      })
    } catch (e) {
      if (e instanceof WalletError && e.code === 'not_a_tseed_relay') return null
      throw e
    }
  }

  const toView = (relay: string, l: SpendingLimits): RelayLimitsView => ({
    relay,
    perHour: l.perHour?.toString() ?? null,
    perDay: l.perDay?.toString() ?? null,
    chargedLastHour: l.chargedLastHour.toString(),
    chargedLastDay: l.chargedLastDay.toString(),
  })

  /** Runs `fn` against every TSEED relay with the current key; one relay's failure is its own row. */
  const eachRelay = async (
    fn: (api: TseedApiClient, relay: string, pubkey: string) => Promise<RelayLimitsView>,
  ): Promise<{ pubkey: string; views: RelayLimitsView[] } | null> => {
    const signer = deps.signer()
    if (signer === null) return null
    const pubkey = await signer.getPublicKey()
    const views: RelayLimitsView[] = []
    for (const relay of await deps.relays()) {
      try {
        const api = await client(relay, signer)
        if (api !== null) views.push(await fn(api, relay, pubkey))
      } catch (e) {
        views.push({ relay, error: e instanceof Error ? e.message : String(e) })
      }
    }
    return { pubkey, views }
  }

  const refresh = (): Promise<void> =>
    serial(async () => {
      const r = await eachRelay(async (api, relay) => toView(relay, await api.getLimits()))
      cache = r === null ? null : { ...r, at: deps.now() }
    })

  return {
    ensureDefaults: () =>
      serial(async () => {
        const done = new Set(await applied.get())
        const r = await eachRelay(async (api, relay, pubkey) => {
          const key = `${pubkey} ${relay}`
          let limits = await api.getLimits()
          if (!done.has(key)) {
            // Only a key with no limit at all gets the default: a limit the user set elsewhere stands.
            if (limits.perHour === null && limits.perDay === null) {
              limits = await api.setLimits(DEFAULT_RELAY_LIMITS)
            }
            done.add(key)
            await applied.set([...done])
          }
          return toView(relay, limits)
        })
        cache = r === null ? null : { ...r, at: deps.now() }
      }),

    view() {
      const pubkey = deps.pubkey()
      if (cache !== null && cache.pubkey !== pubkey) cache = null
      const stale = cache === null || deps.now() - cache.at > REFRESH_MS
      if (stale && !refreshing && pubkey !== null) {
        refreshing = true
        refresh()
          .catch((e: unknown) => {
            deps.warn(`tseed: could not read relay spending limits: ${(e as Error).message}`)
          })
          .finally(() => {
            refreshing = false
          })
      }
      return cache?.views ?? []
    },

    set: (relay, perHour, perDay) =>
      serial(async () => {
        const signer = deps.signer()
        if (signer === null) throw new Error('Create or import a key first')
        const api = await client(relay, signer)
        if (api === null) throw new Error(`${relay} is not a TSEED relay`)
        const view = toView(relay, await api.setLimits({ perHour, perDay }))
        if (cache !== null) {
          cache = { ...cache, views: cache.views.map((v) => (v.relay === relay ? view : v)) }
        }
        return view
      }),
  }
}
