import {
  readRelayInfo,
  TseedApiClient,
  type FetchLike,
  type TseedApiClientOptions,
  type TseedRelayInfo,
} from '../balance/api-client'
import { WalletError } from './wallet/wallet-error'

/** A NIP-11 answer stays good this long; relays rarely move their API. */
const FRESH_MS = 10 * 60 * 1000
/** A relay that did not answer is asked again after this. */
const RETRY_MS = 30 * 1000

/** What a relay is, as far as its NIP-11 document says; `name` is the relay's own, when it gives one. */
export type RelayKind =
  | { kind: 'tseed'; info: TseedRelayInfo; name?: string }
  | { kind: 'plain'; name?: string }
  | { kind: 'unknown'; error: string }

export interface TseedRelayDirectory {
  /** Looks the relay up, from cache when fresh. Never throws. */
  lookup(relayUrl: string): Promise<RelayKind>
  /** The last answer, however old, without asking the relay; undefined before the first. */
  peek(relayUrl: string): RelayKind | undefined
}

/**
 * Finds out which configured relays are TSEED relays (NIP-11 `tseed`
 * object) and where their API lives, with a short cache so a burst of
 * announces costs one request per relay.
 */
export function createTseedRelayDirectory(deps: {
  fetch: FetchLike
  now: () => number
}): TseedRelayDirectory {
  const cache = new Map<string, { at: number; value: RelayKind }>()
  const inFlight = new Map<string, Promise<RelayKind>>()
  return {
    lookup(relayUrl) {
      const hit = cache.get(relayUrl)
      const now = deps.now()
      if (
        hit !== undefined &&
        now - hit.at < (hit.value.kind === 'unknown' ? RETRY_MS : FRESH_MS)
      ) {
        return Promise.resolve(hit.value)
      }
      let p = inFlight.get(relayUrl)
      if (p === undefined) {
        p = readRelayInfo(relayUrl, deps.fetch)
          .then(
            ({ name, tseed }): RelayKind => {
              const named = name === null ? {} : { name }
              return tseed === null
                ? { kind: 'plain', ...named }
                : { kind: 'tseed', info: tseed, ...named }
            },
            (e: unknown): RelayKind => ({
              kind: 'unknown',
              error: e instanceof Error ? e.message : String(e),
            }),
          )
          .then((value) => {
            cache.set(relayUrl, { at: deps.now(), value })
            inFlight.delete(relayUrl)
            return value
          })
        inFlight.set(relayUrl, p)
      }
      return p
    },
    peek: (relayUrl) => cache.get(relayUrl)?.value,
  }
}

/**
 * The API client of a TSEED relay, found through its NIP-11 document.
 * Rejects with a {@link WalletError}: `not_a_tseed_relay` for a relay whose
 * NIP-11 has no `tseed` object, `relay` for one that did not answer.
 */
export async function tseedApiClient(
  directory: TseedRelayDirectory,
  relay: string,
  opts: Omit<TseedApiClientOptions, 'baseUrl'>,
): Promise<TseedApiClient> {
  const kind = await directory.lookup(relay)
  if (kind.kind === 'plain') {
    throw new WalletError('not_a_tseed_relay', `${relay} is not a TSEED relay.`)
  }
  if (kind.kind === 'unknown') {
    throw new WalletError('relay', `Could not reach ${relay}: ${kind.error}`)
  }
  return new TseedApiClient({ ...opts, baseUrl: kind.info.apiUrl })
}

/** A fetch that gives up after `ms`, so a dead relay cannot stall the announce queue. */
export function fetchWithTimeout(fetch: FetchLike, ms: number): FetchLike {
  return (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(ms) })
}
