import { describe, expect, it } from 'vitest'
import { followUps, planUnits, reqFrame, unitFilters, type PlanLimits } from './req-plan'

const hashes = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(40, '0'))
const SINCE = 1_700_000_000
const TSEED: PlanLimits = { maxMessageLength: 131072, maxFilterValues: 1000, maxLimit: 500 }

describe('planUnits', () => {
  it('asks a 1,000-link page in one REQ with both filters when the relay takes 128 KiB', () => {
    const units = planUnits(hashes(1000), SINCE, TSEED)
    expect(units).toHaveLength(1)
    expect(units[0]!.parts).toEqual(['announces', 'torrents'])
    const frame = reqFrame('abcdefgh', units[0]!, SINCE, 500)
    expect(frame.length).toBeGreaterThan(64 * 1024)
    expect(frame.length).toBeLessThanOrEqual(TSEED.maxMessageLength)
  })

  it('halves until each REQ fits a smaller message limit, keeping every hash once', () => {
    const all = hashes(1000)
    const units = planUnits(all, SINCE, { ...TSEED, maxMessageLength: 64 * 1024 })
    expect(units).toHaveLength(2)
    for (const u of units) {
      expect(reqFrame('abcdefgh', u, SINCE, 500).length).toBeLessThanOrEqual(64 * 1024)
    }
    expect(units.flatMap((u) => u.hashes)).toEqual(all)
  })

  it('keeps each filter list within the relay’s value limit', () => {
    const units = planUnits(hashes(300), SINCE, { ...TSEED, maxFilterValues: 100 })
    expect(units.map((u) => u.hashes.length)).toEqual([75, 75, 75, 75])
  })

  it('asks nothing for no hashes', () => {
    expect(planUnits([], SINCE, TSEED)).toEqual([])
  })
})

describe('unitFilters', () => {
  it('asks live announces by #i since the window and torrent events by #x', () => {
    const ih = hashes(2)
    expect(unitFilters({ hashes: ih, parts: ['announces', 'torrents'] }, SINCE, 500)).toEqual([
      { kinds: [21000], '#i': ih, since: SINCE, limit: 500 },
      { kinds: [2003], '#x': ih, limit: 500 },
    ])
    expect(unitFilters({ hashes: ih, parts: ['torrents'] }, SINCE, 7)).toEqual([
      { kinds: [2003], '#x': ih, limit: 7 },
    ])
  })
})

describe('followUps', () => {
  const unit = { hashes: hashes(5), parts: ['announces', 'torrents'] as const }

  it('asks nothing again when no answer reached the limit', () => {
    expect(followUps(unit, { announces: 499, torrents: 0 }, 500)).toEqual({
      units: [],
      saturated: [],
    })
  })

  it('asks only the full part again, for each half', () => {
    const r = followUps(unit, { announces: 500, torrents: 3 }, 500)
    expect(r.units).toEqual([
      { hashes: hashes(5).slice(0, 3), parts: ['announces'] },
      { hashes: hashes(5).slice(3), parts: ['announces'] },
    ])
  })

  it('reports a single hash whose swarm alone fills an answer as saturated', () => {
    const one = { hashes: hashes(1), parts: ['announces', 'torrents'] as const }
    expect(followUps(one, { announces: 500, torrents: 500 }, 500)).toEqual({
      units: [],
      saturated: ['announces', 'torrents'],
    })
  })
})
