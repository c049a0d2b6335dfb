import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Ledger } from '../ledger/ledger'
import { TrackerCredentials } from './credentials'
import { announceIds, createTracker } from './tracker'

const quiet = { warn: () => undefined, error: () => undefined }

describe('createTracker', () => {
  const deps = () => {
    const db = new Database(':memory:')
    return {
      ledger: new Ledger(db),
      credentials: new TrackerCredentials(db),
      now: () => 1_700_000_000,
      clockMs: () => 0,
      trustProxy: false,
      testMode: false,
      topUpAt: () => '/api/v1/deposit',
      logger: quiet,
    }
  }

  it('refuses settings a client could not work with', () => {
    expect(() => createTracker(deps(), { intervalSeconds: 0 })).toThrow(/intervalSeconds/)
    expect(() => createTracker(deps(), { intervalSeconds: 60, minIntervalSeconds: 61 })).toThrow(
      /minIntervalSeconds must be an integer from 1 to 60/,
    )
    expect(() => createTracker(deps(), { defaultNumwant: 500, maxNumwant: 100 })).toThrow(
      /defaultNumwant/,
    )
    const t = createTracker(deps(), { intervalSeconds: 60, minIntervalSeconds: 30 })
    expect(t.stats).toMatchObject({ announces: 0, scrapes: 0, peers: 0, swarms: 0 })
    t.close()
  })

  it('gives every HTTP announce its own 64-hex id, different across restarts', () => {
    const a = announceIds()
    const b = announceIds()
    const ids = new Set([a(), a(), a(), b(), b()])
    expect(ids.size).toBe(5)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/)
  })
})
