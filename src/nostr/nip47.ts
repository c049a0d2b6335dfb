import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import type { NostrEvent } from 'nostr-tools/core'
import * as nip04 from 'nostr-tools/nip04'
import * as nip44 from 'nostr-tools/nip44'
import { finalizeEvent, getPublicKey, type VerifiedEvent } from 'nostr-tools/pure'
import { NWC_INFO, NWC_REQUEST, NWC_RESPONSE } from './kinds'

/**
 * NIP-47 (Nostr Wallet Connect) codec: the connection URI, the wallet's info
 * event, and encrypted request/response events for both sides. No sockets
 * here: transports live with their callers. Amounts in NIP-47 payloads are
 * msat JSON numbers; converting them is the caller's business.
 */

export type Nip47Encryption = 'nip44_v2' | 'nip04'

/** Error codes a wallet service may answer with (NIP-47). */
export const NIP47_ERROR_CODES = [
  'RATE_LIMITED',
  'NOT_IMPLEMENTED',
  'INSUFFICIENT_BALANCE',
  'QUOTA_EXCEEDED',
  'RESTRICTED',
  'UNAUTHORIZED',
  'INTERNAL',
  'UNSUPPORTED_ENCRYPTION',
  'PAYMENT_FAILED',
  'NOT_FOUND',
  'OTHER',
] as const
export type Nip47ErrorCode = (typeof NIP47_ERROR_CODES)[number]

/**
 * A malformed URI, event or payload. `code` is set when a wallet service
 * should answer with that NIP-47 error code.
 */
export class Nip47Error extends Error {
  override name = 'Nip47Error'
  constructor(
    message: string,
    readonly code: Nip47ErrorCode = 'OTHER',
  ) {
    super(message)
  }
}

/** Largest encrypted content accepted before any decryption work. */
export const MAX_CONTENT_LENGTH = 128 * 1024
const HEX64 = /^[0-9a-f]{64}$/
const SCHEME = 'nostr+walletconnect:'

/** A parsed `nostr+walletconnect://` URI. `secret` is the client's signing key. */
export interface WalletConnection {
  walletPubkey: string
  relays: string[]
  secret: Uint8Array
  clientPubkey: string
  lud16?: string
}

/**
 * Parse a connection URI. Errors never echo the URI, which holds a secret.
 *
 * @example
 * const c = parseWalletConnectUri('nostr+walletconnect://b889…?relay=wss%3A%2F%2Frelay.example&secret=71a8…')
 */
