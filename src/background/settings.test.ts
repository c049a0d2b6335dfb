import { describe, expect, it } from 'vitest'
import {
  createSettings,
  DEFAULT_RELAYS,
  MAX_RELAYS,
  normalizeRelayList,
  normalizeRelayUrl,
  RelaySettingsError,
} from './settings'
import { createMemoryStorageArea } from './storage-item'

describe('normalizeRelayUrl', () => {
  it('accepts ws and wss URLs and drops an empty trailing slash', () => {
    expect(normalizeRelayUrl('ws://127.0.0.1:7447')).toBe('ws://127.0.0.1:7447')
    expect(normalizeRelayUrl('  wss://relay.example/  ')).toBe('wss://relay.example')
    expect(normalizeRelayUrl('wss://relay.example/tseed')).toBe('wss://relay.example/tseed')
    expect(normalizeRelayUrl('ws://[::1]:7447/')).toBe('ws://[::1]:7447')
  })

  it.each([
    ['', 'Enter a relay URL'],
    ['relay.example', 'Not a URL'],
    ['https://relay.example', 'must start with ws:// or wss://'],
    ['wss://user:pw@relay.example', 'user name or password'],
    ['wss://relay.example/?passkey=1', 'query or fragment'],
    ['wss://relay.example/#x', 'query or fragment'],
    ['wss://' + 'a'.repeat(300), 'at most 256'],
  ])('rejects %j with a clear message', (input, message) => {
    expect(() => normalizeRelayUrl(input)).toThrow(RelaySettingsError)
    expect(() => normalizeRelayUrl(input)).toThrow(message)
  })
})

describe('normalizeRelayList', () => {
  it('rejects duplicates after normalisation and long lists', () => {
    expect(() => normalizeRelayList(['ws://a:1', 'ws://a:1/'])).toThrow('already in the list')
    const many = Array.from({ length: MAX_RELAYS + 1 }, (_, i) => `ws://h${i}`)
    expect(() => normalizeRelayList(many)).toThrow(`At most ${MAX_RELAYS}`)
    expect(normalizeRelayList(many.slice(0, MAX_RELAYS))).toHaveLength(MAX_RELAYS)
  })
})

describe('createSettings', () => {
  it('starts with the local relay and adds and removes relays', async () => {
    const s = createSettings(createMemoryStorageArea())
    expect(await s.relays.get()).toEqual([...DEFAULT_RELAYS])
    expect(await s.addRelay('wss://r.example/')).toEqual([...DEFAULT_RELAYS, 'wss://r.example'])
    await expect(s.addRelay('wss://r.example')).rejects.toThrow('already in the list')
    expect(await s.removeRelay('ws://127.0.0.1:7447/')).toEqual(['wss://r.example'])
    expect(await s.relays.get()).toEqual(['wss://r.example'])
  })

  it('keeps every change when several arrive at once', async () => {
    const s = createSettings(createMemoryStorageArea())
    await s.setRelays([])
    await Promise.all([s.addRelay('ws://a'), s.addRelay('ws://b'), s.addRelay('ws://c')])
    expect((await s.relays.get()).sort()).toEqual(['ws://a', 'ws://b', 'ws://c'])
  })

  it('allows an empty list, so announces wait until a relay is added', async () => {
    const s = createSettings(createMemoryStorageArea())
    expect(await s.setRelays([])).toEqual([])
    expect(await s.relays.get()).toEqual([])
  })

  it('ignores a stored list that is no longer valid', async () => {
    const area = createMemoryStorageArea()
    await area.set({ relays: ['http://not-a-relay'] })
    expect(await createSettings(area).relays.get()).toEqual([...DEFAULT_RELAYS])
  })
})
