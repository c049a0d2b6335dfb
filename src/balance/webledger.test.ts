import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Currency } from './currency'
import type { Pool } from './amm'
import {
  assertLedgerUrl,
  exportWebLedger,
  importWebLedger,
  POOL_URL,
  validateWebLedger,
  WebLedgerError,
  type BalanceMap,
} from './webledger'

const ALICE = 'did:nostr:' + 'de7ecd1e2976a6adb2ffa5f4db81a7d812c8bb6698aa00dcf1e76adb55efd645'
const BOB = 'did:nostr:' + 'b'.repeat(64)
const CAROL = 'did:nostr:' + '0'.repeat(64)
const ABOVE_2_53 = 2n ** 53n + 1n

function balances(rows: [string, [Currency, bigint][]][]): BalanceMap {
  return new Map(rows.map(([url, values]) => [url, new Map(values)]))
}

function ledger(entries: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { '@context': 'https://w3id.org/webledgers', type: 'WebLedger', ...extra, entries }
}

function pathOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof WebLedgerError) return e.path
    throw e
  }
  return 'no error'
}

function roundTrip(doc: unknown): unknown {
  return JSON.parse(JSON.stringify(doc))
}

describe('validateWebLedger', () => {
  it('accepts the documented shape with both amount forms', () => {
    const doc = {
      '@context': 'https://w3id.org/webledgers',
      type: 'WebLedger',
      id: 'https://relay.example/ledger#this',
      name: 'TSEED ledger',
      description: 'balances',
      defaultCurrency: 'satoshi',
      created: 1705276800,
      updated: 1705316200,
      extension: 'ignored',
      entries: [
        { type: 'Entry', url: ALICE, amount: '100000' },
        {
          type: 'Entry',
          url: BOB,
          amount: [
            { currency: 'satoshi', value: '50000' },
            { currency: 'TSEED', value: '1234' },
          ],
        },
      ],
    }
    const known: Record<string, unknown> = { ...doc }
    delete known.extension
    expect(validateWebLedger(doc)).toEqual(known)
  })

  it('accepts any URI scheme as an account', () => {
    const urls = [
      'https://example.org/alice#me',
      'mailto:alice@example.org',
      'tel:+15551234567',
      'bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      'urn:voucher:abc123',
      'urn:swarm:' + 'c'.repeat(40),
      'txo:abcd:0',
      'did:web:example.org',
    ]
    const doc = ledger(urls.map((url) => ({ type: 'Entry', url, amount: '1' })))
    expect(validateWebLedger(doc).entries.map((e) => e.url)).toEqual(urls)
  })

  it('accepts decimals in currencies other than ours', () => {
    const doc = ledger([
      { type: 'Entry', url: ALICE, amount: [{ currency: 'USD', value: '1.25' }] },
    ])
    expect(validateWebLedger(doc).entries[0]?.amount).toEqual([{ currency: 'USD', value: '1.25' }])
  })

  it('accepts an @context array that includes the WebLedger context', () => {
    const doc = ledger([], { '@context': ['https://w3id.org/webledgers', 'https://x.example/ctx'] })
    expect(validateWebLedger(doc)['@context']).toEqual([
      'https://w3id.org/webledgers',
      'https://x.example/ctx',
    ])
  })

  it.each([
    ['a value that is not an object', [], '', 'the ledger must be a JSON object'],
    ['null', null, '', 'the ledger must be a JSON object'],
    [
      'a wrong @context',
      { '@context': 'https://schema.org', type: 'WebLedger', entries: [] },
      '@context',
      '@context must be "https://w3id.org/webledgers", got "https://schema.org"',
    ],
    [
      'a wrong type',
      { '@context': 'https://w3id.org/webledgers', type: 'Ledger', entries: [] },
      'type',
      'type must be "WebLedger", got "Ledger"',
    ],
    [
      'missing entries',
      { '@context': 'https://w3id.org/webledgers', type: 'WebLedger' },
      'entries',
      'entries must be an array, got undefined',
    ],
    [
      'created in fractional seconds',
      ledger([], { created: 1.5 }),
      'created',
      'created must be whole unix seconds, got number 1.5',
    ],
    [
      'a negative updated',
      ledger([], { updated: -1 }),
      'updated',
      'updated must be whole unix seconds, got number -1',
    ],
    [
      'an empty defaultCurrency',
      ledger([], { defaultCurrency: '' }),
      'defaultCurrency',
      'defaultCurrency must be a non-empty string, got ""',
    ],
    [
      'a name that is not a string',
      ledger([], { name: 5 }),
      'name',
      'name must be a non-empty string, got number 5',
    ],
  ])('refuses %s', (_what, doc, path, message) => {
    expect(pathOf(() => validateWebLedger(doc))).toBe(path)
    expect(() => validateWebLedger(doc)).toThrow(message)
  })

  const ok = { type: 'Entry', url: ALICE, amount: '1' }
  it.each([
    ['an entry that is not an object', 'x', 'entries[1]', 'must be an object, got "x"'],
    ['an unknown entry type', { ...ok, type: 'Account' }, 'entries[1].type', 'got "Account"'],
    ['a missing url', { type: 'Entry', amount: '1' }, 'entries[1].url', 'must be a URI string'],
    ['a url without a scheme', { ...ok, url: 'alice' }, 'entries[1].url', 'must be a URI'],
    ['a url with a space', { ...ok, url: 'urn:a b' }, 'entries[1].url', 'must be a URI'],
    ['a url with a control character', { ...ok, url: 'urn:a\u0000' }, 'entries[1].url', 'URI'],
    ['a bare scheme', { ...ok, url: 'urn:' }, 'entries[1].url', 'must be a URI'],
    [
      'an npub in did:nostr',
      { ...ok, url: 'did:nostr:npub1' + 'q'.repeat(58) },
      'entries[1].url',
      'must be did:nostr: followed by 64 lowercase hex characters',
    ],
    [
      'uppercase hex in did:nostr',
      { ...ok, url: 'did:nostr:' + 'AB'.repeat(32) },
      'entries[1].url',
      '64 lowercase hex',
    ],
    [
      'a short did:nostr key',
      { ...ok, url: 'did:nostr:' + 'a'.repeat(63) },
      'entries[1].url',
      '64 lowercase hex',
    ],
    [
      'an uppercase DID:NOSTR prefix',
      { ...ok, url: 'DID:NOSTR:' + 'a'.repeat(64) },
      'entries[1].url',
      '64 lowercase hex',
    ],
    ['a duplicate url', { ...ok }, 'entries[1].url', 'duplicates entries[0].url'],
    [
      'a negative string amount',
      { ...ok, url: BOB, amount: '-5' },
      'entries[1].amount',
      'entries[1].amount must be a digit string (no sign, decimals or separators), got "-5"',
    ],
    [
      'a decimal string amount',
      { ...ok, url: BOB, amount: '1.5' },
      'entries[1].amount',
      'must be a digit string',
    ],
    [
      'a JSON number amount',
      { ...ok, url: BOB, amount: 5 },
      'entries[1].amount',
      'must be a digit string or an array of {currency, value}, got number 5',
    ],
    [
      'a JSON number value',
      { ...ok, url: BOB, amount: [{ currency: 'TSEED', value: 10000000 }] },
      'entries[1].amount[0].value',
      'entries[1].amount[0].value must be a digit string, got number 10000000 (JSON numbers lose precision above 2^53)',
    ],
    [
      'a negative value',
      { ...ok, url: BOB, amount: [{ currency: 'satoshi', value: '-5' }] },
      'entries[1].amount[0].value',
      'entries[1].amount[0].value must be a digit string',
    ],
    [
      'a fractional satoshi',
      {
        ...ok,
        url: BOB,
        amount: [
          { currency: 'TSEED', value: '5' },
          { currency: 'satoshi', value: '1.5' },
        ],
      },
      'entries[1].amount[1].value',
      'must be a digit string (satoshi has no fractional units), got "1.5"',
    ],
    [
      'a fractional TSEED',
      { ...ok, url: BOB, amount: [{ currency: 'TSEED', value: '0.5' }] },
      'entries[1].amount[0].value',
      'TSEED has no fractional units',
    ],
    [
      'an exponent in another currency',
      { ...ok, url: BOB, amount: [{ currency: 'USD', value: '1e3' }] },
      'entries[1].amount[0].value',
      'must be a decimal string (no sign or exponent), got "1e3"',
    ],
    [
      'a repeated currency',
      {
        ...ok,
        url: BOB,
        amount: [
          { currency: 'TSEED', value: '1' },
          { currency: 'TSEED', value: '2' },
        ],
      },
      'entries[1].amount[1].currency',
      'repeats TSEED from entries[1].amount[0]',
    ],
    [
      'a missing currency',
      { ...ok, url: BOB, amount: [{ value: '1' }] },
      'entries[1].amount[0].currency',
      'must be a non-empty string, got undefined',
    ],
    [
      'an amount item that is not an object',
      { ...ok, url: BOB, amount: ['5'] },
      'entries[1].amount[0]',
      'must be a {currency, value} object',
    ],
    [
      'too many digits',
      { ...ok, url: BOB, amount: '1'.repeat(79) },
      'entries[1].amount',
      'has 79 digits, more than the 78 allowed',
    ],
    [
      'an Entry at the pool url',
      { ...ok, url: POOL_URL },
      'entries[1].type',
      'must be "Pool" for the pool\'s url',
    ],
    [
      'a Pool with a string amount',
      { type: 'Pool', url: POOL_URL, amount: '5', k: '5', fee: '0.003' },
      'entries[1].amount',
      'of a Pool must list each reserve as {currency, value}',
    ],
    [
      'a Pool with a number k',
      {
        type: 'Pool',
        url: POOL_URL,
        amount: [{ currency: 'TSEED', value: '5' }],
        k: 5,
        fee: '0.003',
      },
      'entries[1].k',
      'must be a digit string, got number 5',
    ],
    [
      'a Pool with a number fee',
      {
        type: 'Pool',
        url: POOL_URL,
        amount: [{ currency: 'TSEED', value: '5' }],
        k: '5',
        fee: 0.003,
      },
      'entries[1].fee',
      'must be a decimal string, got number 0.003',
    ],
  ])('refuses %s', (_what, bad, path, message) => {
    const doc = ledger([ok, bad])
    expect(pathOf(() => validateWebLedger(doc))).toBe(path)
    expect(() => validateWebLedger(doc)).toThrow(message)
  })

  it('refuses the proposal example, whose amounts and k are JSON numbers', () => {
    const proposal = {
      '@context': 'https://w3id.org/webledgers',
      type: 'WebLedger',
      defaultCurrency: 'TSEED',
      entries: [
        {
          type: 'Pool',
          url: 'urn:pool:TSEED:satoshi',
          amount: [
            { currency: 'TSEED', value: 10000000 },
            { currency: 'satoshi', value: 5000000 },
          ],
          k: 50000000000000,
          fee: 0.003,
        },
      ],
    }
    expect(pathOf(() => validateWebLedger(proposal))).toBe('entries[0].amount[0].value')
  })
})

