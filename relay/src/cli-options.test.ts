import { describe, expect, it } from 'vitest'
import {
  CliUsageError,
  databaseFromEnv,
  parseCli,
  parseCliWithArgs,
  RELAY_CLI_DEFAULTS,
  RELAY_FLAGS,
  TSEED_CLI_DEFAULTS,
  TSEED_FLAGS,
  usage,
  type CliFlag,
  type RelayCliOptions,
} from './cli-options'

const parse = (argv: string[]) => parseCli(argv, RELAY_FLAGS, RELAY_CLI_DEFAULTS)

describe('parseCli', () => {
  it('uses the defaults', () => {
    expect(parse([])).toEqual({
      help: false,
      options: {
        host: '127.0.0.1',
        port: 7447,
        db: 'data/relay.sqlite',
        synchronous: 'normal',
        announceTtlSeconds: 7200,
      },
    })
  })

  it('reads every flag in both spellings', () => {
    expect(
      parse([
        '--host',
        '0.0.0.0',
        '--port=0',
        '--db',
        ':memory:',
        '--synchronous',
        'full',
        '--announce-ttl',
        '60',
      ]),
    ).toEqual({
      help: false,
      options: {
        host: '0.0.0.0',
        port: 0,
        db: ':memory:',
        synchronous: 'full',
        announceTtlSeconds: 60,
      },
    })
    expect(parse(['--synchronous=normal'])).toMatchObject({ options: { synchronous: 'normal' } })
  })

  it('answers --help and -h', () => {
    expect(parse(['--port', '1', '--help'])).toEqual({ help: true })
    expect(parse(['-h'])).toEqual({ help: true })
  })

  it.each([
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--port', '12a'], /--port must be an integer/],
    [['--announce-ttl', '0'], /--announce-ttl must be an integer from 1/],
    [['--db', ''], /--db needs a file path/],
    [['--synchronous', 'off'], /--synchronous must be one of normal, full, got "off"/],
    [['--synchronous', 'FULL'], /--synchronous must be one of normal, full/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port'], /argument missing/],
    [['extra'], /positional/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(CliUsageError)
    expect(() => parse(argv)).toThrow(message)
  })

  it('lets a later component add flags over an extended options type', () => {
    interface WithLedger extends RelayCliOptions {
      ledger: string
    }
    const ledgerFlag: CliFlag<WithLedger> = {
      name: 'ledger',
      valueName: '<mode>',
      description: 'ledger mode',
      apply: (o, v) => {
        o.ledger = v
      },
    }
    const flags: CliFlag<WithLedger>[] = [...RELAY_FLAGS, ledgerFlag]
    const r = parseCli(['--ledger', 'dev', '--port', '1'], flags, {
      ...RELAY_CLI_DEFAULTS,
      ledger: 'off',
    })
    expect(r).toMatchObject({ help: false, options: { ledger: 'dev', port: 1 } })
    expect(usage('relay', flags)).toMatch(/--ledger <mode> +ledger mode/)
  })
})

describe('--db and TSEED_DATABASE_URL', () => {
  it('takes a SQLite file or a postgres:// URL, and refuses other database URLs', () => {
    for (const url of ['postgres://u:p@db:5432/tseed', 'postgresql://localhost/x']) {
      expect(parse(['--db', url])).toMatchObject({ options: { db: url } })
    }
    expect(() => parse(['--db', 'mysql://h/d'])).toThrow(CliUsageError)
    expect(() => parse(['--db', 'mysql://h/d'])).toThrow(/cannot use a mysql:\/\/ database/)
    expect(() => parse(['--db', ''])).toThrow(/needs a file path or a postgres/)
    expect(parse(['--db', 'data/postgres.sqlite'])).toMatchObject({
      options: { db: 'data/postgres.sqlite' },
    })
    expect(parse(['--db', 'C:/relay.sqlite']).help).toBe(false)
  })

  it('takes a read replica only as a postgres:// URL', () => {
    expect(parse(['--db-read', 'postgres://r/tseed'])).toMatchObject({
      options: { dbRead: 'postgres://r/tseed' },
    })
    expect(() => parse(['--db-read', 'replica.sqlite'])).toThrow(
      /--db-read takes a postgres:\/\/ URL of a read replica/,
    )
  })

  it('reads the database from the environment, checked like --db', () => {
    expect(databaseFromEnv({})).toBeUndefined()
    expect(databaseFromEnv({ TSEED_DATABASE_URL: '' })).toBeUndefined()
    expect(databaseFromEnv({ TSEED_DATABASE_URL: 'postgres://db/tseed' })).toBe(
      'postgres://db/tseed',
    )
    expect(() => databaseFromEnv({ TSEED_DATABASE_URL: 'redis://x' })).toThrow(
      /^TSEED_DATABASE_URL: --db takes/,
    )
  })
})

describe('usage', () => {
  it('lists every flag with its description', () => {
    const text = usage('npm run relay --', RELAY_FLAGS)
    for (const f of RELAY_FLAGS) expect(text).toContain(`--${f.name} ${f.valueName}`)
    expect(text).toContain('--help')
  })
})

describe('TSEED_FLAGS', () => {
  const parseTseed = (argv: string[]) => {
    const r = parseCli(argv, TSEED_FLAGS, TSEED_CLI_DEFAULTS)
    if (r.help) throw new Error('unexpected help')
    return r.options
  }

  it('defaults to 1 TSEED/MB, rarity off, settlement every 60 s, no proxy trust, no torrent index', () => {
    expect(parseTseed([])).toEqual({
      settleIntervalSeconds: 60,
      pricePerMb: 1n,
      rarity: false,
      trustProxy: false,
      torrentIndex: false,
    })
  })

  it('reads every flag', () => {
    expect(
      parseTseed([
        '--bootstrap-pool',
        '10000000:5000000',
        '--settle-interval',
        '5',
        '--price-per-mb',
        '3',
        '--rarity',
        'on',
        '--network',
        'signet',
        '--public-url',
        'https://relay.example/',
        '--trust-proxy',
        'on',
        '--torrent-index',
        'on',
      ]),
    ).toEqual({
      bootstrapPool: { tseed: 10_000_000n, sat: 5_000_000n },
      settleIntervalSeconds: 5,
      pricePerMb: 3n,
      rarity: true,
      network: 'signet',
      publicUrl: 'https://relay.example',
      trustProxy: true,
      torrentIndex: true,
    })
  })

  it.each([
    [['--bootstrap-pool', '100:5000000'], /--bootstrap-pool must be TSEED:SAT with each from 1000/],
    [['--bootstrap-pool', '5000'], /--bootstrap-pool must be TSEED:SAT/],
    [['--bootstrap-pool', '99999999999999999999:1000'], /--bootstrap-pool must be TSEED:SAT/],
    [['--settle-interval', '0'], /--settle-interval must be an integer from 1/],
    [['--price-per-mb', '0'], /--price-per-mb must be an integer from 1/],
    [['--rarity', 'yes'], /--rarity must be on or off/],
    [['--torrent-index', 'yes'], /--torrent-index must be on or off/],
    [['--network', 'mainnet'], /--network must be one of bitcoin, testnet, signet, regtest/],
    [['--public-url', 'relay.example'], /--public-url must be an absolute URL/],
    [['--public-url', 'wss://relay.example'], /--public-url must be an http\(s\) URL/],
    [['--public-url', 'https://relay.example/?a=1'], /without query/],
    [['--trust-proxy', '1'], /--trust-proxy must be on or off/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseTseed(argv)).toThrow(CliUsageError)
    expect(() => parseTseed(argv)).toThrow(message)
  })
})

describe('parseCliWithArgs', () => {
  interface ImportLike {
    db: string
    force: boolean
  }
  const flags: CliFlag<ImportLike>[] = [
    {
      name: 'db',
      valueName: '<file>',
      description: 'database',
      apply: (o, v) => {
        o.db = v
      },
    },
    {
      name: 'force',
      valueName: '',
      boolean: true,
      description: 'do it anyway',
      apply: (o) => {
        o.force = true
      },
    },
  ]
  const defaults: ImportLike = { db: 'x', force: false }

  it('returns positionals and switches', () => {
    expect(parseCliWithArgs(['in.json', '--db', 'y', '--force'], flags, defaults, 1)).toEqual({
      help: false,
      options: { db: 'y', force: true },
      args: ['in.json'],
    })
    expect(parseCliWithArgs([], flags, defaults, 1)).toEqual({
      help: false,
      options: defaults,
      args: [],
    })
  })

  it('refuses extra positionals and values for switches', () => {
    expect(() => parseCliWithArgs(['a', 'b'], flags, defaults, 1)).toThrow(
      /unexpected argument "b"/,
    )
    expect(() => parseCliWithArgs(['--force=yes'], flags, defaults, 1)).toThrow(CliUsageError)
  })

  it('shows switches without a value and the synopsis in the usage', () => {
    const text = usage('relay import', flags, 'FILE [options]')
    expect(text).toMatch(/^Usage: relay import FILE \[options\]/)
    expect(text).toMatch(/ {2}--force {2,}do it anyway/)
  })
})
