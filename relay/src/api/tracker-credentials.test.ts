import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Ledger } from '../ledger/ledger'
import { DevLightningBackend } from '../lightning/dev-backend'
import { TrackerCredentials } from '../tracker/credentials'
import type { ApiRequest, ApiServices } from './context'
import { DEFAULT_DEPOSIT_OPTIONS, Deposits } from './deposits'
import { ApiError } from './errors'
import type { JsonObject } from './json'
import { migrateApi } from './schema'
import {
  deleteTrackerCredential,
  getTrackerCredentials,
  postTrackerCredential,
  trackerUrls,
} from './tracker-credentials'
import { DEFAULT_WITHDRAW_OPTIONS, Withdrawals } from './withdrawals'

const PK = 'a'.repeat(64)
const T0 = 1_700_000_000
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

function services(publicUrl?: string): ApiServices {
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
    ledger,
    deposits,
    withdrawals,
    now,
    testMode: true,
    lightning: 'dev',
    trackerCredentials: new TrackerCredentials(db, { maxPerPubkey: 2 }),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
  }
}

function req(body: JsonObject = {}, params: string[] = [], pubkey = PK): ApiRequest {
  return {
    url: new URL('http://relay.invalid/api/v1/tracker-credentials'),
    params,
    pubkey,
    authId: 'f'.repeat(64),
    body,
    origin: 'http://127.0.0.1:7447',
  }
}

const refusal = (fn: () => unknown): ApiError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error('no refusal')
}

describe('tracker credential endpoints', () => {
  it('issues a credential with its URLs on the origin the client used', () => {
    const s = services()
    const r = postTrackerCredential(s, req({ label: 'qBittorrent' }))
    expect(r).toMatchObject({
      status: 201,
      body: { pubkey: PK, label: 'qBittorrent', created_at: T0, last_used_at: null },
    })
    const body = (r as { body: Record<string, string> }).body
    expect(body.announce_url).toBe(`http://127.0.0.1:7447/t/${body.credential}/announce`)
    expect(body.scrape_url).toBe(`http://127.0.0.1:7447/t/${body.credential}/scrape`)
    expect(s.trackerCredentials.resolve(body.credential!, T0)?.pubkey).toBe(PK)
  })

  it('builds URLs on the operator’s public URL when there is one', () => {
    const r = postTrackerCredential(services('https://relay.example'), req())
    expect((r as { body: { announce_url: string } }).body.announce_url).toMatch(
      /^https:\/\/relay\.example\/t\/[A-Za-z0-9_-]{24}\/announce$/,
    )
    expect(trackerUrls('https://r.example/', 'X').announce).toBe('https://r.example/t/X/announce')
  })

  it('lists without secrets, and revokes only the caller’s own', () => {
    const s = services()
    const issued = (
      postTrackerCredential(s, req({ label: 'a' })) as { body: { id: string; credential: string } }
    ).body
    const list = getTrackerCredentials(s, req()) as { body: { credentials: unknown[] } }
    expect(list.body.credentials).toEqual([
      { id: issued.id, label: 'a', created_at: T0, last_used_at: null },
    ])
    expect(JSON.stringify(list)).not.toContain(issued.credential)
    expect(
      refusal(() => deleteTrackerCredential(s, req({}, [issued.id], 'b'.repeat(64)))),
    ).toMatchObject({
      status: 404,
      code: 'not_found',
    })
    expect(deleteTrackerCredential(s, req({}, [issued.id]))).toEqual({
      body: { pubkey: PK, id: issued.id, revoked_at: T0 },
    })
    expect(s.trackerCredentials.resolve(issued.credential, T0)).toBeUndefined()
    expect(refusal(() => deleteTrackerCredential(s, req({}, [issued.id]))).status).toBe(404)
  })

  it('refuses bad labels, unknown fields and a key over its limit', () => {
    const s = services()
    expect(refusal(() => postTrackerCredential(s, req({ label: 5 })))).toMatchObject({
      status: 400,
      code: 'invalid_field',
    })
    expect(refusal(() => postTrackerCredential(s, req({ label: 'x'.repeat(65) })))).toMatchObject({
      status: 400,
      code: 'invalid_label',
    })
    expect(refusal(() => postTrackerCredential(s, req({ lable: 'x' })))).toMatchObject({
      code: 'unknown_field',
    })
    expect(postTrackerCredential(s, req())).toMatchObject({ status: 201 })
    expect(postTrackerCredential(s, req())).toMatchObject({ status: 201 })
    expect(refusal(() => postTrackerCredential(s, req()))).toMatchObject({
      status: 409,
      code: 'too_many_credentials',
    })
  })
})
