import { describe, expect, it } from 'vitest'
import { CliUsageError, onOffFlag, type CliFlag } from './cli-options'
import { applyConfigText, CONFIG_FLAG } from './config-file'
import { LIMIT_CLI_DEFAULTS, LIMIT_FLAGS, type LimitCliOptions } from './limit-flags'

interface Opts extends LimitCliOptions {
  rarity: boolean
  force: boolean
  name: string
  config?: string
}

const FLAGS: readonly CliFlag<Opts>[] = [
  ...LIMIT_FLAGS,
  onOffFlag<Opts>('rarity', 'rule', (o, on) => {
    o.rarity = on
  }),
  {
    name: 'force',
    valueName: '',
    description: 'switch',
    boolean: true,
    apply: (o) => {
      o.force = true
    },
  },
  {
    name: 'name',
    valueName: '<text>',
    description: 'text',
    apply: (o, v) => {
      o.name = v
    },
  },
  CONFIG_FLAG,
]
const DEFAULTS: Opts = { ...LIMIT_CLI_DEFAULTS, rarity: false, force: false, name: 'x' }
const apply = (text: string): Opts => applyConfigText(text, 'relay.json', FLAGS, DEFAULTS)

describe('applyConfigText', () => {
  it('applies numbers, numeric strings, on/off, booleans and text by flag name', () => {
    const o = apply(
      JSON.stringify({
        'max-connections-per-ip': 50,
        'rate-burst': '7',
        rarity: true,
        force: true,
        name: 'relay',
      }),
    )
    expect(o).toMatchObject({
      maxConnectionsPerIp: 50,
      rateLimitBurst: 7,
      rarity: true,
      force: true,
      name: 'relay',
    })
    expect(apply('{"rarity": "off", "force": false}')).toMatchObject({
      rarity: false,
      force: false,
    })
    expect(apply('{}')).toEqual(DEFAULTS)
  })

  it('refuses an unknown key, and config inside the config, naming the key', () => {
    expect(() => apply('{"max-conections-per-ip": 5}')).toThrow(
      'relay.json: unknown key "max-conections-per-ip"',
    )
    expect(() => apply('{"config": "other.json"}')).toThrow('relay.json: unknown key "config"')
  })

  it('refuses bad values with the flag check, naming the key', () => {
    expect(() => apply('{"max-connections-per-ip": 0}')).toThrow(
      'relay.json: key "max-connections-per-ip": must be an integer from 1 to 1000000, got "0"',
    )
    expect(() => apply('{"rate-per-second": 1.5}')).toThrow(/key "rate-per-second": must be/)
    expect(() => apply('{"max-filters": 1e300}')).toThrow(/key "max-filters": must be/)
    expect(() => apply('{"max-filters": null}')).toThrow(
      'relay.json: key "max-filters" must be a string or number (<n>), got null',
    )
    expect(() => apply('{"max-filters": [5]}')).toThrow(/key "max-filters" must be/)
    expect(() => apply('{"rarity": 1}')).toThrow(/key "rarity": must be on or off/)
    expect(() => apply('{"force": "yes"}')).toThrow('key "force" must be true or false, got "yes"')
  })

  it('refuses text that is not a JSON object', () => {
    expect(() => apply('{"max-filters": 5,}')).toThrow(/relay.json: not valid JSON/)
    expect(() => apply('[1]')).toThrow('relay.json: must hold a JSON object')
    expect(() => apply('null')).toThrow(CliUsageError)
  })

  it('leaves the defaults untouched', () => {
    apply('{"max-filters": 3}')
    expect(DEFAULTS.maxFilters).toBe(10)
  })
})
