import { describe, expect, it } from 'vitest'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { CliUsageError, parseCli } from '../cli-options'
import { formatWalletConnectUri } from '../../../src/nostr/nip47'
import { rejectionOf } from '../../../tests/support/rejection'
import {
  createLightningBackend,
  describeLightning,
  LIGHTNING_CLI_DEFAULTS,
  LIGHTNING_FLAGS,
  NWC_URI_ENV,
  type LightningCliOptions,
} from './config'
import { DevLightningBackend } from './dev-backend'
import { NwcLightningBackend } from './nwc-backend'

const secret = generateSecretKey()
const walletPubkey = getPublicKey(generateSecretKey())
const URI = formatWalletConnectUri({ walletPubkey, relays: ['ws://127.0.0.1:1'], secret })
const SECRET_HEX = /secret=([0-9a-f]{64})/.exec(URI)![1]!

function parse(argv: string[]): LightningCliOptions {
  const r = parseCli(argv, LIGHTNING_FLAGS, LIGHTNING_CLI_DEFAULTS)
  if (r.help) throw new Error('unexpected help')
  return r.options
}

/** The usage error's message, which must never carry the secret. */
async function usageError(p: Promise<unknown>): Promise<string> {
  const { message } = await rejectionOf(p, CliUsageError)
  expect(message).not.toContain(SECRET_HEX)
  return message
}

describe('LIGHTNING_FLAGS', () => {
  it('defaults to the dev backend', () => {
    expect(parse([])).toEqual({ lightning: 'dev', nwcTimeoutMs: 30_000 })
  })

  it('parses nwc options', () => {
    expect(
      parse(['--lightning', 'nwc', '--nwc-uri-file', '/etc/tseed/nwc', '--nwc-timeout', '5000']),
    ).toEqual({
      lightning: 'nwc',
      nwcUriFile: '/etc/tseed/nwc',
      nwcTimeoutMs: 5_000,
    })
  })

  it('refuses bad values', () => {
    expect(() => parse(['--lightning', 'lnd'])).toThrow(/dev or nwc/)
    expect(() => parse(['--nwc-timeout', '10'])).toThrow(/1000 to 600000/)
    expect(() => parse(['--nwc-uri-file', ''])).toThrow(/file path/)
  })
})

describe('createLightningBackend', () => {
  it('builds the dev backend and labels it TEST MODE', async () => {
    const b = await createLightningBackend(parse([]), { env: {} })
    expect(b).toBeInstanceOf(DevLightningBackend)
    expect(describeLightning(b)).toMatch(/TEST MODE/)
  })

  it('reads the URI from the environment, a file, or the flag, and never prints the secret', async () => {
    const fromEnv = await createLightningBackend(parse(['--lightning', 'nwc']), {
      env: { [NWC_URI_ENV]: URI },
    })
    expect(fromEnv).toBeInstanceOf(NwcLightningBackend)
    expect(describeLightning(fromEnv)).toBe(`nwc (wallet ${walletPubkey})`)
    await fromEnv.close()

    const fromFile = await createLightningBackend(
      parse(['--lightning', 'nwc', '--nwc-uri-file', 'f']),
      {
        env: {},
        readFile: (p) =>
          p === 'f' ? Promise.resolve(URI + '\n') : Promise.reject(new Error('no')),
      },
    )
    expect(fromFile).toBeInstanceOf(NwcLightningBackend)
    await fromFile.close()

    const fromFlag = await createLightningBackend(parse(['--lightning', 'nwc', '--nwc-uri', URI]), {
      env: {},
    })
    expect(describeLightning(fromFlag)).not.toContain(SECRET_HEX)
    await fromFlag.close()
  })

  it('refuses contradictory or missing configuration with a clear message', async () => {
    expect(
      await usageError(createLightningBackend(parse(['--nwc-uri', URI]), { env: {} })),
    ).toMatch(/only applies with --lightning nwc/)
    expect(
      await usageError(createLightningBackend(parse(['--lightning', 'nwc']), { env: {} })),
    ).toMatch(/needs a connection URI/)
    expect(
      await usageError(
        createLightningBackend(
          parse(['--lightning', 'nwc', '--nwc-uri', URI, '--nwc-uri-file', 'f']),
          { env: {} },
        ),
      ),
    ).toMatch(/only one/)
    const broken = URI.replace(/relay=[^&]*&/, '')
    expect(
      await usageError(
        createLightningBackend(parse(['--lightning', 'nwc', '--nwc-uri', broken]), { env: {} }),
      ),
    ).toMatch(/--nwc-uri: wallet connect URI has no relay/)
    const missing = Object.assign(new Error('ENOENT: no such file, open /secret/path'), {
      code: 'ENOENT',
    })
    expect(
      await usageError(
        createLightningBackend(parse(['--lightning', 'nwc', '--nwc-uri-file', 'x']), {
          env: {},
          readFile: () => Promise.reject(missing),
        }),
      ),
    ).toBe('cannot read --nwc-uri-file: ENOENT')
  })
})
