import { describe, expect, it } from 'vitest'
import pkg from '../../../package.json' with { type: 'json' }
import { DEFAULT_LIMITS } from '../core/limits'
import { buildRelayInfo } from './nip11'

describe('buildRelayInfo', () => {
  it('publishes the enforced limits and the tseed object', () => {
    const doc = buildRelayInfo({ ...DEFAULT_LIMITS, maxSubscriptions: 7 }, 3600)
    expect(doc.supported_nips).toEqual([1, 11, 40])
    expect(doc.version).toBe(pkg.version)
    expect(doc.limitation).toMatchObject({
      max_message_length: 131072,
      max_subscriptions: 7,
      max_limit: 500,
      max_subid_length: 64,
      created_at_upper_limit: 900,
      auth_required: false,
      payment_required: false,
    })
    expect(doc.tseed).toEqual({
      kinds: [21000],
      announce_ttl: 3600,
      limits: {
        max_filters: 10,
        max_filter_values: 1000,
        ephemeral_max_age: 300,
        rate_limit: { burst: 120, per_second: 30 },
      },
    })
  })

  it('publishes the limits NIP-11 has no name for under tseed.limits, with what callers add', () => {
    const doc = buildRelayInfo({ ...DEFAULT_LIMITS, rateLimitBurst: 5, maxFilterValues: 9 }, 60, {
      limits: { max_connections_per_ip: 3, max_filter_values: 1 },
      // Neither replaces an enforced value.
      tseed: { limits: 'ignored: tseed.limits is built from the enforced values' },
    })
    expect(doc.tseed.limits).toEqual({
      max_filters: 10,
      max_filter_values: 9,
      ephemeral_max_age: 300,
      rate_limit: { burst: 5, per_second: 30 },
      max_connections_per_ip: 3,
    })
  })

  it('merges what later components add', () => {
    const doc = buildRelayInfo(DEFAULT_LIMITS, 7200, {
      name: 'Example',
      pubkey: 'f'.repeat(64),
      extraNips: [98, 11],
      limitation: { payment_required: true },
      tseed: { api: '/api', pool: 'urn:pool:TSEED:satoshi' },
      extra: { payments_url: 'https://relay.example/pay' },
    })
    expect(doc.name).toBe('Example')
    expect(doc.pubkey).toBe('f'.repeat(64))
    expect(doc.supported_nips).toEqual([1, 11, 40, 98])
    expect(doc.limitation.payment_required).toBe(true)
    expect(doc.limitation.max_limit).toBe(500)
    expect(doc.tseed).toEqual({
      kinds: [21000],
      announce_ttl: 7200,
      api: '/api',
      pool: 'urn:pool:TSEED:satoshi',
      limits: expect.objectContaining({ max_filters: 10 }) as unknown,
    })
    expect(doc.payments_url).toBe('https://relay.example/pay')
  })
})
