import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { bech32 } from '@scure/base'
import {
  Bolt11Error,
  decodeInvoice,
  encodeInvoice,
  isInvoiceExpired,
  type Bolt11Network,
} from './bolt11'

// Example invoices from BOLT 11 (11-payment-encoding.md, "Examples"), all
// signed with priv_key e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734.
const SPEC_KEY = hexToBytes('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734')
const SPEC_PAYEE = '03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad'
const SPEC_HASH = '0001020304050607080900010203040506070809000102030405060708090102'
const SPEC_TS = 1496314658

const DONATION =
  'lnbc1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq8rkx3yf5tcsyz3d73gafnh3cax9rn449d9p5uxz9ezhhypd0elx87sjle52x86fux2ypatgddc6k63n7erqz25le42c4u4ecky03ylcqca784w'
const COFFEE =
  'lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpuaztrnwngzn3kdzw5hydlzf03qdgm2hdq27cqv3agm2awhz5se903vruatfhq77w3ls4evs3ch9zw97j25emudupq63nyw24cg27h2rspfj9srp'
const NONSENSE =
  'lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmneet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny'
const HASHED =
  'lnbc20m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqscc6gd6ql3jrc5yzme8v4ntcewwz5cnw92tz0pc8qcuufvq7khhr8wpald05e92xw006sq94mg8v2ndf4sefvf9sygkshp5zfem29trqq2yxxz7'
const TESTNET_FALLBACK =
  'lntb20m1pvjluezhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqfpp3x9et2e20v6pu37c5d9vax37wxq72un98kmzzhznpurw9sgl2v0nklu2g4d0keph5t7tj9tcqd8rexnd07ux4uv2cjvcqwaxgj7v4uwn5wmypjd5n69z2xm3xgksg28nwht7f6zspwp3f9t'
const ROUTED =
  'lnbc20m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqsfpp3qjmp7lwpagxun9pygexvgpjdc4jdj85fr9yq20q82gphp2nflc7jtzrcazrra7wwgzxqc8u7754cdlpfrmccae92qgzqvzq2ps8pqqqqqqpqqqqq9qqqvpeuqafqxu92d8lr6fvg0r5gv0heeeqgcrqlnm6jhphu9y00rrhy4grqszsvpcgpy9qqqqqqgqqqqq7qqzqj9n4evl6mr5aj9f58zp6fyjzup6ywn3x6sk8akg5v4tgn2q8g4fhx05wf6juaxu9760yp46454gpg5mtzgerlzezqcqvjnhjh8z3g2qqdhhwkj'
const P2SH =
  'lnbc20m1pvjluezhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqfppj3a24vwu6r8ejrss3axul8rxldph2q7z9kmrgvr7xlaqm47apw3d48zm203kzcq357a4ls9al2ea73r8jcceyjtya6fu5wzzpe50zrge6ulk4nvjcpxlekvmxl6qcs9j3tz0469gq5g658y'
const P2WPKH =
  'lnbc20m1pvjluezhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqfppqw508d6qejxtdg4y5r3zarvary0c5xw7kepvrhrm9s57hejg0p662ur5j5cr03890fa7k2pypgttmh4897d3raaq85a293e9jpuqwl0rnfuwzam7yr8e690nd2ypcq9hlkdwdvycqa0qza8'
const P2WSH =
  'lnbc20m1pvjluezhp58yjmdan79s6qqdhdzgynm4zwqd5d7xmw5fk98klysy043l2ahrqspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqfp4qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q28j0v3rwgy9pvjnd48ee2pl8xrpxysd5g44td63g6xcjcu003j3qe8878hluqlvl3km8rm92f5stamd3jw763n3hck0ct7p8wwj463cql26ava'
const PICO =
  'lnbc9678785340p1pwmna7lpp5gc3xfm08u9qy06djf8dfflhugl6p7lgza6dsjxq454gxhj9t7a0sd8dgfkx7cmtwd68yetpd5s9xar0wfjn5gpc8qhrsdfq24f5ggrxdaezqsnvda3kkum5wfjkzmfqf3jkgem9wgsyuctwdus9xgrcyqcjcgpzgfskx6eqf9hzqnteypzxz7fzypfhg6trddjhygrcyqezcgpzfysywmm5ypxxjemgw3hxjmn8yptk7untd9hxwg3q2d6xjcmtv4ezq7pqxgsxzmnyyqcjqmt0wfjjq6t5v4khxxqyjw5qcqp2rzjq0gxwkzc8w6323m55m4jyxcjwmy7stt9hwkwe2qxmy8zpsgg7jcuwz87fcqqeuqqqyqqqqlgqqqqn3qq9qn07ytgrxxzad9hc4xt3mawjjt8znfv8xzscs7007v9gh9j569lencxa8xeujzkxs0uamak9aln6ez02uunw6rd2ht2sqe4hz8thcdagpleym0j'
