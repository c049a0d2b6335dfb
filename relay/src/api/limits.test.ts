import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Ledger } from '../ledger/ledger'
import { TrackerCredentials } from '../tracker/credentials'
import { DevLightningBackend } from '../lightning/dev-backend'
import type { ApiRequest, ApiServices } from './context'
import { DEFAULT_DEPOSIT_OPTIONS, Deposits } from './deposits'
import { ApiError, toApiError } from './errors'
import type { JsonObject } from './json'
import { getLimits, postLimits } from './limits'
import { migrateApi } from './schema'
import { DEFAULT_WITHDRAW_OPTIONS, Withdrawals } from './withdrawals'

const PK = 'a'.repeat(64)
const T0 = 1_700_000_000
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

function services(): { s: ApiServices; ledger: Ledger } {
  const db = new Database(':memory:')
  const now = () => T0
  const ledger = new Ledger(db, { clock: now })
  migrateApi(db)
  const lightning = new DevLightningBackend()
  const deposits = new Deposits(db, ledger, lightning, now, DEFAULT_DEPOSIT_OPTIONS, quiet)
  const withdrawals = new Withdrawals(
    db,
    ledger,
    lightning,
    deposits,
    now,
    { ...DEFAULT_WITHDRAW_OPTIONS, network: 'regtest' },
    quiet,
  )
  return {
    s: {
      ledger,
      deposits,
      withdrawals,
      now,
      testMode: true,
      lightning: 'dev',
      trackerCredentials: new TrackerCredentials(db),
    },
    ledger,
  }
}

function request(body: JsonObject = {}): ApiRequest {
  return {
    url: new URL('http://relay.example/api/v1/limits'),
    params: [],
    pubkey: PK,
    authId: 'f'.repeat(64),
    body,
    origin: 'http://relay.example',
  }
}

/** The 400 a handler threw, as the router would answer it. */
function refusal(fn: () => unknown): { status: number; code: string; message: string } {
  try {
    fn()
  } catch (err) {
    const e = toApiError(err)
    if (e instanceof ApiError) return { status: e.status, code: e.code, message: e.message }
    throw err
  }
  throw new Error('expected a refusal')
}

describe('limits handlers', () => {
  it('answer no limits and nothing charged for a new key', async () => {
    const { s } = services()
    expect(await getLimits(s, request())).toEqual({
      body: {
        pubkey: PK,
        per_hour: null,
        per_day: null,
        charged_last_hour: '0',
        charged_last_day: '0',
      },
    })
  })

  it('set, report and clear limits; "0" is a limit', async () => {
    const { s, ledger } = services()
    const set = await postLimits(s, request({ per_hour: '200', per_day: '0' }))
    expect(set.body).toMatchObject({ per_hour: '200', per_day: '0' })
    expect(ledger.spendingLimits(PK, T0)).toMatchObject({ perHour: 200n, perDay: 0n })
    expect((await getLimits(s, request())).body).toEqual(set.body)
    const cleared = await postLimits(s, request({ per_hour: null, per_day: null }))
    expect(cleared.body).toMatchObject({ per_hour: null, per_day: null })
  })

  it('refuse a malformed body with a 400 naming the field, and change nothing', () => {
    const { s, ledger } = services()
    const post = (body: JsonObject) => () => postLimits(s, request(body))
    expect(refusal(post({ per_hour: '1' }))).toEqual({
      status: 400,
      code: 'missing_field',
      message: 'per_day is required: a decimal string such as "1000", or null for no limit',
    })
    expect(refusal(post({ per_hour: 100, per_day: null }))).toMatchObject({
      status: 400,
      code: 'invalid_amount',
      message: 'per_hour must be a decimal string such as "1000", not a JSON number',
    })
    expect(refusal(post({ per_hour: null, per_day: '-5' }))).toMatchObject({
      status: 400,
      code: 'invalid_amount',
      message: expect.stringMatching(/^per_day must be a digit string/) as unknown,
    })
    expect(refusal(post({ per_hour: '1.5', per_day: null })).message).toMatch(/^per_hour /)
    expect(refusal(post({ per_hour: true, per_day: null })).message).toBe(
      'per_hour must be a decimal string, got boolean true',
    )
    expect(refusal(post({ per_hour: null, per_day: '4611686018427387905' }))).toEqual({
      status: 400,
      code: 'amount_out_of_range',
      message: 'per_day must be at most 2^62',
    })
    expect(refusal(post({ per_hour: null, per_day: null, perDay: '1' }))).toMatchObject({
      status: 400,
      code: 'unknown_field',
    })
    expect(ledger.spendingLimits(PK, T0)).toMatchObject({ perHour: null, perDay: null })
  })
})
