import { describe, expect, it } from 'vitest'
import {
  formatAge,
  formatBytes,
  formatSats,
  relayLabel,
  relayResultText,
  relayStateText,
  shortHash,
} from './format'

describe('formatBytes', () => {
  it.each([
    ['0', '0 B'],
    ['999', '999 B'],
    ['1000', '1.0 kB'],
    ['1500000', '1.5 MB'],
    ['123456789', '123.4 MB'],
    ['9007199254740993', '9.0 PB'],
    ['18446744073709551615', '18.4 EB'],
    ['not a number', '?'],
  ])('%s → %s', (input, out) => {
    expect(formatBytes(input)).toBe(out)
  })

  it('takes BigInts too', () => {
    expect(formatBytes(2_000_000_000n)).toBe('2.0 GB')
  })
})

describe('shortHash and relayLabel', () => {
  it('shortens a 40-hex hash and labels relays by host', () => {
    expect(shortHash('0123456789abcdef0123456789abcdef01234567')).toBe('01234567…4567')
    expect(relayLabel('ws://127.0.0.1:7447')).toBe('127.0.0.1:7447')
    expect(relayLabel('wss://r.example/tseed')).toBe('r.example/tseed')
  })
})

describe('formatAge', () => {
  it('is coarse', () => {
    expect(formatAge(0, 4_000)).toBe('4 s ago')
    expect(formatAge(0, 180_000)).toBe('3 min ago')
    expect(formatAge(0, 7_200_000)).toBe('2 h ago')
    expect(formatAge(0, 3 * 86_400_000)).toBe('3 d ago')
    expect(formatAge(10, 0)).toBe('0 s ago')
  })
})

describe('relayResultText', () => {
  it('starts with OK for accepted events', () => {
    expect(relayResultText({ state: 'ok', message: '', eventId: 'e', at: 0 }, 0, true)).toBe('OK')
    expect(
      relayResultText({ state: 'ok', message: 'duplicate: seen', eventId: 'e', at: 0 }, 0, true),
    ).toBe('OK (duplicate: seen)')
  })

  it("shows a refusal in the relay's words", () => {
    const msg = 'blocked: insufficient balance: need 5 TSEED, have 0'
    expect(relayResultText({ state: 'refused', message: msg, at: 0 }, 0, true)).toBe(msg)
  })

  it('explains waiting states', () => {
    expect(relayResultText({ state: 'pending' }, 0, false)).toBe('waiting for key')
    expect(relayResultText({ state: 'pending' }, 0, true)).toBe('sending…')
    const retry = {
      state: 'retry',
      error: 'connection failed',
      attempts: 2,
      nextAttemptAt: 4_500,
    } as const
    expect(relayResultText(retry, 0, true)).toBe('retry in 5 s: connection failed')
    expect(relayResultText(retry, 5_000, true)).toBe('retrying: connection failed')
    expect(relayResultText({ state: 'superseded', at: 0 }, 0, true)).toBe(
      'superseded by a newer announce',
    )
  })
})

describe('relayStateText', () => {
  it('adds the error to an error state', () => {
    expect(relayStateText('connected')).toBe('connected')
    expect(relayStateText('error', 'connection failed')).toBe('error: connection failed')
  })
})

describe('formatSats', () => {
  it('says sat for one and sats otherwise', () => {
    expect(formatSats(1n)).toBe('1 sat')
    expect(formatSats('0')).toBe('0 sats')
    expect(formatSats('21')).toBe('21 sats')
  })
})
