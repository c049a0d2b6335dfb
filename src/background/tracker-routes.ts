import type { FetchLike, TseedApiClient } from '../balance/api-client'
import { RouteParamsError, stringParam } from './route-params'
import type { SigningIdentity } from './signer/identity'
import { tseedApiClient, type TseedRelayDirectory } from './tseed-relays'

export interface TrackerRouteDeps {
  ready: Promise<unknown>
  identity: Pick<SigningIdentity, 'signer'>
  directory: TseedRelayDirectory
  fetch: FetchLike
}

/** A personal tracker URL as the popup lists it; the URL itself is shown only once, at creation. */
export interface TrackerUrlView {
  id: string
  label: string
  /** Unix seconds. */
  createdAt: number
  lastUsedAt: number | null
}

/** A tracker URL just made: the one time its secret reaches the popup. */
export interface NewTrackerUrlView extends TrackerUrlView {
  announceUrl: string
  testMode: boolean
}

const ID = /^[0-9a-f]{16}$/

/**
 * Personal tracker URLs for desktop clients (docs/tracker.md): made, listed
 * and revoked on a TSEED relay with NIP-98, signed by the current key. The
 * background keeps none of them: a URL is a credential, shown to the user
 * once and then held by their desktop client.
 */
export function createTrackerRoutes(d: TrackerRouteDeps) {
  const api = async (params: unknown): Promise<TseedApiClient> => {
    await d.ready
    const signer = d.identity.signer()
    if (signer === null) throw new RouteParamsError('Set up or unlock a key first.')
    return tseedApiClient(d.directory, stringParam(params, 'relay'), {
      fetch: d.fetch,
      sign: (t) => signer.signEvent(t),
    })
  }

  return {
    async trackerUrls(params: { relay: string }): Promise<TrackerUrlView[]> {
      return (await (await api(params)).trackerCredentials()).map((c) => ({ ...c }))
    },

    async createTrackerUrl(params: { relay: string; label: string }): Promise<NewTrackerUrlView> {
      const label = stringParam(params, 'label').trim()
      const c = await (await api(params)).createTrackerCredential(label)
      return {
        id: c.id,
        label: c.label,
        createdAt: c.createdAt,
        lastUsedAt: c.lastUsedAt,
        announceUrl: c.announceUrl,
        testMode: c.testMode,
      }
    },

    async revokeTrackerUrl(params: { relay: string; id: string }): Promise<null> {
      const id = stringParam(params, 'id')
      if (!ID.test(id)) throw new RouteParamsError('id must be a tracker URL id')
      await (await api(params)).revokeTrackerCredential(id)
      return null
    },
  }
}
