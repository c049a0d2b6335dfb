import type { Kind21000Announce } from '../../nostr/kind21000'
import { createSerialQueue, createStorageItem, type StorageAreaLike } from '../storage-item'
import type { SessionProgress } from './plausibility'

/** Sessions idle this long are forgotten; a client that comes back after it starts a new one anyway. */
const FORGET_AFTER_MS = 7 * 24 * 3600 * 1000
const MAX_SESSIONS = 2_000

export interface SessionProgressStore {
  get(announce: Kind21000Announce): Promise<SessionProgress | undefined>
  /** Makes this announce the session's reference for the next delta. */
  set(announce: Kind21000Announce, at: number): Promise<void>
}

/** The session a delta is counted in, as the relay counts it: info hash and session tag. */
function sessionKey(a: Kind21000Announce): string {
  return `${a.infoHash}:${a.session ?? ''}`
}

type Stored = Record<string, { downloaded: string; at: number }>

/**
 * The counters of each torrent session's last published announce, so the
 * next announce's cost and speed are measured against what the relays saw.
 */
export function createSessionProgressStore(area: StorageAreaLike): SessionProgressStore {
  const item = createStorageItem<Stored>(area, 'sessionProgress', {
    defaultValue: {},
    parse: parseStored,
  })
  const serial = createSerialQueue()
  return {
    async get(announce) {
      const v = (await item.get())[sessionKey(announce)]
      return v === undefined ? undefined : { downloaded: BigInt(v.downloaded), at: v.at }
    },
    set: (announce, at) =>
      serial(async () => {
        const key = sessionKey(announce)
        const kept = Object.entries(await item.get())
          .filter(([k, v]) => k !== key && at - v.at <= FORGET_AFTER_MS)
          .sort(([, a], [, b]) => a.at - b.at)
          .slice(-(MAX_SESSIONS - 1))
        kept.push([key, { downloaded: announce.downloaded.toString(), at }])
        await item.set(Object.fromEntries(kept))
      }),
  }
}

/** Keeps only well-formed entries: storage outlives code versions, and one bad entry must not stop the rest. */
function parseStored(raw: unknown): Stored | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const out: Stored = {}
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null) continue
    const e = v as Record<string, unknown>
    if (
      typeof e.at === 'number' &&
      typeof e.downloaded === 'string' &&
      /^[0-9]{1,20}$/.test(e.downloaded)
    ) {
      out[k] = { downloaded: e.downloaded, at: e.at }
    }
  }
  return out
}
