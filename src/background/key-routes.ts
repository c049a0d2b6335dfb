import type { DrainScheduler } from './drain-scheduler'
import { objectParam, RouteParamsError, stringParam } from './route-params'
import type { AutoLock } from './signer/auto-lock'
import type { SigningIdentity } from './signer/identity'
import type { Nip07Presence } from './signer/nip07-signer'
import type { Wallet } from './wallet/wallet'

export interface KeyInfo {
  pubkey: string
  npub: string
}

export interface KeyRouteDeps {
  ready: Promise<unknown>
  identity: SigningIdentity
  scheduler: DrainScheduler
  autoLock: AutoLock
  wallet: Wallet
  /** Gives a new key or relay the default relay spending limit, in the background. */
  applyDefaultRelayLimits: () => void
}

/** Creating, importing, unlocking, locking and exporting the key, and choosing an outside signer. */
export function createKeyRoutes(d: KeyRouteDeps) {
  /** A key that can sign again: queued announces go out, and a new key gets the relay's default limit. */
  const afterUnlock = (): KeyInfo => {
    d.autoLock.touch()
    void d.scheduler.request()
    d.applyDefaultRelayLimits()
    void d.wallet.refresh('key')
    return keyInfo()
  }

  const keyInfo = (): KeyInfo => {
    const pubkey = d.identity.pubkey()
    const npub = d.identity.npub()
    if (pubkey === null || npub === null) throw new Error('no key')
    return { pubkey, npub }
  }

  return {
    async generateKey(params: { password: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.generate(stringParam(params, 'password'))
      return afterUnlock()
    },

    async importKey(params: { key: string; password: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.importKey(stringParam(params, 'key'), stringParam(params, 'password'))
      return afterUnlock()
    },

    async unlockKey(params: { password: string }): Promise<KeyInfo> {
      await d.ready
      const password = stringParam(params, 'password')
      await d.identity.unlock(password)
      await d.wallet.unlocked(password)
      return afterUnlock()
    },

    /** Signs with the user's NIP-07 signer extension, found in an open http(s) tab. */
    async useNip07(): Promise<KeyInfo> {
      await d.ready
      await d.identity.useNip07()
      return afterUnlock()
    },

    /** For onboarding: is a NIP-07 signer extension present in an open tab? */
    async detectNip07(): Promise<{ presence: Nip07Presence }> {
      await d.ready
      return { presence: await d.identity.detectNip07() }
    },

    /**
     * Starts connecting the user's signer app through `relay`: the popup shows
     * the returned `nostrconnect://` address, and polls `getState` until the
     * app has connected (the signer then switches by itself) or failed.
     */
    async startNostrConnect(params: { relay: string }): Promise<{ uri: string }> {
      await d.ready
      return { uri: d.identity.startNostrConnect([stringParam(params, 'relay')]) }
    },

    cancelNostrConnect(): Promise<null> {
      d.identity.cancelNostrConnect()
      return Promise.resolve(null)
    },

    /** Signs with the user's NIP-46 bunker. */
    async useBunker(params: { uri: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.useBunker(stringParam(params, 'uri'))
      return afterUnlock()
    },

    /** Back from an outside signer to the key stored in the extension. */
    async useLocalKey(): Promise<{ keyState: string }> {
      await d.ready
      await d.identity.useLocal()
      void d.scheduler.request()
      return { keyState: d.identity.state() }
    },

    /** The one-step migration of a key from an older version, kept only for the session. */
    async protectKey(params: { password: string }): Promise<KeyInfo> {
      await d.ready
      await d.identity.protect(stringParam(params, 'password'))
      return keyInfo()
    },

    async lockKey(): Promise<{ locked: true }> {
      await d.ready
      await d.identity.lock()
      await d.wallet.locked()
      return { locked: true }
    },

    async exportKey(params: { password: string }): Promise<{ nsec: string; ncryptsec: string }> {
      await d.ready
      return d.identity.exportKey(stringParam(params, 'password'))
    },

    async setAutoLock(params: { minutes: number }): Promise<{ minutes: number }> {
      const minutes = objectParam(params).minutes
      if (
        !Number.isSafeInteger(minutes) ||
        (minutes as number) < 0 ||
        (minutes as number) > 10_080
      ) {
        throw new RouteParamsError('minutes must be a whole number from 0 to 10080')
      }
      await d.autoLock.minutes.set(minutes as number)
      d.autoLock.touch()
      return { minutes: minutes as number }
    },
  }
}