describe('exportWebLedger', () => {
  const pool = { url: POOL_URL, reserves: { tseed: 10_000_000n, sat: 5_000_000n } }

  it('writes sorted entries, strings for money and the pool with k and fee', () => {
    const doc = exportWebLedger(
      balances([
        [BOB, [['sat', 7n]]],
        [
          ALICE,
          [
            ['sat', 50_000n],
            ['TSEED', 1_234n],
          ],
        ],
      ]),
      pool,
      { id: 'https://relay.example/ledger#this', name: 'TSEED ledger', updated: 1705316200 },
    )
    expect(doc).toEqual({
      '@context': 'https://w3id.org/webledgers',
      type: 'WebLedger',
      id: 'https://relay.example/ledger#this',
      name: 'TSEED ledger',
      defaultCurrency: 'TSEED',
      updated: 1705316200,
      entries: [
        {
          type: 'Entry',
          url: BOB,
          amount: [{ currency: 'satoshi', value: '7' }],
        },
        {
          type: 'Entry',
          url: ALICE,
          amount: [
            { currency: 'TSEED', value: '1234' },
            { currency: 'satoshi', value: '50000' },
          ],
        },
        {
          type: 'Pool',
          url: 'urn:pool:TSEED:satoshi',
          amount: [
            { currency: 'TSEED', value: '10000000' },
            { currency: 'satoshi', value: '5000000' },
          ],
          k: '50000000000000',
          fee: '0.003',
        },
      ],
    })
    expect(validateWebLedger(roundTrip(doc))).toEqual(doc)
  })

  it('keeps TSEED-only accounts, drops zero currencies and empty accounts', () => {
    const doc = exportWebLedger(
      balances([
        [
          ALICE,
          [
            ['TSEED', 145_000n],
            ['sat', 0n],
          ],
        ],
        [
          BOB,
          [
            ['TSEED', 0n],
            ['sat', 0n],
          ],
        ],
        [CAROL, []],
      ]),
      null,
      {},
    )
    expect(doc.entries).toEqual([
      { type: 'Entry', url: ALICE, amount: [{ currency: 'TSEED', value: '145000' }] },
    ])
  })

  it('does not depend on the order of the maps', () => {
    const a = balances([
      [
        ALICE,
        [
          ['TSEED', 1n],
          ['sat', 2n],
        ],
      ],
      ['urn:voucher:z', [['sat', 3n]]],
      [BOB, [['TSEED', 4n]]],
    ])
    const b = new Map([...a].reverse().map(([url, m]) => [url, new Map([...m].reverse())]))
    expect(JSON.stringify(exportWebLedger(b, pool, {}))).toBe(
      JSON.stringify(exportWebLedger(a, pool, {})),
    )
  })

  it('writes amounts above 2^53 exactly and no JSON number for money', () => {
    const big = 2n ** 70n + 3n
    const doc = exportWebLedger(
      balances([[ALICE, [['TSEED', big]]]]),
      { url: POOL_URL, reserves: { tseed: big, sat: ABOVE_2_53 } },
      { created: 1, updated: 2 },
    )
    const json = JSON.stringify(doc)
    expect(json).toContain(`"value":"${big}"`)
    expect(json).toContain(`"k":"${big * ABOVE_2_53}"`)
    // The only numbers are the two timestamps.
    expect(json.match(/:\d/g)).toEqual([':1', ':2'])
  })

  it('refuses negative balances, bad urls, pool collisions and bad reserves', () => {
    expect(() => exportWebLedger(balances([[ALICE, [['sat', -1n]]]]), null, {})).toThrow(
      `balances["${ALICE}"].sat is negative (-1); WebLedger cannot express negative balances`,
    )
    expect(pathOf(() => exportWebLedger(balances([['alice', [['sat', 1n]]]]), null, {}))).toBe(
      'balances["alice"]',
    )
    expect(() => exportWebLedger(balances([[POOL_URL, [['sat', 1n]]]]), null, {})).toThrow(
      "is the pool's url",
    )
    expect(() =>
      exportWebLedger(
        balances([['urn:pool:x', [['sat', 1n]]]]),
        { ...pool, url: 'urn:pool:x' },
        {},
      ),
    ).toThrow("is the pool's url")
    expect(
      pathOf(() =>
        exportWebLedger(new Map(), { url: POOL_URL, reserves: { tseed: 0n, sat: 5n } }, {}),
      ),
    ).toBe('pool.reserves')
    expect(
      pathOf(() => exportWebLedger(new Map(), { url: 'pool', reserves: pool.reserves }, {})),
    ).toBe('pool.url')
    const usd = new Map([[ALICE, new Map([['USD' as Currency, 1n]])]])
    expect(() => exportWebLedger(usd, null, {})).toThrow('holds unknown currency "USD"')
    const float = new Map([[ALICE, new Map<Currency, bigint>([['sat', 1.5 as unknown as bigint]])]])
    expect(() => exportWebLedger(float, null, {})).toThrow('must be a bigint, got number 1.5')
    expect(pathOf(() => exportWebLedger(new Map(), null, { created: 1.5 }))).toBe('meta.created')
  })
})

