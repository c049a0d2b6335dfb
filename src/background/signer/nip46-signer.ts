import type { AbstractSimplePool } from 'nostr-tools/abstract-pool'
import type { NostrEvent } from 'nostr-tools/core'
import {
  BunkerSigner,
  createNostrConnectURI,
  parseBunkerInput as parseBunkerUri,
  type BunkerPointer,
} from 'nostr-tools/nip46'
import { generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { bytesToHex } from '../../nostr/tracker-announce'
import { createStorageItem, type StorageAreaLike, type StorageItem } from '../storage-item'
import { createBunkerPool, type BunkerPool } from './bunker-pool'
import { hexToBytes } from './local-key'
import type { Signer } from './signer'
import { createVerifyingSigner, SignatureCheckError } from './verifying-signer'

/**
 * Signing with a NIP-46 remote signer ("bunker") through nostr-tools'
 * `BunkerSigner`. The bunker is an outside party: its answers are bounded in
 * time and size, and every event is verified against the user's pubkey.
 */

/** Any failure of the remote signer; the message is fit for the popup. */
export class Nip46Error extends Error {
  override name = 'Nip46Error'
}

/** The text the user pasted is not a usable bunker address. */
export class BunkerInputError extends Nip46Error {
  override name = 'BunkerInputError'
}

/** No relay of the bunker took the request. */
export class BunkerUnreachableError extends Nip46Error {
  override name = 'BunkerUnreachableError'
}

/** The bunker answered with an error (wrong secret, declined by the user…). */
export class BunkerRefusedError extends Nip46Error {
  override name = 'BunkerRefusedError'
}

export class BunkerTimeoutError extends Nip46Error {
  override name = 'BunkerTimeoutError'
}

const HEX64 = /^[0-9a-f]{64}$/
const MAX_RELAYS = 5
const MAX_ANSWER_CHARS = 64 * 1024
const STORAGE_KEY = 'nip46Bunker'

/**
 * Reads a `bunker://<remote-signer-pubkey>?relay=wss://…&secret=…` address.
 * NIP-05 names (`name@domain`) are not accepted: nostr-tools would look them
 * up over the network, so only `bunker://` text is handed to it.
 *
 * @throws BunkerInputError
 */
export async function parseBunkerInput(text: string): Promise<BunkerPointer> {
  // Only the pubkey is case-insensitive; a secret must stay as typed.
  const input = text
    .trim()
    .replace(/^bunker:\/\/([0-9a-f]{64})/i, (_, hex: string) => `bunker://${hex.toLowerCase()}`)
  if (!input.startsWith('bunker://')) {
    throw new BunkerInputError(
      'A bunker address starts with bunker://; copy it from your signer app',
    )
  }
  const pointer = await parseBunkerUri(input)
  if (pointer === null || !HEX64.test(pointer.pubkey)) {
    throw new BunkerInputError(
      'This bunker address is damaged: bunker:// must be followed by 64 hex characters and ?relay=…',
    )
  }
  return { pubkey: pointer.pubkey, relays: checkRelays(pointer.relays), secret: pointer.secret }
}

/** @throws BunkerInputError */
function checkRelays(relays: string[]): string[] {
  const unique = [...new Set(relays.map((r) => r.trim()))]
  if (unique.length === 0) throw new BunkerInputError('This bunker address names no relay')
  if (unique.length > MAX_RELAYS) {
    throw new BunkerInputError(
      `This bunker address names ${unique.length} relays; TSEED accepts at most ${MAX_RELAYS}`,
    )
  }
  for (const relay of unique) {
    let protocol: string
    try {
      protocol = new URL(relay).protocol
    } catch {
      throw new BunkerInputError(`The bunker relay "${relay.slice(0, 100)}" is not a URL`)
    }
    if (protocol !== 'wss:' && protocol !== 'ws:') {
      throw new BunkerInputError(
        `The bunker relay "${relay.slice(0, 100)}" must start with wss:// or ws://`,
      )
    }
  }
  return unique
}

/**
 * What reconnecting after a worker restart needs. `clientSecretKey` is the
 * session credential this client was approved with by the bunker, not the
 * user's key: it can sign nothing for the user by itself, and the bunker can
 * revoke it. The one-time `secret` of the address is spent by `connect` and
 * not kept.
 */
interface StoredBunker {
  bunkerPubkey: string
  relays: string[]
  clientSecretKey: string
  /** As reported by the bunker at connect time; every signature is checked against it. */
  userPubkey: string
}

function storedBunker(area: StorageAreaLike): StorageItem<StoredBunker | null> {
  return createStorageItem<StoredBunker | null>(area, STORAGE_KEY, {
    defaultValue: null,
    parse(raw) {
      if (typeof raw !== 'object' || raw === null) return undefined
      const r = raw as Record<string, unknown>
      const relays = r.relays
      if (
        typeof r.bunkerPubkey !== 'string' ||
        !HEX64.test(r.bunkerPubkey) ||
        typeof r.clientSecretKey !== 'string' ||
        !HEX64.test(r.clientSecretKey) ||
        typeof r.userPubkey !== 'string' ||
        !HEX64.test(r.userPubkey) ||
        !Array.isArray(relays) ||
        !relays.every((x): x is string => typeof x === 'string')
      ) {
        return undefined
      }
      try {
        checkRelays(relays)
      } catch {
        return undefined
      }
      return {
        bunkerPubkey: r.bunkerPubkey,
        relays,
        clientSecretKey: r.clientSecretKey,
        userPubkey: r.userPubkey,
      }
    },
  })
}

export interface BunkerDeps {
  /**
   * Where the session is kept: `storage.session` survives worker restarts,
   * `storage.local` browser restarts too.
   */
  storage: StorageAreaLike
  /** `ws` in Node; browsers use their global WebSocket. */
  WebSocket?: typeof WebSocket
  /** Per request to the bunker, default 30 s. */
  timeoutMs?: number
  /** The bunker wants the user to approve on a web page (NIP-46 `auth_url`). */
  onAuthUrl?: (url: string) => void
}

/** A verifying signer for the user's pubkey, backed by a bunker. */
export interface BunkerSession extends Signer {
  /** The user's pubkey (not the bunker's). */
  readonly pubkey: string
  readonly bunkerPubkey: string
  readonly relays: readonly string[]
  /** Releases the relay connections; the stored session stays for {@link restoreBunker}. */
  close(): void
}

/**
 * Connects with a new client key, spending the address's one-time secret,
 * asks for the user's pubkey, and stores the session.
 *
 * @throws BunkerInputError, BunkerUnreachableError, BunkerRefusedError, BunkerTimeoutError
 */
export async function connectBunker(uri: string, deps: BunkerDeps): Promise<BunkerSession> {
  const pointer = await parseBunkerInput(uri)
  return createBunkerConnection({ ...deps, pointer, clientSecretKey: generateSecretKey() })
}

/** {@link connectBunker} for an already parsed address and a given client key. */
export async function createBunkerConnection(
  opts: BunkerDeps & { pointer: BunkerPointer; clientSecretKey: Uint8Array },
): Promise<BunkerSession> {
  const link = openLink(opts, (pool) =>
    BunkerSigner.fromBunker(opts.clientSecretKey, { ...opts.pointer }, linkParams(pool, opts)),
  )
  try {
    await link.call(() => link.bunker.connect())
    return await startSession(link, opts)
  } catch (err) {
    link.close()
    throw err
  }
}

/**
 * The stored session, after a worker restart: same client key, no second
 * `connect`, no request until the first signature. Null when none is stored.
 */
export async function restoreBunker(deps: BunkerDeps): Promise<BunkerSession | null> {
  const stored = await storedBunker(deps.storage).get()
  if (stored === null) return null
  const sk = hexToBytes(stored.clientSecretKey)
  const pointer = { pubkey: stored.bunkerPubkey, relays: stored.relays, secret: null }
  const link = openLink(deps, (pool) =>
    BunkerSigner.fromBunker(sk, pointer, linkParams(pool, deps)),
  )
  return sessionFor(link, stored.userPubkey)
}

/** Drops the stored session; close any open one separately. */
export function forgetBunker(storage: StorageAreaLike): Promise<void> {
  return storedBunker(storage).remove()
}

export interface NostrConnectStart {
  /** `nostrconnect://…` for the user to paste into (or scan with) their signer app. */
  uri: string
  /** Settles once the signer has connected and reported the user's pubkey. */
  done: Promise<BunkerSession>
  cancel(): void
}

/**
 * The client-initiated flow: the signer app opens `uri`, answers with the
 * secret in it, and the session is stored as with {@link connectBunker}.
 *
 * @throws BunkerInputError for bad relays (synchronously).
 */
export function startNostrConnect(
  opts: BunkerDeps & {
    relays: string[]
    /** Shown by the signer app. */
    name: string
    /** NIP-46 permissions to ask for, such as `sign_event:21000`. */
    perms?: string[]
    /** How long to wait for the signer app, default 5 min. */
    waitMs?: number
  },
): NostrConnectStart {
  const relays = checkRelays(opts.relays)
  const clientSecretKey = generateSecretKey()
  const uri = createNostrConnectURI({
    clientPubkey: getPublicKey(clientSecretKey),
    relays,
    secret: bytesToHex(crypto.getRandomValues(new Uint8Array(16))),
    name: opts.name,
    ...(opts.perms !== undefined ? { perms: opts.perms } : {}),
  })
  const abort = new AbortController()
  const waitMs = opts.waitMs ?? 5 * 60_000
  const timer = setTimeout(() => {
    abort.abort('timeout')
  }, waitMs)
  const pool = createPool(opts)
  const done = (async () => {
    let bunker: BunkerSigner
    try {
      // The relays stay the ones in the URI: switch_relays would let the
      // signer app pick up to any number of relays of its own.
      bunker = await BunkerSigner.fromURI(
        clientSecretKey,
        uri,
        { ...linkParams(pool, opts), skipSwitchRelays: true },
        abort.signal,
      )
    } catch (err) {
      pool.destroy()
      if (abort.signal.reason === 'timeout') {
        throw new BunkerTimeoutError(
          `No signer app connected within ${Math.ceil(waitMs / 60_000)} min; start again`,
        )
      }
      if (abort.signal.aborted) throw new Nip46Error('Connecting a signer app was cancelled')
      throw new BunkerUnreachableError(
        `The relays for connecting a signer app cannot be reached: ${describe(err)}`,
      )
    } finally {
      clearTimeout(timer)
    }
    const link = linkOver(pool, bunker, opts)
    try {
      return await startSession(link, { ...opts, clientSecretKey })
    } catch (err) {
      link.close()
      throw err
    }
  })()
  return {
    uri,
    done,
    cancel: () => {
      abort.abort('cancelled')
    },
  }
}

/** A `BunkerSigner` with the pool it owns and a time limit on each request. */
interface Link {
  bunker: BunkerSigner
  call<T>(request: () => Promise<T>): Promise<T>
  close(): void
}

function createPool(deps: BunkerDeps): BunkerPool {
  const timeoutMs = deps.timeoutMs ?? 30_000
  return createBunkerPool({
    verifyEvent,
    ...(deps.WebSocket !== undefined ? { WebSocket: deps.WebSocket } : {}),
    // Leaves part of the request's time for the bunker itself to answer.
    maxWaitForConnection: Math.min(10_000, Math.ceil(timeoutMs / 2)),
  })
}

function linkParams(bunkerPool: BunkerPool, deps: BunkerDeps) {
  // BunkerSigner's parameters name nostr-tools' pool class, which no other
  // object can match (it has private members); BunkerSigner calls only the
  // `subscribe` and `publish` that BunkerPool implements.
  const pool = bunkerPool as unknown as AbstractSimplePool
  return deps.onAuthUrl !== undefined ? { pool, onauth: deps.onAuthUrl } : { pool }
}

function openLink(deps: BunkerDeps, make: (pool: BunkerPool) => BunkerSigner): Link {
  const pool = createPool(deps)
  return linkOver(pool, make(pool), deps)
}

function linkOver(pool: BunkerPool, bunker: BunkerSigner, deps: BunkerDeps): Link {
  const timeoutMs = deps.timeoutMs ?? 30_000
  let closed = false
  return {
    bunker,
    // BunkerSigner has no time limit and keeps the listener of an unanswered
    // request; a late answer then resolves nothing.
    async call(request) {
      if (closed) throw new Nip46Error('This bunker connection is closed')
      let timer: ReturnType<typeof setTimeout> | undefined
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new BunkerTimeoutError(
              `Your bunker did not answer within ${Math.ceil(timeoutMs / 1000)} s. Check that it is online and waiting for approval.`,
            ),
          )
        }, timeoutMs)
      })
      try {
        return await Promise.race([request(), expired])
      } catch (err) {
        throw classify(err)
      } finally {
        clearTimeout(timer)
      }
    },
    close() {
      if (closed) return
      closed = true
      void bunker.close()
      pool.destroy()
    },
  }
}