const FEATURES =
  'lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q5sqqqqqqqqqqqqqqqpqsq67gye39hfg3zd8rgc80k32tvy9xk2xunwm5lzexnvpx6fd77en8qaq424dxgt56cag2dpt359k3ssyhetktkpqh24jqnjyw6uqd08sgptq44qu'
const IGNORED_FIELDS =
  'lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q5sqqqqqqqqqqqqqqqpqsq2qrqqqfppnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqppnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqpp4qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqhpnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqhp4qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqspnqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqsp4qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnp5qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnpkqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq2jxxfsnucm4jf4zwtznpaxphce606fvhvje5x7d4gw7n73994hgs7nteqvenq8a4ml8aqtchv5d9pf7l558889hp4yyrqv6a7zpq9fgpskqhza'

const CAKE =
  'One piece of chocolate cake, one icecream cone, one pickle, one slice of swiss cheese, one slice of salami, one lollypop, one piece of cherry pie, one sausage, one cupcake, and one slice of watermelon'

function decodeError(invoice: string): string {
  try {
    decodeInvoice(invoice)
  } catch (e) {
    expect(e).toBeInstanceOf(Bolt11Error)
    return (e as Error).message
  }
  throw new Error('expected the invoice to be refused')
}

describe('decodeInvoice: BOLT 11 valid examples', () => {
  it('donation of any amount', () => {
    const inv = decodeInvoice(DONATION)
    expect(inv.network).toBe('bitcoin')
    expect(inv.amountMsat).toBeUndefined()
    expect(inv.timestamp).toBe(SPEC_TS)
    expect(inv.paymentHash).toBe(SPEC_HASH)
    expect(inv.description).toBe('Please consider supporting this project')
    expect(inv.expirySeconds).toBe(3600)
    expect(inv.expiresAt).toBe(SPEC_TS + 3600)
    expect(inv.payeeNodeKey).toBe(SPEC_PAYEE)
    expect(inv.minFinalCltvExpiry).toBe(18)
  })

  it('$3 coffee, 2500u, one minute expiry', () => {
    const inv = decodeInvoice(COFFEE)
    expect(inv.amountMsat).toBe(250_000_000n)
    expect(inv.description).toBe('1 cup coffee')
    expect(inv.expirySeconds).toBe(60)
    expect(inv.payeeNodeKey).toBe(SPEC_PAYEE)
    expect(isInvoiceExpired(inv, SPEC_TS + 59)).toBe(false)
    expect(isInvoiceExpired(inv, SPEC_TS + 60)).toBe(true)
  })

  it('UTF-8 description', () => {
    expect(decodeInvoice(NONSENSE).description).toBe('ナンセンス 1杯')
  })

  it('hashed description', () => {
    const inv = decodeInvoice(HASHED)
    expect(inv.amountMsat).toBe(2_000_000_000n)
    expect(inv.description).toBeUndefined()
    expect(inv.descriptionHash).toBe(bytesToHex(sha256(new TextEncoder().encode(CAKE))))
    expect(inv.payeeNodeKey).toBe(SPEC_PAYEE)
  })

  it('testnet, fallback addresses and route hints decode and recover the same payee', () => {
    expect(decodeInvoice(TESTNET_FALLBACK).network).toBe('testnet')
    for (const inv of [TESTNET_FALLBACK, ROUTED, P2SH, P2WPKH, P2WSH]) {
      const d = decodeInvoice(inv)
      expect(d.payeeNodeKey).toBe(SPEC_PAYEE)
      expect(d.paymentHash).toBe(SPEC_HASH)
    }
  })

  it('pico-BTC amount, one-week expiry, min_final_cltv_expiry', () => {
    const inv = decodeInvoice(PICO)
    expect(inv.amountMsat).toBe(967_878_534n)
    expect(inv.timestamp).toBe(1572468703)
    expect(inv.expirySeconds).toBe(604800)
    expect(inv.minFinalCltvExpiry).toBe(10)
    expect(inv.paymentHash).toBe('462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f')
    expect(inv.description).toMatch(/^Blockstream Store: 88\.85 USD/)
  })

  it('payment secret and odd features, in either case, with skipped fields', () => {
    for (const text of [FEATURES, FEATURES.toUpperCase(), IGNORED_FIELDS]) {
      const inv = decodeInvoice(text)
      expect(inv.amountMsat).toBe(2_500_000_000n)
      expect(inv.description).toBe('coffee beans')
      expect(inv.paymentSecret).toBe('11'.repeat(32))
      expect(inv.paymentHash).toBe(SPEC_HASH)
      expect(inv.payeeNodeKey).toBe(SPEC_PAYEE)
    }
  })

  it('accepts a lightning: URI prefix', () => {
    expect(decodeInvoice(`lightning:${COFFEE}`).amountMsat).toBe(250_000_000n)
  })
})

