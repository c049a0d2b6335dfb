import { describe, expect, it } from 'vitest'
import type { Kind21000Announce } from '../../nostr/kind21000'
import { createMemoryStorageArea } from '../storage-item'
import { createSessionProgressStore } from './session-progress'

const IH1 = 'ab'.repeat(20)
const IH2 = 'cd'.repeat(20)
const S1 = '11'.repeat(16)
const S2 = '22'.repeat(16)
const DAY = 24 * 3600 * 1000

function announce(over: Partial<Kind21000Announce> = {}): Kind21000Announce {
  return { infoHash: IH1, uploaded: 0n, downloaded: 0n, left: 10n, session: S1, ...over }
}

function setup() {
  const area = createMemoryStorageArea()
  return { area, store: createSessionProgressStore(area) }
}

describe('createSessionProgressStore', () => {
  it('knows no session at first', async () => {
    const { store } = setup()
    expect(await store.get(announce())).toBeUndefined()
  })

  it('keeps the counters of the last announce of a session, whatever its other fields', async () => {
    const { store } = setup()
    await store.set(announce({ downloaded: 500n, uploaded: 9n, event: 'started' }), 1_000)
    expect(await store.get(announce({ downloaded: 9_999n, left: 0n }))).toEqual({
      downloaded: 500n,
      at: 1_000,
    })
  })

  it('keys by info hash AND session', async () => {
    const { store } = setup()
    await store.set(announce({ session: S1, downloaded: 1n }), 1)
    await store.set(announce({ session: S2, downloaded: 2n }), 2)
    await store.set(announce({ infoHash: IH2, session: S1, downloaded: 3n }), 3)
    await store.set(announce({ session: undefined, downloaded: 4n }), 4)
    expect(await store.get(announce({ session: S1 }))).toEqual({ downloaded: 1n, at: 1 })
    expect(await store.get(announce({ session: S2 }))).toEqual({ downloaded: 2n, at: 2 })
    expect(await store.get(announce({ infoHash: IH2, session: S1 }))).toEqual({
      downloaded: 3n,
      at: 3,
    })
    // An announce without a session tag is a session of its own.
    expect(await store.get(announce({ session: undefined }))).toEqual({ downloaded: 4n, at: 4 })
    expect(await store.get(announce({ infoHash: IH2, session: S2 }))).toBeUndefined()
    expect(await store.get(announce({ infoHash: IH2, session: undefined }))).toBeUndefined()
  })

  it('overwrites a session with its newer announce, even one whose counter went down', async () => {
    const { store } = setup()
    await store.set(announce({ downloaded: 900n }), 10)
    await store.set(announce({ downloaded: 50n }), 20)
    expect(await store.get(announce())).toEqual({ downloaded: 50n, at: 20 })
  })

  it('stores counters above 2^53 exactly', async () => {
    const { store } = setup()
    const max = 2n ** 64n - 1n
    await store.set(announce({ downloaded: max }), 5)
    expect(await store.get(announce())).toEqual({ downloaded: max, at: 5 })
  })

  it('forgets sessions idle for more than 7 days when it next writes', async () => {
    const { area, store } = setup()
    const t = 100 * DAY
    await store.set(announce({ session: S1, downloaded: 1n }), t)
    await store.set(announce({ session: S2, downloaded: 2n }), t + 1)
    // Exactly 7 days after S1: both kept.
    await store.set(announce({ infoHash: IH2, downloaded: 3n }), t + 7 * DAY)
    expect(await store.get(announce({ session: S1 }))).toEqual({ downloaded: 1n, at: t })
    // 7 days and 1 ms after S1, exactly 7 days after S2: S1 goes.
    await store.set(announce({ infoHash: IH2, downloaded: 4n }), t + 7 * DAY + 1)
    expect(await store.get(announce({ session: S1 }))).toBeUndefined()
    expect(await store.get(announce({ session: S2 }))).toEqual({ downloaded: 2n, at: t + 1 })
    expect(Object.keys(area.dump().sessionProgress as object)).toHaveLength(2)
  })

  it('keeps the 2,000 most recently seen sessions', async () => {
    const { area, store } = setup()
    // 2,000 sessions written in an order unrelated to their times.
    const sessions: Record<string, { downloaded: string; at: number }> = {}
    for (let i = 0; i < 2_000; i++) {
      const at = 1_000_000 + ((i * 7_919) % 2_000)
      sessions[`${IH1}:${String(at).padStart(32, '0')}`] = { downloaded: String(i), at }
    }
    await area.set({ sessionProgress: sessions })
    const sessionAt = (at: number) => announce({ session: String(at).padStart(32, '0') })
    expect(await store.get(sessionAt(1_000_000))).toBeDefined()

    await store.set(announce({ infoHash: IH2, downloaded: 1n }), 2_000_000)
    const kept = area.dump().sessionProgress as Record<string, { at: number }>
    expect(Object.keys(kept)).toHaveLength(2_000)
    // The least recently seen one went; the next one and the newest stayed.
    expect(await store.get(sessionAt(1_000_000))).toBeUndefined()
    expect(await store.get(sessionAt(1_000_001))).toBeDefined()
    expect(await store.get(sessionAt(1_001_999))).toBeDefined()
    expect(await store.get(announce({ infoHash: IH2 }))).toEqual({ downloaded: 1n, at: 2_000_000 })

    // Updating a session already kept pushes nothing out.
    await store.set(sessionAt(1_000_001), 2_000_001)
    expect(Object.keys(area.dump().sessionProgress as object)).toHaveLength(2_000)
    expect(await store.get(sessionAt(1_000_002))).toBeDefined()
  })

  it('lands every one of many concurrent writes', async () => {
    const { store } = setup()
    const sessions = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(32, '0'))
    await Promise.all(
      sessions.map((s, i) => store.set(announce({ session: s, downloaded: BigInt(i) }), i)),
    )
    for (const [i, s] of sessions.entries()) {
      expect(await store.get(announce({ session: s }))).toEqual({ downloaded: BigInt(i), at: i })
    }
  })

  it('ignores unreadable storage and unreadable entries', async () => {
    const { area, store } = setup()
    await area.set({ sessionProgress: 'nonsense' })
    expect(await store.get(announce())).toBeUndefined()
    await area.set({
      sessionProgress: {
        [`${IH1}:${S1}`]: { downloaded: '-4', at: 1 },
        [`${IH1}:${S2}`]: { downloaded: '4', at: '1' },
      },
    })
    expect(await store.get(announce({ session: S1 }))).toBeUndefined()
    expect(await store.get(announce({ session: S2 }))).toBeUndefined()
    await area.set({ sessionProgress: [1, 2] })
    await store.set(announce({ downloaded: 8n }), 3)
    expect(await store.get(announce())).toEqual({ downloaded: 8n, at: 3 })
  })

  it('survives a null entry: the other sessions still read and write', async () => {
    const { area, store } = setup()
    await area.set({
      sessionProgress: { [`${IH2}:${S2}`]: null, [`${IH1}:${S1}`]: { downloaded: '5', at: 1 } },
    })
    expect(await store.get(announce())).toEqual({ downloaded: 5n, at: 1 })
    expect(await store.get(announce({ infoHash: IH2, session: S2 }))).toBeUndefined()
    await store.set(announce({ infoHash: IH2, session: S2, downloaded: 7n }), 2)
    expect(await store.get(announce({ infoHash: IH2, session: S2 }))).toEqual({
      downloaded: 7n,
      at: 2,
    })
  })
})
