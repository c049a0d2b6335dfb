import { describe, expect, it } from 'vitest'
import {
  CliUsageError,
  parseCli,
  RELAY_CLI_DEFAULTS,
  RELAY_FLAGS,
  usage,
  type CliFlag,
  type RelayCliOptions,
} from './cli-options'

const parse = (argv: string[]) => parseCli(argv, RELAY_FLAGS, RELAY_CLI_DEFAULTS)

describe('parseCli', () => {
  it('uses the defaults', () => {
    expect(parse([])).toEqual({
      help: false,
      options: { host: '127.0.0.1', port: 7447, db: 'data/relay.sqlite', announceTtlSeconds: 7200 },
    })
  })

  it('reads every flag in both spellings', () => {
    expect(
      parse(['--host', '0.0.0.0', '--port=0', '--db', ':memory:', '--announce-ttl', '60']),
    ).toEqual({
      help: false,
      options: { host: '0.0.0.0', port: 0, db: ':memory:', announceTtlSeconds: 60 },
    })
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

describe('usage', () => {
  it('lists every flag with its description', () => {
    const text = usage('npm run relay --', RELAY_FLAGS)
    for (const f of RELAY_FLAGS) expect(text).toContain(`--${f.name} ${f.valueName}`)
    expect(text).toContain('--help')
  })
})
