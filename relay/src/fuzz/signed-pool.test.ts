import { describe, expect, it } from 'vitest'
import { verifyEvent } from 'nostr-tools/pure'
import { parseAnnounceEvent } from '../../../src/nostr/kind21000'
import { seeded } from './prng'
import { EPHEMERAL_KIND, signedPool } from './signed-pool'

describe('signedPool', () => {
  it('signs valid announces and ephemeral events dated now', () => {
    const pool = signedPool(8, 1_700_000_000, seeded(1))
    expect(pool).toHaveLength(8)
    for (const e of pool) {
      expect(verifyEvent({ ...e })).toBe(true)
      expect(e.created_at).toBe(1_700_000_000)
    }
    expect(pool.filter((e) => e.kind === 21000)).toHaveLength(4)
    expect(pool.filter((e) => e.kind === EPHEMERAL_KIND)).toHaveLength(4)
    for (const e of pool.filter((x) => x.kind === 21000))
      expect(() => parseAnnounceEvent(e)).not.toThrow()
  })
})