describe('decodeInvoice: BOLT 11 invalid examples', () => {
  it.each([
    [
      'unknown even feature 100',
      'lnbc25m1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5vdhkven9v5sxyetpdeessp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9q4psqqqqqqqqqqqqqqqpqsqq40wa3khl49yue3zsgm26jrepqr2eghqlx86rttutve3ugd05em86nsefzh4pfurpd9ek9w2vp95zxqnfe2u7ckudyahsa52q66tgzcp6t2dyk',
      /feature bit 100/,
    ],
    [
      'bad checksum',
      'lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmneet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrnt',
      /bech32/,
    ],
    [
      'no separator',
      'pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmneet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny',
      /separator/,
    ],
    [
      'mixed case',
      'LNBC2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpquwpc4curk03c9wlrswe78q4eyqc7d8d0xqzpuyk0sg5g70me25alkluzd2x62aysf2pyy8edtjeevuv4p2d5p76r4zkmneet7uvyakky2zr4cusd45tftc9c5fh0nnqpnl2jfll544esqchsrny',
      /bech32/,
    ],
    [
      'signature not recoverable',
      'lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpuaxtrnwngzn3kdzw5hydlzf03qdgm2hdq27cqv3agm2awhz5se903vruatfhq77w3ls4evs3ch9zw97j25emudupq63nyw24cg27h2rspk28uwq',
      /signature/,
    ],
    [
      'too short',
      'lnbc1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6na6hlh',
      /short|truncated|overruns|payment hash/,
    ],
    [
      'invalid multiplier',
      'lnbc2500x1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpujr6jxr9gq9pv6g46y7d20jfkegkg4gljz2ea2a3m9lmvvr95tq2s0kvu70u3axgelz3kyvtp2ywwt0y8hkx2869zq5dll9nelr83zzqqpgl2zg',
      /invalid amount/,
    ],
    [
      'sub-millisatoshi precision',
      'lnbc2500000001p1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu7hqtk93pkf7sw55rdv4k9z2vj050rxdr6za9ekfs3nlt5lr89jqpdmxsmlj9urqumg0h9wzpqecw7th56tdms40p2ny9q4ddvjsedzcplva53s',
      /whole number of millisatoshis/,
    ],
  ])('%s', (_name, invoice, message) => {
    expect(decodeError(invoice)).toMatch(message)
  })

  it('refuses non-strings, unknown prefixes and absurd lengths', () => {
    expect(decodeError(42 as unknown as string)).toMatch(/string/)
    expect(decodeError(COFFEE.replace(/^lnbc/, 'lnxx'))).toMatch(/bech32|prefix/)
    expect(decodeError('lnbc1' + 'q'.repeat(8000))).toMatch(/longer/)
  })
})

const NODE_KEY = secp256k1.utils.randomSecretKey()
const NODE_PUB = bytesToHex(secp256k1.getPublicKey(NODE_KEY, true))

function params(
  over: Partial<Parameters<typeof encodeInvoice>[0]> = {},
): Parameters<typeof encodeInvoice>[0] {
  return {
    network: 'regtest',
    amountMsat: 21_000n,
    paymentHash: 'ab'.repeat(32),
    paymentSecret: 'cd'.repeat(32),
    description: '[TEST MODE] deposit',
    expirySeconds: 600,
    timestamp: 1_700_000_000,
    ...over,
  }
}

