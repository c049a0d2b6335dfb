import { describe, expect, it } from 'vitest'
import { Nip98Error } from '../../../src/nostr/nip98'
import { testBackends } from '../../../tests/support/backends'
import { freshSchema, openTestPostgres, postgresUrl } from '../../../tests/support/postgres'
import { migrateApi } from './schema'
import { SharedReplayGuard } from './shared-replay-guard'

const ID = 'ab'.repeat(32)
const T0 = 1_700_000_000

for (const backend of testBackends()) {
  describe(`SharedReplayGuard on ${backend.name}`, () => {
    it('accepts an id once within its window, and again once the window closed', () => {
      const db = backend.open()
      migrateApi(db)
      let now = T0
      const guard = new SharedReplayGuard(db, () => now, 60)
      guard.check(ID, T0)
      expect(() => {
        guard.check(ID, T0)
      }).toThrow(Nip98Error)
      expect(() => {
        guard.check(ID, T0)
      }).toThrow('auth event was already used')
      now = T0 + 61
      expect(() => {
        guard.check(ID, T0)
      }).not.toThrow()
      guard.check('cd'.repeat(32), now)
      // Expired ids are swept, so the table does not grow with traffic.
      now = T0 + 500
      guard.check('ef'.repeat(32), now)
      expect(db.prepare('SELECT count(*) FROM api_auth_seen').pluck().get()).toBe(1)
    })
  })
}

const url = postgresUrl()
describe.skipIf(url === undefined)('SharedReplayGuard across connections', () => {
  it('refuses on one connection an id another connection accepted', () => {
    const schema = freshSchema()
    const a = openTestPostgres(url as string, schema)
    const b = openTestPostgres(url as string, schema)
    try {
      migrateApi(a)
      migrateApi(b)
      new SharedReplayGuard(a, () => T0).check(ID, T0)
      const err = (() => {
        try {
          new SharedReplayGuard(b, () => T0).check(ID, T0)
        } catch (e) {
          return e
        }
        return undefined
      })()
      expect(err).toBeInstanceOf(Nip98Error)
      expect((err as Nip98Error).reason).toBe('replay')
    } finally {
      a.close()
      b.close()
    }
  })
})