describe('importWebLedger', () => {
  const poolEntry = {
    type: 'Pool',
    url: POOL_URL,
    amount: [
      { currency: 'TSEED', value: '1000000' },
      { currency: 'satoshi', value: '100000' },
    ],
    k: '100000000000',
    fee: '0.003',
  }

  it('reads both amount forms, the default currency and the pool', () => {
    const doc = ledger([
      { type: 'Entry', url: ALICE, amount: '100000' },
      {
        type: 'Entry',
        url: BOB,
        amount: [
          { currency: 'satoshi', value: '0' },
          { currency: 'TSEED', value: '1234' },
        ],
      },
      { type: 'Entry', url: 'urn:voucher:abc', amount: '0' },
      poolEntry,
    ])
    const { balances: b, pool } = importWebLedger(doc)
    expect(b).toEqual(
      balances([
        [ALICE, [['sat', 100_000n]]],
        [BOB, [['TSEED', 1_234n]]],
      ]),
    )
    expect(pool).toEqual({ tseed: 1_000_000n, sat: 100_000n })
  })

  it('reads a bare string in the declared default currency', () => {
    const doc = ledger([{ type: 'Entry', url: ALICE, amount: '5' }], { defaultCurrency: 'TSEED' })
    expect(importWebLedger(doc).balances.get(ALICE)?.get('TSEED')).toBe(5n)
  })

  it('reads no pool when there is none', () => {
    expect(importWebLedger(ledger([])).pool).toBeNull()
  })

  it('accepts an equivalent spelling of the fee', () => {
    expect(importWebLedger(ledger([{ ...poolEntry, fee: '0.0030' }])).pool).not.toBeNull()
  })

  it.each([
    [
      'a foreign currency',
      [{ type: 'Entry', url: ALICE, amount: [{ currency: 'USD', value: '1.25' }] }],
      {},
      'entries[0].amount[0].currency',
      '"USD" is not a currency TSEED holds (TSEED, satoshi)',
    ],
    [
      'a bare string in a foreign default currency',
      [{ type: 'Entry', url: ALICE, amount: '5' }],
      { defaultCurrency: 'EUR' },
      'entries[0].amount',
      'is in the default currency "EUR", which TSEED does not hold',
    ],
    [
      'a k that is not the product of the reserves',
      [{ ...poolEntry, k: '100000000001' }],
      {},
      'entries[0].k',
      'is 100000000001 but the reserves multiply to 100000000000',
    ],
    [
      'another fee',
      [{ ...poolEntry, fee: '0.005' }],
      {},
      'entries[0].fee',
      'is 0.005; this pool charges 0.003',
    ],
    [
      'a pool without sats',
      [{ ...poolEntry, amount: [{ currency: 'TSEED', value: '5' }], k: '0' }],
      {},
      'entries[0].amount',
      'must hold positive TSEED and satoshi reserves, got TSEED 5 and satoshi 0',
    ],
    [
      'a pool with a foreign reserve',
      [{ ...poolEntry, amount: [...poolEntry.amount, { currency: 'USD', value: '1' }] }],
      {},
      'entries[0].amount[2].currency',
      'is not a currency TSEED holds',
    ],
    [
      'two pools',
      [poolEntry, { ...poolEntry, url: 'urn:pool:TSEED:satoshi:2' }],
      {},
      'entries[1]',
      'is a second pool; entries[0] is already one',
    ],
  ])('refuses %s', (_what, entries, extra, path, message) => {
    const doc = ledger(entries, extra)
    expect(pathOf(() => importWebLedger(doc))).toBe(path)
    expect(() => importWebLedger(doc)).toThrow(message)
  })

  it('round-trips export → JSON → import, above 2^53', () => {
    const b = balances([
      [
        ALICE,
        [
          ['TSEED', ABOVE_2_53],
          ['sat', 2n ** 64n + 1n],
        ],
      ],
      [BOB, [['TSEED', 1n]]],
      ['urn:swarm:' + 'a'.repeat(40), [['TSEED', 10n ** 30n]]],
      ['mailto:carol@example.org', [['sat', 9_007_199_254_740_993n]]],
    ])
    const reserves: Pool = { tseed: 10n ** 25n + 7n, sat: ABOVE_2_53 }
    const doc = roundTrip(exportWebLedger(b, { url: POOL_URL, reserves }, { updated: 1 }))
    expect(importWebLedger(doc)).toEqual({ balances: b, pool: reserves })
  })

  it('round-trips any balances, dropping only zeros', () => {
    const hexKey = fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => 'did:nostr:' + h)
    const urn = fc.stringMatching(/^[a-z0-9]{1,12}$/).map((s) => 'urn:account:' + s)
    const amount = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1n << 90n }))
    const account = fc.tuple(
      fc.oneof(hexKey, urn),
      fc.record({ TSEED: fc.option(amount), sat: fc.option(amount) }),
    )
    const reserve = fc.bigInt({ min: 1n, max: 1n << 90n })
    const pool = fc.option(fc.record({ tseed: reserve, sat: reserve }))
    fc.assert(
      fc.property(fc.array(account, { maxLength: 12 }), pool, (rows, reserves) => {
        const input: BalanceMap = new Map()
        const expected: BalanceMap = new Map()
        for (const [url, { TSEED, sat }] of rows) {
          const m = new Map<Currency, bigint>()
          const kept = new Map<Currency, bigint>()
          for (const [c, v] of [
            ['TSEED', TSEED],
            ['sat', sat],
          ] as const) {
            if (v === null) continue
            m.set(c, v)
            if (v > 0n) kept.set(c, v)
          }
          input.set(url, m)
          if (kept.size > 0) expected.set(url, kept)
          else expected.delete(url)
        }
        const doc = exportWebLedger(input, reserves && { url: POOL_URL, reserves }, {})
        expect(importWebLedger(roundTrip(doc))).toEqual({ balances: expected, pool: reserves })
      }),
      { numRuns: 200 },
    )
  })
})

it('assertLedgerUrl passes good urls and names the path in errors', () => {
  expect(() => {
    assertLedgerUrl(ALICE)
  }).not.toThrow()
  expect(() => {
    assertLedgerUrl('did:nostr:xyz', 'account')
  }).toThrow(/^account must be did:nostr: followed by 64 lowercase hex characters/)
  expect(() => {
    assertLedgerUrl('urn:' + 'a'.repeat(2048))
  }).toThrow('more than 2048')
})
