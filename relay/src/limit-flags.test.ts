import { describe, expect, it } from 'vitest'
import { CliUsageError, parseCli, usage } from './cli-options'
import { DEFAULT_LIMITS } from './core/limits'
import { LIMIT_CLI_DEFAULTS, LIMIT_FLAGS, LIMIT_SPECS, limitStartOptions } from './limit-flags'

const parse = (argv: string[]) => {
  const r = parseCli(argv, LIMIT_FLAGS, LIMIT_CLI_DEFAULTS)
  if (r.help) throw new Error('help')
  return r.options
}

describe('operator limit flags', () => {
  it('default to the values the relay enforced before they were settable', () => {
    const o = limitStartOptions(parse([]))
    expect(o.limits).toEqual(DEFAULT_LIMITS)
    expect(o.maxConnectionsPerIp).toBe(20)
    expect(o.maxBufferedBytes).toBe(8 * 1024 * 1024)
    expect(o.api).toEqual({ rateLimit: { burst: 60, perSecond: 20 }, maxBodyBytes: 16 * 1024 })
    expect(o.tracker).toEqual({
      rateLimit: { burst: 500, perSecond: 50 },
      defaultNumwant: 50,
      maxNumwant: 100,
      maxPeers: 500_000,
    })
  })

  it('set every limit from its flag', () => {
    const argv = LIMIT_SPECS.flatMap((s) => [`--${s.flag}`, String(s.min === 0 ? 1 : s.min + 1)])
    const o = parse(argv)
    for (const s of LIMIT_SPECS) expect(o[s.key]).toBe(s.min === 0 ? 1 : s.min + 1)
    const mapped = limitStartOptions(o)
    expect(mapped.limits.maxMessageBytes).toBe(1025)
    expect(mapped.limits.rateLimitBurst).toBe(2)
    expect(mapped.maxConnectionsPerIp).toBe(2)
    expect(mapped.maxBufferedBytes).toBe(64 * 1024 + 1)
    expect(mapped.api).toEqual({ rateLimit: { burst: 2, perSecond: 2 }, maxBodyBytes: 1025 })
    expect(mapped.tracker.rateLimit).toEqual({ burst: 2, perSecond: 2 })
  })

  it('refuse values out of range, fractions and words, naming the flag and range', () => {
    expect(() => parse(['--max-connections-per-ip', '0'])).toThrow(CliUsageError)
    expect(() => parse(['--max-connections-per-ip', '0'])).toThrow(
      '--max-connections-per-ip must be an integer from 1 to 1000000, got "0"',
    )
    expect(() => parse(['--rate-per-second', '2.5'])).toThrow(/--rate-per-second must be/)
    expect(() => parse(['--max-message-bytes', '100'])).toThrow(/from 1024 to 16777216/)
    expect(() => parse(['--tracker-max-numwant', 'lots'])).toThrow(/--tracker-max-numwant/)
    expect(() => parse(['--max-future-seconds', '-1'])).toThrow(/--max-future-seconds/)
    expect(parse(['--max-future-seconds', '0']).maxFutureSeconds).toBe(0)
  })

  it('lower a default below its ceiling with it, as the relay requires', () => {
    const o = limitStartOptions(parse(['--max-limit', '10', '--tracker-max-numwant', '5']))
    expect(o.limits.maxLimit).toBe(10)
    expect(o.limits.defaultLimit).toBe(10)
    expect(o.tracker.defaultNumwant).toBe(5)
    expect(limitStartOptions(parse(['--default-limit', '3'])).limits.defaultLimit).toBe(3)
  })

  it('are listed with their defaults in --help', () => {
    const help = usage('relay', LIMIT_FLAGS)
    for (const s of LIMIT_SPECS) {
      expect(help).toMatch(new RegExp(`--${s.flag} <[a-z]+>.*\\(default ${s.default}\\)`))
    }
  })

  it('have unique flags and keys', () => {
    expect(new Set(LIMIT_SPECS.map((s) => s.flag)).size).toBe(LIMIT_SPECS.length)
    expect(new Set(LIMIT_SPECS.map((s) => s.key)).size).toBe(LIMIT_SPECS.length)
  })
})
