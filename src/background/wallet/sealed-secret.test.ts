import { describe, expect, it } from 'vitest'
import { openSecret, sealSecret } from './sealed-secret'
import { WalletError } from './wallet-error'

const URI =
  'nostr+walletconnect://' +
  'b'.repeat(64) +
  '?relay=wss%3A%2F%2Fr.example&secret=' +
  'c'.repeat(64)
const fails = (f: () => unknown): WalletError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(WalletError)
    return e as WalletError
  }
  throw new Error('expected a WalletError')
}

describe('sealed secrets', () => {
  it('round-trips text, with a fresh salt and nonce each time, and hides it', () => {
    const a = sealSecret(URI, 'correct horse', { logN: 10 })
    const b = sealSecret(URI, 'correct horse', { logN: 10 })
    expect(a).not.toBe(b)
    expect(a).toMatch(/^tseed-sealed:v1:10:/)
    expect(a).not.toContain('secret=')
    expect(openSecret(a, 'correct horse')).toBe(URI)
  })

  it('uses NIP-49 cost by default and normalizes the password (NFKC)', () => {
    const sealed = sealSecret('ünïcödé', '\u00c5ngström')
    expect(sealed.split(':')[2]).toBe('16')
    expect(openSecret(sealed, 'A\u030angstro\u0308m')).toBe('ünïcödé')
  })

  it('refuses a wrong password and any alteration, including of the header', () => {
    const sealed = sealSecret(URI, 'pw', { logN: 10 })
    expect(fails(() => openSecret(sealed, 'pW')).code).toBe('wrong_password')
    const parts = sealed.split(':')
    const ct = parts[5]!
    const flipped = [...parts.slice(0, 5), (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1)].join(':')
    expect(fails(() => openSecret(flipped, 'pw')).code).toBe('wrong_password')
    const cheaper = sealed.replace(':v1:10:', ':v1:11:')
    expect(fails(() => openSecret(cheaper, 'pw')).code).toBe('wrong_password')
    expect(fails(() => openSecret('nostr+walletconnect://x', 'pw')).code).toBe('bad_input')
    expect(fails(() => openSecret(sealed.replace(':v1:10:', ':v1:99:'), 'pw')).code).toBe(
      'bad_input',
    )
  })

  it('refuses an empty password or an out-of-range cost', () => {
    expect(fails(() => sealSecret(URI, '', { logN: 10 })).code).toBe('bad_input')
    expect(fails(() => sealSecret(URI, 'pw', { logN: 8 })).code).toBe('bad_input')
  })
})
