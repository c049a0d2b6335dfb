import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { base64 } from '@scure/base'
import type { EventTemplate, NostrEvent } from 'nostr-tools/core'
import { verifyEvent as pureVerifyEvent } from 'nostr-tools/pure'
import { HTTP_AUTH } from './kinds'

/**
 * NIP-98 HTTP auth: an `Authorization: Nostr <base64 event>` header signed
 * for one exact URL and method, and (when there is a body) the SHA-256 of the
 * raw body bytes. Shared by the extension's API client and the relay.
 *
 * nostr-tools' own nip98 hashes `JSON.stringify(body)` rather than the bytes
 * on the wire, so a server could never check it against what it received;
 * this module hashes the raw bytes on both sides.
 */

/** Why a header was refused. Stable codes so callers can map them to HTTP 401 bodies. */
export type Nip98Reason =
  | 'missing'
  | 'scheme'
  | 'too-large'
  | 'base64'
  | 'json'
  | 'shape'
  | 'kind'
  | 'timestamp'
  | 'url'
  | 'method'
  | 'payload'
  | 'signature'
  | 'replay'
  | 'replay-capacity'

/** A refused NIP-98 header; `reason` says which check failed. */
export class Nip98Error extends Error {
  override name = 'Nip98Error'
  constructor(
    readonly reason: Nip98Reason,
    message: string,
  ) {
    super(message)
  }
}

/** Default accepted clock skew either side of the server's clock, in seconds. */
export const DEFAULT_WINDOW_SECONDS = 60
/**
 * An auth event is tiny (three short tags); anything much larger is abuse.
 * 16 KiB of base64 leaves room for long query strings in `u`.
 */
export const MAX_TOKEN_LENGTH = 16_384
const MAX_TAGS = 16

const HEX64 = /^[0-9a-f]{64}$/
const HEX128 = /^[0-9a-f]{128}$/
const SCHEME = /^Nostr[ \t]+/i
const BASE64_CHARS = /^[A-Za-z0-9+/]+={0,2}$/

/** Lowercase hex SHA-256 of the exact bytes sent as the request body. */
export function payloadHash(body: Uint8Array): string {
  return bytesToHex(sha256(body))
}

/** Parameters of {@link createAuthHeader}. */
export interface CreateAuthHeaderParams {
  /** Absolute request URL, including the query string, exactly as it will be requested. */
  url: string
  method: string
  /** The raw body bytes; when given, a `payload` tag commits to them. */
  body?: Uint8Array
  sign: (template: EventTemplate) => Promise<NostrEvent>
  /** Unix seconds; defaults to the local clock. */
  now?: number
}

/**
 * Build the value of an `Authorization` header for one request.
 *
 * @example
 * const body = new TextEncoder().encode(JSON.stringify({ amountSat: '1000' }))
 * const header = await createAuthHeader({ url: 'https://relay.example/api/deposit', method: 'POST', body, sign })
 * await fetch(url, { method: 'POST', body, headers: { Authorization: header } })
 */
export async function createAuthHeader(params: CreateAuthHeaderParams): Promise<string> {
  const method = params.method.toUpperCase()
  const tags = [
    ['u', params.url],
    ['method', method],
  ]
  if (params.body !== undefined) tags.push(['payload', payloadHash(params.body)])
  const template: EventTemplate = {
    kind: HTTP_AUTH,
    created_at: params.now ?? Math.floor(Date.now() / 1000),
    tags,
    content: '',
  }
  const event = await params.sign(template)
  const json = JSON.stringify({
    id: event.id,
    pubkey: event.pubkey,
    created_at: event.created_at,
    kind: event.kind,
    tags: event.tags,
    content: event.content,
    sig: event.sig,
  })
  return `Nostr ${base64.encode(new TextEncoder().encode(json))}`
}