describe('encodeInvoice', () => {
  it('produces an invoice that decodes to the same fields and the signing key', () => {
    const text = encodeInvoice(params(), NODE_KEY)
    expect(text.startsWith('lnbcrt210n1')).toBe(true)
    const inv = decodeInvoice(text)
    expect(inv).toMatchObject({
      network: 'regtest',
      amountMsat: 21_000n,
      paymentHash: 'ab'.repeat(32),
      paymentSecret: 'cd'.repeat(32),
      description: '[TEST MODE] deposit',
      expirySeconds: 600,
      expiresAt: 1_700_000_600,
      timestamp: 1_700_000_000,
      payeeNodeKey: NODE_PUB,
    })
  })

  it('signs like the spec: same key and message give the spec signer', () => {
    const text = encodeInvoice(params({ network: 'bitcoin', amountMsat: 250_000_000n }), SPEC_KEY)
    expect(text.startsWith('lnbc2500u1')).toBe(true)
    expect(decodeInvoice(text).payeeNodeKey).toBe(SPEC_PAYEE)
  })

  it.each([
    [100_000_000_000n, 'lnbc1'],
    [100_000_000n, 'lnbc1m'],
    [1_000n, 'lnbc10n'],
    [1n, 'lnbc10p'],
    [123_456_789n, 'lnbc1234567890p'],
  ])('uses the shortest amount for %s msat', (msat, prefix) => {
    const text = encodeInvoice(params({ network: 'bitcoin', amountMsat: msat }), NODE_KEY)
    expect(text.startsWith(prefix + '1')).toBe(true)
    expect(decodeInvoice(text).amountMsat).toBe(msat)
  })

  it('encodes every network and an amountless invoice', () => {
    const expected: Record<Bolt11Network, string> = {
      bitcoin: 'lnbc1',
      testnet: 'lntb1',
      signet: 'lntbs1',
      regtest: 'lnbcrt1',
    }
    for (const [network, prefix] of Object.entries(expected) as [Bolt11Network, string][]) {
      const text = encodeInvoice(params({ network, amountMsat: undefined }), NODE_KEY)
      expect(text.startsWith(prefix)).toBe(true)
      const inv = decodeInvoice(text)
      expect(inv.network).toBe(network)
      expect(inv.amountMsat).toBeUndefined()
    }
  })

  it('detects tampering: a changed amount recovers a different payee', () => {
    const text = encodeInvoice(params(), NODE_KEY)
    // A fresh checksum, so only the signature can catch the change.
    const tampered = reencode('lnbcrt220n', text)
    expect(decodeInvoice(tampered).payeeNodeKey).not.toBe(NODE_PUB)
  })

  it('refuses bad parameters with clear errors', () => {
    expect(() => encodeInvoice(params({ amountMsat: 0n }), NODE_KEY)).toThrow(/amount/)
    expect(() => encodeInvoice(params({ paymentHash: 'xy' }), NODE_KEY)).toThrow(/payment hash/)
    expect(() => encodeInvoice(params({ description: 'é'.repeat(320) }), NODE_KEY)).toThrow(
      /description/,
    )
    expect(() => encodeInvoice(params({ expirySeconds: 0 }), NODE_KEY)).toThrow(/expiry/)
    expect(() => encodeInvoice(params({ timestamp: 2 ** 35 }), NODE_KEY)).toThrow(/timestamp/)
  })

  it('round-trips arbitrary amounts, descriptions and expiries', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 2_100_000_000_000_000_000n }),
        fc.string({ maxLength: 100 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (amountMsat, description, expirySeconds, hash) => {
          const paymentHash = bytesToHex(hash)
          const inv = decodeInvoice(
            encodeInvoice(
              params({ amountMsat, description, expirySeconds, paymentHash }),
              NODE_KEY,
            ),
          )
          expect(inv.amountMsat).toBe(amountMsat)
          expect(inv.description).toBe(description)
          expect(inv.expirySeconds).toBe(expirySeconds)
          expect(inv.paymentHash).toBe(paymentHash)
          expect(inv.payeeNodeKey).toBe(NODE_PUB)
        },
      ),
      { numRuns: 60 },
    )
  })
})

/** The same data words under a new human-readable part, with a fresh checksum. */
function reencode(hrp: string, text: string): string {
  const { words } = bech32.decode(text as `${string}1${string}`, false)
  return bech32.encode(hrp, words, false)
}
