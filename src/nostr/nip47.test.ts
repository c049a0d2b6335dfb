import { describe, expect, it } from 'vitest'
import { bytesToHex } from '@noble/hashes/utils.js'
import * as nip04 from 'nostr-tools/nip04'
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import {
  buildRequest,
  buildResponse,
  chooseEncryption,
  decryptPayload,
  encryptPayload,
  formatWalletConnectUri,
  MAX_CONTENT_LENGTH,
  Nip47Error,
  parseInfoEvent,
  parseWalletConnectUri,
  readRequest,
  readResponse,
  redactWalletConnectUri,
  type Nip47Encryption,
} from './nip47'

const walletSecret = generateSecretKey()
const walletPubkey = getPublicKey(walletSecret)
const clientSecret = generateSecretKey()
const clientPubkey = getPublicKey(clientSecret)
const NOW = 1_700_000_000

// The example connection string of NIP-47.
const SPEC_URI =
  'nostr+walletconnect://b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4?relay=wss%3A%2F%2Frelay.damus.io&secret=71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c'

describe('wallet connect URI', () => {
  it('parses the NIP-47 example', () => {
    const c = parseWalletConnectUri(SPEC_URI)
    expect(c.walletPubkey).toBe('b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4')
    expect(c.relays).toEqual(['wss://relay.damus.io'])
    expect(bytesToHex(c.secret)).toBe(
      '71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c',
    )
    expect(c.clientPubkey).toBe(getPublicKey(c.secret))
    expect(c.lud16).toBeUndefined()
  })

  it('round-trips several relays and a lud16', () => {
    const uri = formatWalletConnectUri({
      walletPubkey,
      relays: ['ws://127.0.0.1:7447', 'wss://relay.example/nwc'],
      secret: clientSecret,
      lud16: 'op@relay.example',
    })
    const c = parseWalletConnectUri(uri)
    expect(c.relays).toEqual(['ws://127.0.0.1:7447', 'wss://relay.example/nwc'])
    expect(c.clientPubkey).toBe(clientPubkey)
    expect(c.lud16).toBe('op@relay.example')
  })

  it.each([
    ['wrong scheme', SPEC_URI.replace('nostr+walletconnect', 'nostrconnect'), /must start/],
    ['short pubkey', SPEC_URI.replace('b889ff', 'b889'), /pubkey/],
    ['no relay', SPEC_URI.replace(/relay=[^&]*&/, ''), /no relay/],
    ['http relay', SPEC_URI.replace('wss%3A', 'https%3A'), /ws:\/\//],
    ['no secret', SPEC_URI.replace(/&secret=.*/, ''), /secret/],
    ['zero secret', SPEC_URI.replace(/secret=.*/, 'secret=' + '0'.repeat(64)), /not a valid key/],
  ])('refuses %s without echoing the secret', (_name, uri, message) => {
    let error: unknown
    try {
      parseWalletConnectUri(uri)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(Nip47Error)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).not.toContain('71a8c14c')
  })

  it('redacts the secret for logs', () => {
    const r = redactWalletConnectUri(SPEC_URI + '&lud16=a@b.c')
    expect(r).not.toContain('71a8c14c')
    expect(r).toContain('secret=<redacted>&lud16=a@b.c')
  })
})

describe('info event', () => {
  const info = (tags: string[][], content = 'pay_invoice make_invoice lookup_invoice') =>
    finalizeEvent({ kind: 13194, created_at: NOW, tags, content }, walletSecret)

  it('reads methods, encryption and notifications', () => {
    const parsed = parseInfoEvent(
      info([
        ['encryption', 'nip44_v2 nip04'],
        ['notifications', 'payment_received payment_sent'],
      ]),
    )
    expect(parsed.methods).toEqual(['pay_invoice', 'make_invoice', 'lookup_invoice'])
    expect(parsed.encryptions).toEqual(['nip44_v2', 'nip04'])
    expect(parsed.notifications).toEqual(['payment_received', 'payment_sent'])
    expect(chooseEncryption(parsed)).toBe('nip44_v2')
  })

  it('assumes NIP-04 without an encryption tag, NIP-44 without an info event', () => {
    expect(chooseEncryption(parseInfoEvent(info([])))).toBe('nip04')
    expect(chooseEncryption(parseInfoEvent(info([['encryption', 'nip04']])))).toBe('nip04')
    expect(chooseEncryption(undefined)).toBe('nip44_v2')
  })

  it('refuses a wallet offering only unknown schemes, and the wrong kind', () => {
    expect(() => chooseEncryption(parseInfoEvent(info([['encryption', 'nip99']])))).toThrow(
      Nip47Error,
    )
    expect(() => parseInfoEvent({ ...info([]), kind: 1 })).toThrow(/13194/)
  })
})

describe('payload encryption', () => {
  it.each(['nip44_v2', 'nip04'] as const)('%s round-trips between the two keys', (encryption) => {
    const c = encryptPayload('{"a":1}', clientSecret, walletPubkey, encryption)
    expect(decryptPayload(c, walletSecret, clientPubkey, encryption)).toBe('{"a":1}')
    expect(() => decryptPayload(c, generateSecretKey(), clientPubkey, encryption)).toThrow(
      Nip47Error,
    )
  })

  it('refuses oversized content before decrypting', () => {
    expect(() =>
      decryptPayload('A'.repeat(MAX_CONTENT_LENGTH + 1), walletSecret, clientPubkey, 'nip44_v2'),
    ).toThrow(/too large/)
  })
})

describe('request and response', () => {
  it.each(['nip44_v2', 'nip04'] as const)('round-trip with %s', (encryption: Nip47Encryption) => {
    const req = buildRequest(
      { method: 'make_invoice', params: { amount: 21_000, description: 'deposit' } },
      { walletPubkey, clientSecret, encryption, now: NOW, expiresAt: NOW + 30 },
    )
    expect(verifyEvent(JSON.parse(JSON.stringify(req)) as typeof req)).toBe(true)
    expect(req.kind).toBe(23194)
    expect(req.pubkey).toBe(clientPubkey)
    expect(req.tags).toEqual([
      ['p', walletPubkey],
      ['encryption', encryption],
      ['expiration', String(NOW + 30)],
    ])
    expect(req.content).not.toContain('deposit')

    const received = readRequest(req, walletSecret)
    expect(received).toEqual({
      method: 'make_invoice',
      params: { amount: 21_000, description: 'deposit' },
      clientPubkey,
      encryption,
      expiresAt: NOW + 30,
    })

    const res = buildResponse(
      { resultType: 'make_invoice', error: null, result: { invoice: 'lnbcrt1…', amount: 21_000 } },
      { request: req, walletSecret, encryption, now: NOW + 1 },
    )
    expect(res.kind).toBe(23195)
    expect(res.tags).toContainEqual(['e', req.id])
    expect(res.tags).toContainEqual(['p', clientPubkey])
    const read = readResponse(res, { walletPubkey, clientSecret, requestId: req.id, encryption })
    expect(read).toEqual({
      resultType: 'make_invoice',
      error: null,
      result: { invoice: 'lnbcrt1…', amount: 21_000 },
    })
  })

  it('reads a wallet error', () => {
    const req = buildRequest(
      { method: 'pay_invoice', params: { invoice: 'lnbc1' } },
      { walletPubkey, clientSecret, encryption: 'nip44_v2', now: NOW },
    )
    const res = buildResponse(
      {
        resultType: 'pay_invoice',
        error: { code: 'INSUFFICIENT_BALANCE', message: 'not enough' },
        result: null,
      },
      { request: req, walletSecret, encryption: 'nip44_v2', now: NOW },
    )
    const read = readResponse(res, {
      walletPubkey,
      clientSecret,
      requestId: req.id,
      encryption: 'nip44_v2',
    })
    expect(read.error).toEqual({ code: 'INSUFFICIENT_BALANCE', message: 'not enough' })
    expect(read.result).toBeNull()
  })

  it('treats a request without an encryption tag as NIP-04 (legacy clients)', () => {
    const content = nip04.encrypt(
      clientSecret,
      walletPubkey,
      JSON.stringify({ method: 'get_balance', params: {} }),
    )
    const legacy = finalizeEvent(
      { kind: 23194, created_at: NOW, tags: [['p', walletPubkey]], content },
      clientSecret,
    )
    expect(readRequest(legacy, walletSecret).encryption).toBe('nip04')
  })

  it('refuses requests for another wallet, unknown schemes and bad bodies', () => {
    const other = getPublicKey(generateSecretKey())
    const req = buildRequest(
      { method: 'get_info', params: {} },
      { walletPubkey: other, clientSecret, encryption: 'nip44_v2', now: NOW },
    )
    expect(() => readRequest(req, walletSecret)).toThrow(/not addressed/)

    const odd = finalizeEvent(
      {
        kind: 23194,
        created_at: NOW,
        tags: [
          ['p', walletPubkey],
          ['encryption', 'nip99'],
        ],
        content: 'x',
      },
      clientSecret,
    )
    let err: unknown
    try {
      readRequest(odd, walletSecret)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(Nip47Error)
    expect((err as Nip47Error).code).toBe('UNSUPPORTED_ENCRYPTION')

    const noMethod = finalizeEvent(
      {
        kind: 23194,
        created_at: NOW,
        tags: [
          ['p', walletPubkey],
          ['encryption', 'nip44_v2'],
        ],
        content: encryptPayload('{"params":{}}', clientSecret, walletPubkey, 'nip44_v2'),
      },
      clientSecret,
    )
    expect(() => readRequest(noMethod, walletSecret)).toThrow(/no method/)
  })

  it('refuses responses that are not the answer to this request', () => {
    const req = buildRequest(
      { method: 'get_info', params: {} },
      { walletPubkey, clientSecret, encryption: 'nip44_v2', now: NOW },
    )
    const res = buildResponse(
      { resultType: 'get_info', error: null, result: { alias: 'w' } },
      { request: req, walletSecret, encryption: 'nip44_v2', now: NOW },
    )
    const opts = { walletPubkey, clientSecret, requestId: req.id, encryption: 'nip44_v2' as const }
    expect(() => readResponse(res, { ...opts, requestId: 'f'.repeat(64) })).toThrow(/reference/)
    expect(() => readResponse(res, { ...opts, walletPubkey: clientPubkey })).toThrow(
      /not from the wallet/,
    )
    expect(() => readResponse(res, { ...opts, clientSecret: generateSecretKey() })).toThrow(
      /not addressed/,
    )
    expect(() => readResponse({ ...res, kind: 23194 }, opts)).toThrow(/23195/)

    const empty = finalizeEvent(
      {
        kind: 23195,
        created_at: NOW,
        tags: [
          ['p', clientPubkey],
          ['e', req.id],
        ],
        content: encryptPayload(
          '{"result_type":"get_info"}',
          walletSecret,
          clientPubkey,
          'nip44_v2',
        ),
      },
      walletSecret,
    )
    expect(() => readResponse(empty, opts)).toThrow(/neither result nor error/)
  })
})