/** Parameters of {@link verifyAuthHeader}: what the server actually received. */
export interface VerifyAuthHeaderParams {
  /** The public absolute URL of this request, including the query (rebuild it behind a proxy). */
  url: string
  method: string
  /** Raw body bytes as received; omit or pass empty for a request without a body. */
  body?: Uint8Array
  /** Server clock, unix seconds. */
  now: number
  windowSeconds?: number
  /** Signature check; defaults to nostr-tools' pure `verifyEvent`. */
  verify?: (event: NostrEvent) => boolean
}

/** The authenticated caller. */
export interface Nip98Auth {
  pubkey: string
  eventId: string
  createdAt: number
}

/**
 * Check an `Authorization` header against the request it came with.
 * Throws {@link Nip98Error} naming the first failed check.
 *
 * Cheap checks (time, URL, method, payload) run before the signature so that
 * a flood of junk headers costs no elliptic-curve work. Replay protection is
 * separate: pass the result to a {@link ReplayGuard} on state-changing routes.
 */
export function verifyAuthHeader(
  header: string | undefined,
  params: VerifyAuthHeaderParams,
): Nip98Auth {
  if (header === undefined || header.trim() === '') {
    throw new Nip98Error('missing', 'missing Authorization header')
  }
  const trimmed = header.trim()
  const scheme = SCHEME.exec(trimmed)
  if (!scheme) throw new Nip98Error('scheme', 'Authorization scheme must be "Nostr"')
  const token = trimmed.slice(scheme[0].length)
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new Nip98Error('too-large', `auth token longer than ${MAX_TOKEN_LENGTH} characters`)
  }
  const event = parseEvent(decodeToken(token))

  if (event.kind !== HTTP_AUTH) {
    throw new Nip98Error('kind', `auth event kind must be ${HTTP_AUTH}, got ${event.kind}`)
  }
  const window = params.windowSeconds ?? DEFAULT_WINDOW_SECONDS
  const skew = event.created_at - params.now
  if (Math.abs(skew) > window) {
    throw new Nip98Error(
      'timestamp',
      `auth event created_at is ${Math.abs(skew)} s ${skew < 0 ? 'in the past' : 'in the future'}; allowed ±${window} s`,
    )
  }

  const u = singleTag(event, 'u', 'url')
  if (u !== params.url) {
    throw new Nip98Error('url', `auth event "u" tag does not match the request URL ${params.url}`)
  }
  const method = singleTag(event, 'method', 'method')
  if (method.toUpperCase() !== params.method.toUpperCase()) {
    throw new Nip98Error(
      'method',
      `auth event method ${method} does not match request method ${params.method}`,
    )
  }
  checkPayload(event, params.body)

  const verify = params.verify ?? pureVerifyEvent
  // A fresh object: nostr-tools caches verdicts on the object it was given.
  const fresh: NostrEvent = {
    id: event.id,
    pubkey: event.pubkey,
    created_at: event.created_at,
    kind: event.kind,
    tags: event.tags.map((t) => [...t]),
    content: event.content,
    sig: event.sig,
  }
  if (!verify(fresh)) throw new Nip98Error('signature', 'auth event signature or id is invalid')
  return { pubkey: event.pubkey, eventId: event.id, createdAt: event.created_at }
}

function decodeToken(token: string): Uint8Array {
  // Some clients drop the padding; accept that, nothing else.
  const padded = token.length % 4 === 0 ? token : token + '='.repeat(4 - (token.length % 4))
  if (!BASE64_CHARS.test(padded)) throw new Nip98Error('base64', 'auth token is not base64')
  try {
    return base64.decode(padded)
  } catch {
    throw new Nip98Error('base64', 'auth token is not valid base64')
  }
}

