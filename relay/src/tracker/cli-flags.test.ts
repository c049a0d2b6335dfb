import { describe, expect, it } from 'vitest'
import { CliUsageError, parseCli } from '../cli-options'
import { TRACKER_CLI_DEFAULTS, TRACKER_FLAGS, trackerOptions } from './cli-flags'

const parse = (argv: string[]) => {
  const r = parseCli(argv, TRACKER_FLAGS, TRACKER_CLI_DEFAULTS)
  if (r.help) throw new Error('help')
  return r.options
}

describe('tracker start flags', () => {
  it('defaults to a 30 min interval, 5 min minimum and the observed address', () => {
    expect(trackerOptions(parse([]))).toEqual({
      intervalSeconds: 1800,
      minIntervalSeconds: 300,
      allowIpParam: false,
    })
  })

  it('reads the interval, lowers the minimum with it, and switches ip= on', () => {
    expect(trackerOptions(parse(['--tracker-interval', '60', '--tracker-ip-param', 'on']))).toEqual(
      {
        intervalSeconds: 60,
        minIntervalSeconds: 60,
        allowIpParam: true,
      },
    )
    expect(
      trackerOptions(parse(['--tracker-interval=900', '--tracker-min-interval=120'])),
    ).toMatchObject({
      intervalSeconds: 900,
      minIntervalSeconds: 120,
    })
  })

  it('refuses bad values with the flag named', () => {
    expect(() => parse(['--tracker-interval', '0'])).toThrow(CliUsageError)
    expect(() => parse(['--tracker-ip-param', 'yes'])).toThrow(
      /--tracker-ip-param must be on or off/,
    )
  })
})
