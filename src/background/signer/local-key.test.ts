import { nsecEncode, npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { describe, expect, it } from 'vitest'
import { bytesToHex } from '../../nostr/tracker-announce'
import { createLocalKeySigner, KeyImportError, parseSecretKey } from './local-key'

const sk = new Uint8Array(32).fill(7)
const hex = bytesToHex(sk)

describe('parseSecretKey', () => {
  it('reads hex in either case and nsec, ignoring surrounding space', () => {
    expect(parseSecretKey(hex)).toEqual(sk)
    expect(parseSecretKey(`  ${hex.toUpperCase()}\n`)).toEqual(sk)
    expect(parseSecretKey(nsecEncode(sk))).toEqual(sk)
  })

  it.each([
    ['', 'Paste a secret key'],
    ['abc', '64 hex characters or starts with nsec1'],
    [npubEncode(getPublicKey(sk)), 'public key (npub)'],
    [nsecEncode(sk).slice(0, -1) + 'q', 'damaged'],
    ['ncryptsec1qqqq', 'enter its password'],
    ['0'.repeat(64), 'not a valid secp256k1 secret key'],
    ['f'.repeat(64), 'not a valid secp256k1 secret key'],
  ])('rejects %j with a clear message', (input, message) => {
    expect(() => parseSecretKey(input)).toThrow(KeyImportError)
    expect(() => parseSecretKey(input)).toThrow(message)
  })

  it('never repeats the input in its error', () => {
    const bad = nsecEncode(sk).slice(0, -1) + 'q'
    try {
      parseSecretKey(bad)
      expect.unreachable()
    } catch (e) {
      expect((e as Error).message).not.toContain(bad.slice(5, 20))
    }
  })
})

describe('createLocalKeySigner', () => {
  it('signs a valid event for its pubkey and leaves the template untouched', async () => {
    const key = generateSecretKey()
    const signer = createLocalKeySigner(key)
    const template = {
      kind: 21000,
      created_at: 1700000000,
      tags: [['i', 'ab'.repeat(20)]],
      content: '',
    }
    const before = JSON.stringify(template)
    const ev = await signer.signEvent(template)
    expect(JSON.stringify(template)).toBe(before)
    expect(ev.pubkey).toBe(getPublicKey(key))
    expect(await signer.getPublicKey()).toBe(getPublicKey(key))
    expect(verifyEvent(JSON.parse(JSON.stringify(ev)) as typeof ev)).toBe(true)
  })
})