function parseEvent(bytes: Uint8Array): NostrEvent {
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new Nip98Error('json', 'auth token does not decode to JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Nip98Error('shape', 'auth token is not a JSON object')
  }
  const e = value as Record<string, unknown>
  const fail = (what: string): never => {
    throw new Nip98Error('shape', `auth event ${what}`)
  }
  if (typeof e.id !== 'string' || !HEX64.test(e.id)) fail('id must be 64 lowercase hex')
  if (typeof e.pubkey !== 'string' || !HEX64.test(e.pubkey)) fail('pubkey must be 64 lowercase hex')
  if (typeof e.sig !== 'string' || !HEX128.test(e.sig)) fail('sig must be 128 lowercase hex')
  if (typeof e.kind !== 'number' || !Number.isInteger(e.kind)) fail('kind must be an integer')
  if (typeof e.created_at !== 'number' || !Number.isSafeInteger(e.created_at)) {
    fail('created_at must be an integer')
  }
  if (typeof e.content !== 'string') fail('content must be a string')
  if (!Array.isArray(e.tags)) fail('tags must be an array')
  const tags = e.tags as unknown[]
  if (tags.length > MAX_TAGS) fail(`has more than ${MAX_TAGS} tags`)
  for (const tag of tags) {
    if (!Array.isArray(tag) || !tag.every((v) => typeof v === 'string')) {
      fail('tags must be arrays of strings')
    }
  }
  return e as unknown as NostrEvent
}

/** The value of the one tag called `name`; several different values are refused. */
function singleTag(event: NostrEvent, name: string, reason: 'url' | 'method'): string {
  const values = event.tags.filter((t) => t[0] === name).map((t) => t[1])
  const first = values[0]
  if (first === undefined) throw new Nip98Error(reason, `auth event has no "${name}" tag`)
  if (values.some((v) => v !== first)) {
    throw new Nip98Error(reason, `auth event has conflicting "${name}" tags`)
  }
  return first
}

function checkPayload(event: NostrEvent, body: Uint8Array | undefined): void {
  const payloads = event.tags.filter((t) => t[0] === 'payload').map((t) => t[1])
  const hasBody = body !== undefined && body.length > 0
  if (payloads.length === 0) {
    if (hasBody)
      throw new Nip98Error('payload', 'request has a body but the auth event has no payload tag')
    return
  }
  const expected = payloadHash(body ?? new Uint8Array(0))
  if (!payloads.every((p) => p === expected)) {
    throw new Nip98Error('payload', 'auth event payload hash does not match the request body')
  }
}

/** Options of {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /** Same window as {@link verifyAuthHeader}; ids are kept until `created_at + window`. */
  windowSeconds?: number
  /** Upper bound on remembered ids; beyond it new ids are refused rather than risking a replay. */
  maxEntries?: number
  /** Clock, unix seconds. */
  now: () => number
}

/**
 * Remembers auth event ids while they could still pass the time check, so a
 * captured header cannot be replayed within its window. NIP-98 itself has no
 * replay protection. Memory is bounded: when full (after dropping expired
 * ids) it refuses new ids instead of forgetting live ones, failing closed.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>()
  private readonly windowSeconds: number
  private readonly maxEntries: number
  private readonly now: () => number
  private nextSweep = 0

  constructor(options: ReplayGuardOptions) {
    this.windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS
    this.maxEntries = options.maxEntries ?? 100_000
    this.now = options.now
  }

  /** Number of ids currently remembered. */
  get size(): number {
    return this.seen.size
  }

  /**
   * Record an accepted event id; throws {@link Nip98Error} `replay` when the
   * id was already used, or `replay-capacity` when the guard is full.
   */
  check(eventId: string, createdAt: number): void {
    const now = this.now()
    if (now >= this.nextSweep) {
      this.sweep(now)
      this.nextSweep = now + 1
    }
    const until = this.seen.get(eventId)
    if (until !== undefined && until >= now) {
      throw new Nip98Error('replay', 'auth event was already used')
    }
    if (this.seen.size >= this.maxEntries) {
      this.sweep(now)
      if (this.seen.size >= this.maxEntries) {
        throw new Nip98Error('replay-capacity', 'too many recent auth events; retry shortly')
      }
    }
    this.seen.set(eventId, Math.max(createdAt + this.windowSeconds, now))
  }

  private sweep(now: number): void {
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id)
  }
}
