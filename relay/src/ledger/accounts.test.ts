import { describe, expect, it } from 'vitest'
import {
  assertAccount,
  EXTERNAL,
  FEE_ACCOUNT,
  isExternal,
  isValidAccount,
  PENDING_WITHDRAWALS,
  POOL_ACCOUNT,
  pubkeyOf,
  swarmAccount,
  userAccount,
} from './accounts'

const PK = 'a'.repeat(64)
const IH = 'b'.repeat(40)

describe('accounts', () => {
  it('builds user and swarm accounts from validated ids', () => {
    expect(userAccount(PK)).toBe(`did:nostr:${PK}`)
    expect(swarmAccount(IH)).toBe(`urn:swarm:${IH}`)
    expect(() => userAccount('A'.repeat(64))).toThrow('pubkey must be 64 lowercase hex chars')
    expect(() => swarmAccount('b'.repeat(64))).toThrow('info hash must be 40 lowercase hex')
  })

  it('reads the pubkey back out of a user account only', () => {
    expect(pubkeyOf(userAccount(PK))).toBe(PK)
    expect(pubkeyOf(POOL_ACCOUNT)).toBeUndefined()
    expect(pubkeyOf('did:nostr:xyz')).toBeUndefined()
  })

  it('knows exactly which accounts exist and which may go negative', () => {
    for (const a of [POOL_ACCOUNT, FEE_ACCOUNT, PENDING_WITHDRAWALS, userAccount(PK)]) {
      expect(isValidAccount(a)).toBe(true)
      expect(isExternal(a)).toBe(false)
    }
    for (const a of Object.values(EXTERNAL)) {
      expect(isValidAccount(a)).toBe(true)
      expect(isExternal(a)).toBe(true)
    }
    for (const a of ['urn:external:other', 'did:nostr:', `urn:swarm:${IH}0`, 'mailto:x@y', '']) {
      expect(isValidAccount(a)).toBe(false)
      expect(() => {
        assertAccount(a)
      }).toThrow('unknown account')
    }
  })
})