export function parseWalletConnectUri(uri: string): WalletConnection {
  if (typeof uri !== 'string' || !uri.toLowerCase().startsWith(SCHEME)) {
    throw new Nip47Error('wallet connect URI must start with nostr+walletconnect://')
  }
  let url: URL
  try {
    // Runtimes differ on hosts of unknown schemes; http parses the same
    // pubkey-as-host and query everywhere.
    url = new URL('http:' + uri.slice(SCHEME.length))
  } catch {
    throw new Nip47Error('wallet connect URI is malformed')
  }
  const walletPubkey = (url.hostname || url.pathname.replace(/^\/+/, '')).toLowerCase()
  if (!HEX64.test(walletPubkey)) {
    throw new Nip47Error('wallet connect URI must name the wallet by its 64-hex pubkey')
  }
  const relays = url.searchParams.getAll('relay').filter((r) => r !== '')
  if (relays.length === 0) throw new Nip47Error('wallet connect URI has no relay')
  for (const r of relays) {
    if (!/^wss?:\/\//i.test(r))
      throw new Nip47Error('wallet connect relay must be a ws:// or wss:// URL')
  }
  const secretHex = (url.searchParams.get('secret') ?? '').toLowerCase()
  if (!HEX64.test(secretHex))
    throw new Nip47Error('wallet connect URI secret must be 64 hex characters')
  const secret = hexToBytes(secretHex)
  let clientPubkey: string
  try {
    clientPubkey = getPublicKey(secret)
  } catch {
    throw new Nip47Error('wallet connect URI secret is not a valid key')
  }
  const out: WalletConnection = { walletPubkey, relays, secret, clientPubkey }
  const lud16 = url.searchParams.get('lud16')
  if (lud16) out.lud16 = lud16
  return out
}

/** Build a connection URI (what a wallet service hands to a client). */
export function formatWalletConnectUri(c: {
  walletPubkey: string
  relays: string[]
  secret: Uint8Array
  lud16?: string
}): string {
  const q = new URLSearchParams()
  for (const r of c.relays) q.append('relay', r)
  q.set('secret', bytesToHex(c.secret))
  if (c.lud16 !== undefined) q.set('lud16', c.lud16)
  return `nostr+walletconnect://${c.walletPubkey}?${q.toString()}`
}

/** The URI with its secret blanked, for logs and error messages. */
export function redactWalletConnectUri(uri: string): string {
  return uri.replace(/([?&]secret=)[^&#]*/gi, '$1<redacted>')
}

/** What the wallet's kind 13194 info event advertises. */
export interface WalletInfo {
  methods: string[]
  /** Schemes this codec can use, in the wallet's order; NIP-04 when the tag is absent. */
  encryptions: Nip47Encryption[]
  notifications: string[]
}

/** Read a kind 13194 info event (the caller has checked author and signature). */
export function parseInfoEvent(event: NostrEvent): WalletInfo {
  if (event.kind !== NWC_INFO) throw new Nip47Error(`info event must be kind ${NWC_INFO}`)
  const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter((w) => w !== '')
  const tag = (name: string): string[] | undefined => event.tags.find((t) => t[0] === name)
  const encryptionTag = tag('encryption')
  const encryptions =
    encryptionTag === undefined
      ? (['nip04'] as Nip47Encryption[])
      : words(encryptionTag[1]).filter(
          (w): w is Nip47Encryption => w === 'nip44_v2' || w === 'nip04',
        )
  return {
    methods: words(event.content),
    encryptions,
    notifications: words(tag('notifications')?.[1]),
  }
}

/**
 * Pick the scheme for requests: NIP-44 when the wallet offers it (or when no
 * info event is known, as current wallets do), else NIP-04.
 */
export function chooseEncryption(info: WalletInfo | undefined): Nip47Encryption {
  if (info === undefined) return 'nip44_v2'
  if (info.encryptions.includes('nip44_v2')) return 'nip44_v2'
  if (info.encryptions.includes('nip04')) return 'nip04'
  throw new Nip47Error('wallet offers no encryption scheme this client supports')
}

/** Encrypt a payload from `secret` to `peerPubkey`. */
export function encryptPayload(
  plaintext: string,
  secret: Uint8Array,
  peerPubkey: string,
  encryption: Nip47Encryption,
): string {
  if (encryption === 'nip04') return nip04.encrypt(secret, peerPubkey, plaintext)
  return nip44.encrypt(plaintext, nip44.getConversationKey(secret, peerPubkey))
}

/** Decrypt a payload from `peerPubkey` to `secret`; throws {@link Nip47Error}. */
export function decryptPayload(
  ciphertext: string,
  secret: Uint8Array,
  peerPubkey: string,
  encryption: Nip47Encryption,
): string {
  if (ciphertext.length > MAX_CONTENT_LENGTH) throw new Nip47Error('encrypted content is too large')
  try {
    if (encryption === 'nip04') return nip04.decrypt(secret, peerPubkey, ciphertext)
    return nip44.decrypt(ciphertext, nip44.getConversationKey(secret, peerPubkey))
  } catch {
    throw new Nip47Error(`content does not decrypt with ${encryption}`)
  }
}

export interface Nip47Request {
  method: string
  params: Record<string, unknown>
}

export interface Nip47ErrorBody {
  code: string
  message: string
}

export interface Nip47Response {
  resultType: string
  error: Nip47ErrorBody | null
  result: Record<string, unknown> | null
}

/** Encryption named by an event's `encryption` tag; NIP-47 says NIP-04 when absent. */
export function eventEncryption(event: NostrEvent): Nip47Encryption | undefined {
  const value = event.tags.find((t) => t[0] === 'encryption')?.[1]
  if (value === undefined) return 'nip04'
  const first = value.trim().split(/\s+/)[0]
  return first === 'nip44_v2' || first === 'nip04' ? first : undefined
}

/** Build and sign a kind 23194 request. */
export function buildRequest(
  request: Nip47Request,
  opts: {
    walletPubkey: string
    clientSecret: Uint8Array
    encryption: Nip47Encryption
    now: number
    /** Unix seconds after which the wallet must ignore the request. */
    expiresAt?: number
  },
): VerifiedEvent {
  const tags = [
    ['p', opts.walletPubkey],
    ['encryption', opts.encryption],
  ]
  if (opts.expiresAt !== undefined) tags.push(['expiration', String(opts.expiresAt)])
  const content = encryptPayload(
    JSON.stringify({ method: request.method, params: request.params }),
    opts.clientSecret,
    opts.walletPubkey,
    opts.encryption,
  )
  return finalizeEvent(
    { kind: NWC_REQUEST, created_at: opts.now, tags, content },
    opts.clientSecret,
  )
}

/** A request as the wallet service sees it. */
export interface ReceivedRequest extends Nip47Request {
  clientPubkey: string
  encryption: Nip47Encryption
  expiresAt?: number
}

/**
 * Wallet side: decrypt and check a kind 23194 request addressed to
 * `walletPubkey`. Signature checks belong to the transport.
 */
export function readRequest(event: NostrEvent, walletSecret: Uint8Array): ReceivedRequest {
  if (event.kind !== NWC_REQUEST) throw new Nip47Error(`request must be kind ${NWC_REQUEST}`)
  const walletPubkey = getPublicKey(walletSecret)
  if (!event.tags.some((t) => t[0] === 'p' && t[1] === walletPubkey)) {
    throw new Nip47Error('request is not addressed to this wallet')
  }
  const encryption = eventEncryption(event)
  if (encryption === undefined) {
    throw new Nip47Error('request uses an unsupported encryption scheme', 'UNSUPPORTED_ENCRYPTION')
  }
  const body = parseJsonObject(
    decryptPayload(event.content, walletSecret, event.pubkey, encryption),
  )
  if (typeof body.method !== 'string' || body.method === '') {
    throw new Nip47Error('request has no method')
  }
  const params: unknown = body.params ?? {}
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new Nip47Error('request params must be an object')
  }
  const out: ReceivedRequest = {
    method: body.method,
    params: params as Record<string, unknown>,
    clientPubkey: event.pubkey,
    encryption,
  }
  const expiration = event.tags.find((t) => t[0] === 'expiration')?.[1]
  if (expiration !== undefined && /^[0-9]{1,15}$/.test(expiration))
    out.expiresAt = Number(expiration)
  return out
}

/** Wallet side: build and sign the kind 23195 response to `request`. */
export function buildResponse(
  response: Nip47Response,
  opts: { request: NostrEvent; walletSecret: Uint8Array; encryption: Nip47Encryption; now: number },
): VerifiedEvent {
  const content = encryptPayload(
    JSON.stringify({
      result_type: response.resultType,
      error: response.error,
      result: response.result,
    }),
    opts.walletSecret,
    opts.request.pubkey,
    opts.encryption,
  )
  return finalizeEvent(
    {
      kind: NWC_RESPONSE,
      created_at: opts.now,
      tags: [
        ['p', opts.request.pubkey],
        ['e', opts.request.id],
        ['encryption', opts.encryption],
      ],
      content,
    },
    opts.walletSecret,
  )
}

/**
 * Client side: check that `event` answers request `requestId` from the
 * wallet to us, and decrypt it. Throws {@link Nip47Error} for anything that
 * is not that answer, so a caller can ignore strays and keep waiting.
 */
export function readResponse(
  event: NostrEvent,
  opts: {
    walletPubkey: string
    clientSecret: Uint8Array
    requestId: string
    /** The scheme the request used; the response's own tag wins when present. */
    encryption: Nip47Encryption
  },
): Nip47Response {
  if (event.kind !== NWC_RESPONSE) throw new Nip47Error(`response must be kind ${NWC_RESPONSE}`)
  if (event.pubkey !== opts.walletPubkey) throw new Nip47Error('response is not from the wallet')
  if (!event.tags.some((t) => t[0] === 'e' && t[1] === opts.requestId)) {
    throw new Nip47Error('response does not reference the request')
  }
  const clientPubkey = getPublicKey(opts.clientSecret)
  if (!event.tags.some((t) => t[0] === 'p' && t[1] === clientPubkey)) {
    throw new Nip47Error('response is not addressed to this client')
  }
  const tagged = event.tags.some((t) => t[0] === 'encryption') ? eventEncryption(event) : undefined
  const encryption = tagged ?? opts.encryption
  const body = parseJsonObject(
    decryptPayload(event.content, opts.clientSecret, event.pubkey, encryption),
  )
  if (typeof body.result_type !== 'string') throw new Nip47Error('response has no result_type')
  let error: Nip47ErrorBody | null = null
  if (body.error !== undefined && body.error !== null) {
    const e = body.error as Record<string, unknown>
    if (typeof e !== 'object' || typeof e.code !== 'string') {
      throw new Nip47Error('response error must be an object with a code')
    }
    error = { code: e.code, message: typeof e.message === 'string' ? e.message : '' }
  }
  let result: Record<string, unknown> | null = null
  if (body.result !== undefined && body.result !== null) {
    if (typeof body.result !== 'object' || Array.isArray(body.result)) {
      throw new Nip47Error('response result must be an object')
    }
    result = body.result as Record<string, unknown>
  }
  if (error === null && result === null)
    throw new Nip47Error('response has neither result nor error')
  return { resultType: body.result_type, error, result }
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Nip47Error('payload is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Nip47Error('payload is not a JSON object')
  }
  return value as Record<string, unknown>
}
