import { bytesToHex, type TrackerAnnounce } from '../nostr/tracker-announce'
import type { StorageAreaLike } from './storage-item'

/**
 * WebTorrent announces `downloaded` as the bytes it holds, verified or in
 * progress: a page seeding its own file announces the whole size, and a
 * download resumed from the browser's store counts what it had before. BEP 3
 * and kind 21000 count the bytes downloaded since the session started, and
 * a TSEED relay charges exactly that. Published as it is, a seeder would pay
 * for its own file. So a WebSocket session's `downloaded` is published
 * relative to the first value seen in that session (and again from each
 * `started`), the way a client that follows BEP 3 reports it.
 */
export interface DownloadBaselines {
  rebase(announce: TrackerAnnounce): Promise<TrackerAnnounce>
}

/** Sessions remembered at once; the oldest is forgotten first. */
export const MAX_SESSIONS = 2_000
const STORAGE_KEY = 'wsDownloadBaselines'

/**
 * Baselines live in `storage.session`: they survive a stopped worker, and go
 * with the browser, like the pages whose sessions they describe.
 */
export function createDownloadBaselines(area: StorageAreaLike): DownloadBaselines {
  let loaded: Promise<Map<string, bigint>> | null = null
  // Reports of one session can arrive together: each read-modify-write waits for the one before.
  let queue: Promise<unknown> = Promise.resolve()

  const load = (): Promise<Map<string, bigint>> => {
    loaded ??= area.get(STORAGE_KEY).then((raw) => readStored(raw[STORAGE_KEY]))
    return loaded
  }
  const save = (map: Map<string, bigint>): Promise<void> =>
    area.set({ [STORAGE_KEY]: [...map].map(([k, v]) => [k, v.toString()]) })

  const rebase = async (a: TrackerAnnounce): Promise<TrackerAnnounce> => {
    const map = await load()
    // The hook sends a hash of the peer_id: one per client instance, so one per page session.
    const key = `${a.infoHash}:${bytesToHex(a.peerId)}`
    let base = map.get(key)
    if (base === undefined || a.event === 'started' || a.downloaded < base) {
      base = a.downloaded
      map.delete(key)
      map.set(key, base)
      while (map.size > MAX_SESSIONS) {
        const oldest = map.keys().next().value
        if (oldest === undefined) break
        map.delete(oldest)
      }
      await save(map)
    }
    return { ...a, downloaded: a.downloaded - base }
  }

  return {
    rebase(a) {
      const next = queue.then(() => rebase(a))
      queue = next.catch(() => undefined)
      return next
    },
  }
}

function readStored(raw: unknown): Map<string, bigint> {
  const map = new Map<string, bigint>()
  if (!Array.isArray(raw)) return map
  for (const item of raw.slice(-MAX_SESSIONS)) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || typeof item[1] !== 'string') continue
    if (!/^[0-9]{1,20}$/.test(item[1])) continue
    map.set(item[0], BigInt(item[1]))
  }
  return map
}
