import {
  createSerialQueue,
  createStorageItem,
  type StorageAreaLike,
  type StorageItem,
} from './storage-item'

/** The local relay that `npm run relay` starts. */
export const DEFAULT_RELAYS: readonly string[] = ['ws://127.0.0.1:7447']
export const MAX_RELAYS = 10
const MAX_RELAY_URL_LENGTH = 256

/** A relay URL or list the user entered that cannot be used; the message is shown as is. */
export class RelaySettingsError extends Error {
  override name = 'RelaySettingsError'
}

/**
 * Checks a relay URL typed by the user and returns its canonical form: the
 * trailing slash of an empty path is dropped so `ws://h:1/` and `ws://h:1`
 * count as one relay.
 *
 * @throws RelaySettingsError with a message fit for the popup.
 */
export function normalizeRelayUrl(input: string): string {
  const text = input.trim()
  if (text === '') throw new RelaySettingsError('Enter a relay URL (ws:// or wss://)')
  if (text.length > MAX_RELAY_URL_LENGTH) {
    throw new RelaySettingsError(`A relay URL may be at most ${MAX_RELAY_URL_LENGTH} characters`)
  }
  let u: URL
  try {
    u = new URL(text)
  } catch {
    throw new RelaySettingsError(`Not a URL: ${text}`)
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new RelaySettingsError('A relay URL must start with ws:// or wss://')
  }
  // Announces reveal the user's key; credentials or a query could leak more to a third party.
  if (u.username !== '' || u.password !== '') {
    throw new RelaySettingsError('A relay URL must not contain a user name or password')
  }
  if (text.includes('?') || text.includes('#')) {
    throw new RelaySettingsError('A relay URL must not contain a query or fragment')
  }
  const path = u.pathname === '/' ? '' : u.pathname
  return `${u.protocol}//${u.host}${path}`
}

/**
 * Validates a whole relay list: every URL canonical, no duplicates, at most
 * {@link MAX_RELAYS}.
 *
 * @throws RelaySettingsError
 */
export function normalizeRelayList(inputs: readonly string[]): string[] {
  if (inputs.length > MAX_RELAYS) {
    throw new RelaySettingsError(`At most ${MAX_RELAYS} relays can be configured`)
  }
  const out: string[] = []
  for (const input of inputs) {
    const url = normalizeRelayUrl(input)
    if (out.includes(url)) throw new RelaySettingsError(`${url} is already in the list`)
    out.push(url)
  }
  return out
}

export interface Settings {
  relays: StorageItem<string[]>
  /** Adds one relay and returns the new list. @throws RelaySettingsError */
  addRelay(url: string): Promise<string[]>
  /** Removes one relay (compared in canonical form) and returns the new list. */
  removeRelay(url: string): Promise<string[]>
  /** Replaces the list. @throws RelaySettingsError */
  setRelays(urls: readonly string[]): Promise<string[]>
}

/** The user's settings, kept in `storage.local`. */
export function createSettings(area: StorageAreaLike): Settings {
  const relays = createStorageItem<string[]>(area, 'relays', {
    defaultValue: [...DEFAULT_RELAYS],
    parse: (raw) => {
      if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) return undefined
      try {
        return normalizeRelayList(raw)
      } catch {
        return undefined
      }
    },
  })
  // Two quick clicks in the popup must not lose one change.
  const serial = createSerialQueue()
  const setRelays = (urls: readonly string[]): Promise<string[]> =>
    serial(async () => {
      const list = normalizeRelayList(urls)
      await relays.set(list)
      return list
    })
  return {
    relays,
    setRelays,
    addRelay: (url) =>
      serial(async () => {
        const canonical = normalizeRelayUrl(url)
        const list = await relays.get()
        if (list.includes(canonical)) {
          throw new RelaySettingsError(`${canonical} is already in the list`)
        }
        const next = normalizeRelayList([...list, canonical])
        await relays.set(next)
        return next
      }),
    removeRelay: (url) =>
      serial(async () => {
        let canonical: string
        try {
          canonical = normalizeRelayUrl(url)
        } catch {
          canonical = url
        }
        const next = (await relays.get()).filter((r) => r !== canonical)
        await relays.set(next)
        return next
      }),
  }
}
