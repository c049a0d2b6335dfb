import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import {
  CREDENTIAL_PATTERN,
  CredentialError,
  hashCredential,
  TrackerCredentials,
} from './credentials'

const PK = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)
const T0 = 1_700_000_000

function store(options: ConstructorParameters<typeof TrackerCredentials>[1] = {}) {
  const db = new Database(':memory:')
  return { db, creds: new TrackerCredentials(db, options) }
}

describe('TrackerCredentials', () => {
  it('issues 144-bit URL-safe credentials and stores only their SHA-256', () => {
    const { db, creds } = store()
    const c = creds.issue(PK, 'laptop', T0)
    expect(c.credential).toMatch(CREDENTIAL_PATTERN)
    expect(Buffer.from(c.credential, 'base64url')).toHaveLength(18)
    expect(c.id).toMatch(/^[0-9a-f]{16}$/)
    const rows = db.prepare('SELECT * FROM tracker_credentials').all() as Record<string, unknown>[]
    expect(rows).toHaveLength(1)
    expect(rows[0]?.secret_hash).toEqual(hashCredential(c.credential))
    // The secret appears in no column.
    expect(
      JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)),
    ).not.toContain(c.credential)
    expect(creds.issue(PK, '', T0).credential).not.toBe(c.credential)
  })

  it('resolves a credential to its pubkey and notes its use at most once a minute', () => {
    const { db, creds } = store()
    const c = creds.issue(PK, 'laptop', T0)
    expect(creds.resolve(c.credential, T0 + 5)).toEqual({ id: c.id, pubkey: PK })
    expect(creds.list(PK)).toEqual([
      { id: c.id, label: 'laptop', createdAt: T0, lastUsedAt: T0 + 5 },
    ])
    creds.resolve(c.credential, T0 + 30)
    expect(creds.list(PK)[0]?.lastUsedAt).toBe(T0 + 5)
    creds.resolve(c.credential, T0 + 65)
    expect(creds.list(PK)[0]?.lastUsedAt).toBe(T0 + 65)
    // A second store on the same file (another process) reads the same owner.
    expect(new TrackerCredentials(db).resolve(c.credential, T0)).toEqual({ id: c.id, pubkey: PK })
  })

  it('refuses unknown, malformed and revoked credentials', () => {
    const { creds } = store()
    const c = creds.issue(PK, '', T0)
    expect(creds.resolve('A'.repeat(24), T0)).toBeUndefined()
    expect(creds.resolve(`${c.credential}x`, T0)).toBeUndefined()
    expect(creds.resolve(c.credential.slice(1), T0)).toBeUndefined()
    expect(creds.resolve('', T0)).toBeUndefined()
    expect(creds.resolve(c.credential, T0)?.pubkey).toBe(PK)
    // Revoked while cached: the very next lookup fails.
    expect(creds.revoke(OTHER, c.id, T0)).toBe(false)
    expect(creds.revoke(PK, c.id, T0 + 1)).toBe(true)
    expect(creds.revoke(PK, c.id, T0 + 2)).toBe(false)
    expect(creds.resolve(c.credential, T0 + 3)).toBeUndefined()
    expect(creds.list(PK)).toEqual([])
    expect(creds.revoke(PK, 'not-an-id', T0)).toBe(false)
  })

  it('lists one key’s credentials only, oldest first', () => {
    const { creds } = store()
    const a = creds.issue(PK, 'a', T0 + 1)
    creds.issue(OTHER, 'x', T0)
    const b = creds.issue(PK, 'b', T0 + 2)
    expect(creds.list(PK).map((c) => c.id)).toEqual([a.id, b.id])
    expect(creds.list(OTHER).map((c) => c.label)).toEqual(['x'])
  })

  it('caps active credentials per key and checks labels', () => {
    const { creds } = store({ maxPerPubkey: 2 })
    const first = creds.issue(PK, '', T0)
    creds.issue(PK, '', T0)
    expect(() => creds.issue(PK, '', T0)).toThrow(CredentialError)
    creds.revoke(PK, first.id, T0)
    expect(creds.issue(PK, '', T0).id).toMatch(/^[0-9a-f]{16}$/)
    expect(() => creds.issue(OTHER, 'x'.repeat(65), T0)).toThrow(/at most 64/)
    expect(() => creds.issue(OTHER, 'bad\nlabel', T0)).toThrow(/control characters/)
    expect(() => creds.issue('nope', '', T0)).toThrow(TypeError)
  })

  it('does not grow its cache with guesses, and stays bounded with real credentials', () => {
    const { creds } = store({ cacheSize: 2 })
    const all = [creds.issue(PK, '', T0), creds.issue(PK, '', T0), creds.issue(PK, '', T0)]
    for (let i = 0; i < 1000; i++) creds.resolve(String(i).padStart(24, 'A'), T0)
    for (const c of all) expect(creds.resolve(c.credential, T0)?.id).toBe(c.id)
    for (const c of all) expect(creds.resolve(c.credential, T0)?.id).toBe(c.id)
  })
})