/** BunkerSigner rejects with the bunker's error string, or with publish failures. */
function classify(err: unknown): Error {
  if (err instanceof Nip46Error) return err
  if (typeof err === 'string') {
    return new BunkerRefusedError(`Your bunker refused: ${err.slice(0, 200)}`)
  }
  return new BunkerUnreachableError(
    `None of your bunker's relays took the request: ${describe(err)}`,
  )
}

function describe(err: unknown): string {
  const reasons = err instanceof AggregateError ? err.errors : [err]
  return reasons
    .map((e) => (e instanceof Error ? e.message : String(e)))
    .join('; ')
    .slice(0, 300)
}

/** Asks for the user's pubkey and stores the session under it. */
async function startSession(
  link: Link,
  opts: BunkerDeps & { clientSecretKey: Uint8Array },
): Promise<BunkerSession> {
  const pubkey: unknown = await link.call(() => link.bunker.getPublicKey())
  if (typeof pubkey !== 'string' || !HEX64.test(pubkey)) {
    throw new BunkerRefusedError('Your bunker answered with something that is not a public key')
  }
  await storedBunker(opts.storage).set({
    bunkerPubkey: link.bunker.bp.pubkey,
    relays: [...link.bunker.bp.relays],
    clientSecretKey: bytesToHex(opts.clientSecretKey),
    userPubkey: pubkey,
  })
  return sessionFor(link, pubkey)
}

function sessionFor(link: Link, pubkey: string): BunkerSession {
  const raw: Signer = {
    getPublicKey: () => Promise.resolve(pubkey),
    // `sign_event` is sent directly rather than through BunkerSigner.signEvent,
    // so a bad signature reaches the verifying wrapper as a SignatureCheckError.
    async signEvent(template) {
      const answer: unknown = await link.call(() =>
        link.bunker.sendRequest('sign_event', [JSON.stringify(template)]),
      )
      if (typeof answer !== 'string' || answer.length > MAX_ANSWER_CHARS) {
        throw new SignatureCheckError('bunker returned no event')
      }
      try {
        return JSON.parse(answer) as NostrEvent
      } catch {
        throw new SignatureCheckError('bunker returned something that is not JSON')
      }
    },
  }
  return {
    ...createVerifyingSigner(raw, pubkey),
    pubkey,
    bunkerPubkey: link.bunker.bp.pubkey,
    relays: [...link.bunker.bp.relays],
    close: () => {
      link.close()
    },
  }
}
