import { npubEncode } from 'nostr-tools/nip19'
import { createStorageItem, type StorageAreaLike } from '../storage-item'
import type { Identity } from './encrypted-key-identity'
import type { IdentityState } from './identity-state'
import {
  connectBunker,
  forgetBunker,
  restoreBunker,
  startNostrConnect,
  type BunkerDeps,
  type BunkerSession,
  type NostrConnectStart,
} from './nip46-signer'
import {
  createNip07Signer,
  detectNip07Signer,
  verifiedNip07Signer,
  type Nip07Deps,
  type Nip07Presence,
} from './nip07-signer'
import type { Signer } from './signer'

/** Who signs: the key stored here, the user's signer extension, or their bunker. */
export type SignerKind = 'local' | 'nip07' | 'nip46'

export interface SigningIdentity extends Omit<Identity, 'state'> {
  state(): IdentityState
  kind(): SignerKind
  /** Asks the NIP-07 signer in an open tab for its pubkey and signs through it from now on. */
  useNip07(): Promise<string>
  /** Whether a NIP-07 signer shows in an open tab, without asking it anything. */
  detectNip07(): Promise<Nip07Presence>
  /** Connects to a NIP-46 bunker (`bunker://…`) and signs through it from now on. */
  useBunker(uri: string): Promise<string>
  /**
   * Starts the client-initiated NIP-46 flow: a `nostrconnect://` address for
   * the user's signer app, which then becomes the signer. One at a time; a
   * new start cancels the one before.
   */
  startNostrConnect(relays: string[]): string
  /** The flow in progress or its failure, for the popup; null when there is none. */
  nostrConnect(): NostrConnectView | null
  cancelNostrConnect(): void
  /** Back to the key stored here (if there is one). */
  useLocal(): Promise<void>
}

export interface SigningIdentityDeps {
  local: Identity
  /** `storage.local`: which signer, and the bunker session, survive a browser restart. */
  area: StorageAreaLike
  nip07: Omit<Nip07Deps, 'expectedPubkey'>
  bunker: Omit<BunkerDeps, 'storage'>
}

export type NostrConnectView =
  { state: 'waiting'; uri: string; relays: string[] } | { state: 'failed'; error: string }

/** Permissions asked of a signer app: announces and the NIP-98 headers of the relay API. */
const NOSTR_CONNECT_PERMS = ['sign_event:21000', 'sign_event:27235']

interface StoredKind {
  kind: SignerKind
  /** The outside signer's pubkey, fixed at connection: an answer for another is refused. */
  pubkey?: string
}

/**
 * The identity the pipeline signs with, whichever signer holds the key.
 * Every outside signature goes through the verifying wrapper with the pubkey
 * the user connected, so a page that fakes `window.nostr`, or a bunker that
 * answers for someone else, gets nothing published.
 */
export function createSigningIdentity(deps: SigningIdentityDeps): SigningIdentity {
  const stored = createStorageItem<StoredKind>(deps.area, 'signerKind', {
    defaultValue: { kind: 'local' },
    parse: (raw) => {
      if (typeof raw !== 'object' || raw === null) return undefined
      const r = raw as Record<string, unknown>
      if (r.kind === 'local') return { kind: 'local' }
      if (
        (r.kind === 'nip07' || r.kind === 'nip46') &&
        typeof r.pubkey === 'string' &&
        /^[0-9a-f]{64}$/.test(r.pubkey)
      ) {
        return { kind: r.kind, pubkey: r.pubkey }
      }
      return undefined
    },
  })
  const bunkerDeps: BunkerDeps = { ...deps.bunker, storage: deps.area }
  let current: StoredKind = { kind: 'local' }
  let external: Signer | null = null
  let bunker: BunkerSession | null = null
  let connecting: { start: NostrConnectStart; relays: string[] } | null = null
  let connectFailure: string | null = null

  const closeBunker = (): void => {
    bunker?.close()
    bunker = null
  }

  const switchTo = async (next: StoredKind, signer: Signer | null): Promise<void> => {
    if (next.kind !== 'nip46') {
      closeBunker()
      await forgetBunker(deps.area)
    }
    await stored.set(next)
    current = next
    external = signer
  }

  /** Local key operations make the local key the signer again. */
  const local =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const r = await fn(...a)
      if (current.kind !== 'local') await switchTo({ kind: 'local' }, null)
      return r
    }

  return {
    async load() {
      await deps.local.load()
      current = await stored.get()
      if (current.kind === 'nip07' && current.pubkey !== undefined) {
        external = verifiedNip07Signer(deps.nip07, current.pubkey)
      } else if (current.kind === 'nip46') {
        bunker = await restoreBunker(bunkerDeps)
        // A session that cannot be restored leaves the user on their local key, if any.
        if (bunker === null) await switchTo({ kind: 'local' }, null)
        else external = bunker
      }
    },
    kind: () => current.kind,
    state: () => (current.kind === 'local' ? deps.local.state() : 'external'),
    signer: () => (current.kind === 'local' ? deps.local.signer() : external),
    pubkey: () => (current.kind === 'local' ? deps.local.pubkey() : (current.pubkey ?? null)),
    npub() {
      const pk = current.kind === 'local' ? deps.local.pubkey() : current.pubkey
      return pk === undefined || pk === null ? null : npubEncode(pk)
    },
    generate: local((password: string) => deps.local.generate(password)),
    importKey: local((text: string, password: string) => deps.local.importKey(text, password)),
    unlock: local((password: string) => deps.local.unlock(password)),
    protect: (password) => deps.local.protect(password),
    lock: () => deps.local.lock(),
    exportKey: (password) => deps.local.exportKey(password),

    async useNip07() {
      const pubkey = await createNip07Signer(deps.nip07).connect()
      await switchTo({ kind: 'nip07', pubkey }, verifiedNip07Signer(deps.nip07, pubkey))
      return pubkey
    },

    detectNip07: () => detectNip07Signer(deps.nip07),

    async useBunker(uri) {
      const session = await connectBunker(uri, bunkerDeps)
      closeBunker()
      bunker = session
      await switchTo({ kind: 'nip46', pubkey: session.pubkey }, session)
      return session.pubkey
    },

    startNostrConnect(relays) {
      connecting?.start.cancel()
      connectFailure = null
      const start = startNostrConnect({
        ...bunkerDeps,
        relays,
        name: 'TSEED',
        perms: NOSTR_CONNECT_PERMS,
      })
      const flow = { start, relays }
      connecting = flow
      start.done.then(
        async (session) => {
          if (connecting !== flow) {
            session.close()
            return
          }
          connecting = null
          closeBunker()
          bunker = session
          await switchTo({ kind: 'nip46', pubkey: session.pubkey }, session)
        },
        (e: unknown) => {
          if (connecting !== flow) return
          connecting = null
          connectFailure = e instanceof Error ? e.message : String(e)
        },
      )
      return start.uri
    },

    nostrConnect() {
      if (connecting !== null) {
        return { state: 'waiting', uri: connecting.start.uri, relays: connecting.relays }
      }
      return connectFailure === null ? null : { state: 'failed', error: connectFailure }
    },

    cancelNostrConnect() {
      connecting?.start.cancel()
      connecting = null
      connectFailure = null
    },

    useLocal: () => switchTo({ kind: 'local' }, null),
  }
}
