import { describe, expect, it } from 'vitest'
import type { TrackerAnnounce } from '../nostr/tracker-announce'
import { createMemoryStorageArea } from './storage-item'
import { createDownloadBaselines, MAX_SESSIONS } from './ws-download-baseline'

const IH = 'ab'.repeat(20)
const announce = (fields: Partial<TrackerAnnounce>): TrackerAnnounce => ({
  infoHash: IH,
  peerId: new Uint8Array(32).fill(7),
  uploaded: 0n,
  downloaded: 0n,
  left: 0n,
  ...fields,
})

describe('createDownloadBaselines', () => {
  it('publishes a seed of its own file as having downloaded nothing', async () => {
    const b = createDownloadBaselines(createMemoryStorageArea())
    const first = await b.rebase(announce({ downloaded: 65_536n, event: 'started' }))
    expect(first.downloaded).toBe(0n)
    const later = await b.rebase(announce({ downloaded: 65_536n, uploaded: 9_000n }))
    expect(later.downloaded).toBe(0n)
    expect(later.uploaded).toBe(9_000n)
  })

  it('counts a resumed download from what it held at the start', async () => {
    const b = createDownloadBaselines(createMemoryStorageArea())
    expect((await b.rebase(announce({ downloaded: 100n, left: 900n }))).downloaded).toBe(0n)
    expect((await b.rebase(announce({ downloaded: 400n, left: 600n }))).downloaded).toBe(300n)
    // A new `started` is a new session of counters: the baseline moves with it.
    const restarted = await b.rebase(announce({ downloaded: 400n, left: 600n, event: 'started' }))
    expect(restarted.downloaded).toBe(0n)
    // Fewer bytes than the baseline (the store was cleared): a reset, never a negative count.
    expect((await b.rebase(announce({ downloaded: 50n }))).downloaded).toBe(0n)
    expect((await b.rebase(announce({ downloaded: 80n }))).downloaded).toBe(30n)
  })

  it('keeps sessions apart by torrent and by client, and survives a stopped worker', async () => {
    const area = createMemoryStorageArea()
    const b = createDownloadBaselines(area)
    await b.rebase(announce({ downloaded: 10n }))
    await b.rebase(announce({ downloaded: 20n, infoHash: 'cd'.repeat(20) }))
    expect(
      (await b.rebase(announce({ downloaded: 5n, peerId: new Uint8Array(32) }))).downloaded,
    ).toBe(0n)
    const again = createDownloadBaselines(area)
    expect((await again.rebase(announce({ downloaded: 15n }))).downloaded).toBe(5n)
    expect(
      (await again.rebase(announce({ downloaded: 25n, infoHash: 'cd'.repeat(20) }))).downloaded,
    ).toBe(5n)
  })

  it('orders reports of one session that arrive together', async () => {
    const b = createDownloadBaselines(createMemoryStorageArea())
    const out = await Promise.all([
      b.rebase(announce({ downloaded: 1_000n, event: 'started' })),
      b.rebase(announce({ downloaded: 1_500n })),
      b.rebase(announce({ downloaded: 2_000n })),
    ])
    expect(out.map((a) => a.downloaded)).toEqual([0n, 500n, 1_000n])
  })

  it('forgets the oldest session beyond its limit and ignores damaged storage', async () => {
    const area = createMemoryStorageArea()
    const b = createDownloadBaselines(area)
    for (let i = 0; i <= MAX_SESSIONS; i++) {
      await b.rebase(announce({ downloaded: 1n, infoHash: i.toString(16).padStart(40, '0') }))
    }
    const stored = area.dump().wsDownloadBaselines as unknown[]
    expect(stored).toHaveLength(MAX_SESSIONS)
    await area.set({ wsDownloadBaselines: [['x', '-1'], 'junk', ['y', 5]] })
    const fresh = createDownloadBaselines(area)
    expect((await fresh.rebase(announce({ downloaded: 9n }))).downloaded).toBe(0n)
  })
})
