/**
 * The `/api/v1/` HTTP route: a table of endpoints, each public or NIP-98
 * authenticated, with one error path. Nothing a client sends can crash the
 * relay: every throw becomes a JSON `{error, message}` answer, and an
 * unexpected one is logged and answered 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { NostrEvent } from 'nostr-tools/core'
import { TokenBucket } from '../core/rate-limit'
import type { HttpRoute } from '../transport/http-handler'
import { getBalance, getHistory, postSwap } from './account'
import { Authenticator } from './auth'
import type { ReplayCheck } from './shared-replay-guard'
import type { ApiHandler, ApiServices } from './context'
import { ApiError, toApiError } from './errors'
import { DEFAULT_MAX_BODY_BYTES, publicUrl, readBody, requestIp, sendJson } from './http'
import { parseJsonObject, type JsonObject } from './json'
import { getLimits, postLimits } from './limits'
import { getPool, getPrice, getQuote } from './market'
import { getDeposit, getWithdraw, postDeposit, postWithdraw } from './payments'
import { getSwarmPeers } from './swarm-peers'
import {
  deleteTrackerCredential,
  getTrackerCredentials,
  postTrackerCredential,
} from './tracker-credentials'
import type { ApiLogger } from './types'

/** Every endpoint lives under this path. */
export const API_PREFIX = '/api/v1'

interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE'
  /** Matched against the path after {@link API_PREFIX}. */
  path: RegExp
  /** Shown in NIP-11 and in 405 answers. */
  pattern: string
  auth: boolean
  handle: ApiHandler
}

const HASH64 = '([0-9a-f]{64})'

/** The endpoint table; the order does not matter, patterns of one method do not overlap. */
export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: /^\/balance$/, pattern: '/balance', auth: true, handle: getBalance },
  { method: 'GET', path: /^\/history$/, pattern: '/history', auth: true, handle: getHistory },
  { method: 'GET', path: /^\/limits$/, pattern: '/limits', auth: true, handle: getLimits },
  { method: 'POST', path: /^\/limits$/, pattern: '/limits', auth: true, handle: postLimits },
  {
    method: 'GET',
    path: /^\/price\/([0-9a-fA-F]{40})$/,
    pattern: '/price/{info_hash}',
    auth: false,
    handle: getPrice,
  },
  { method: 'GET', path: /^\/pool$/, pattern: '/pool', auth: false, handle: getPool },
  { method: 'GET', path: /^\/quote$/, pattern: '/quote', auth: false, handle: getQuote },
  { method: 'POST', path: /^\/deposit$/, pattern: '/deposit', auth: true, handle: postDeposit },
  {
    method: 'GET',
    path: new RegExp(`^/deposit/${HASH64}$`),
    pattern: '/deposit/{payment_hash}',
    auth: true,
    handle: getDeposit,
  },
  { method: 'POST', path: /^\/swap$/, pattern: '/swap', auth: true, handle: postSwap },
  { method: 'POST', path: /^\/withdraw$/, pattern: '/withdraw', auth: true, handle: postWithdraw },
  {
    method: 'GET',
    path: new RegExp(`^/withdraw/${HASH64}$`),
    pattern: '/withdraw/{payment_hash}',
    auth: true,
    handle: getWithdraw,
  },
  {
    method: 'GET',
    path: /^\/tracker-credentials$/,
    pattern: '/tracker-credentials',
    auth: true,
    handle: getTrackerCredentials,
  },
  {
    method: 'POST',
    path: /^\/tracker-credentials$/,
    pattern: '/tracker-credentials',
    auth: true,
    handle: postTrackerCredential,
  },
  {
    method: 'DELETE',
    path: /^\/tracker-credentials\/([0-9a-f]{16})$/,
    pattern: '/tracker-credentials/{id}',
    auth: true,
    handle: deleteTrackerCredential,
  },
  {
    method: 'GET',
    path: /^\/swarm\/([0-9a-fA-F]{40})\/peers$/,
    pattern: '/swarm/{info_hash}/peers',
    auth: true,
    handle: getSwarmPeers,
  },
]

/** Endpoints as published in NIP-11: `["GET /balance (auth)", …]`. */
export function describeEndpoints(): string[] {
  return ENDPOINTS.map((e) => `${e.method} ${e.pattern}${e.auth ? ' (NIP-98)' : ''}`)
}

/** Requests per client address when the operator sets none. */
export const DEFAULT_API_RATE_LIMIT: Readonly<{ burst: number; perSecond: number }> = Object.freeze(
  { burst: 60, perSecond: 20 },
)

export interface ApiRouteOptions {
  /** Rebuild the public URL and client address from X-Forwarded-* (behind your own proxy only). */
  trustProxy: boolean
  /** Largest request body; default 16 KiB. */
  maxBodyBytes?: number
  /** Requests per client address: `burst`, refilled at `perSecond`. Default 60 and 20. */
  rateLimit?: { burst: number; perSecond: number }
  /** NIP-98 signature check; defaults to nostr-tools' pure verifier. */
  verify?: (event: NostrEvent) => boolean
  /** Milliseconds, for the rate limiter; default Date.now. */
  clockMs?: () => number
  logger: ApiLogger
  /** Where NIP-98 ids are remembered; this process's memory by default. */
  replay?: ReplayCheck
}

/**
 * Builds the HTTP route serving {@link ENDPOINTS}; it answers every path
 * under `/api/v1/` (404 for unknown ones) and returns false for the rest.
 */
export function createApiRoute(services: ApiServices, options: ApiRouteOptions): HttpRoute {
  const auth = new Authenticator({
    now: services.now,
    trustProxy: options.trustProxy,
    ...(options.verify !== undefined ? { verify: options.verify } : {}),
    ...(options.replay !== undefined ? { replay: options.replay } : {}),
  })
  const limiter = new AddressLimiter(
    options.rateLimit ?? DEFAULT_API_RATE_LIMIT,
    options.clockMs ?? Date.now,
  )
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
    const headers: Record<string, string> = {}
    if (status === 401) headers['WWW-Authenticate'] = 'Nostr'
    // A body may still be arriving when we refuse early; do not leave the socket half-read.
    if (status === 413) headers.Connection = 'close'
    sendJson(res, status, { ...body, test_mode: services.testMode }, headers)
  }

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname
    if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) return false
    try {
      if (!limiter.take(requestIp(req, options.trustProxy))) {
        throw new ApiError(429, 'rate_limited', 'too many requests from this address; slow down')
      }
      const rest = path.slice(API_PREFIX.length)
      const candidates = ENDPOINTS.filter((e) => e.path.test(rest))
      if (candidates.length === 0) {
        throw new ApiError(404, 'not_found', `no endpoint ${path}`)
      }
      const endpoint = candidates.find((e) => e.method === req.method)
      if (endpoint === undefined) {
        const allow = [...new Set(candidates.map((e) => e.method)), 'OPTIONS'].join(', ')
        res.setHeader('Allow', allow)
        throw new ApiError(405, 'method_not_allowed', `${path} accepts ${allow}`)
      }
      const origin = requestOrigin(req, options.trustProxy)
      const raw = endpoint.method === 'POST' ? await readBody(req, maxBody) : new Uint8Array(0)
      let pubkey = ''
      let authId = ''
      if (endpoint.auth) {
        const who = auth.authenticate(req, raw)
        pubkey = who.pubkey
        authId = who.eventId
      }
      const body: JsonObject = endpoint.method === 'POST' ? parseJsonObject(raw) : {}
      const params = endpoint.path.exec(rest)?.slice(1) ?? []
      const reply = await endpoint.handle(services, { url, params, pubkey, authId, body, origin })
      answer(res, reply.status ?? 200, reply.body)
    } catch (err) {
      const apiError = toApiError(err)
      if (apiError === undefined) {
        options.logger.error(`api: ${req.method ?? '?'} ${path} failed`, err)
        answer(res, 500, { error: 'internal', message: 'internal error; try again later' })
        return true
      }
      answer(res, apiError.status, {
        error: apiError.code,
        message: apiError.message,
        ...apiError.extra,
      })
    }
    return true
  }
}

/**
 * The origin of the URL the client used. A Host header or an absolute-form
 * target (`GET http://host/api/v1/pool`) that does not make a URL is the
 * client's mistake: 400, never an internal error.
 */
function requestOrigin(req: IncomingMessage, trustProxy: boolean): string {
  if (req.url?.startsWith('/') !== true) {
    throw new ApiError(400, 'bad_request', 'the request target must be a path such as /api/v1/pool')
  }
  try {
    return new URL(publicUrl(req, trustProxy)).origin
  } catch {
    throw new ApiError(400, 'bad_request', 'the Host header does not name a host')
  }
}

/** A token bucket per client address, forgetting addresses that went quiet. */
export class AddressLimiter {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    private readonly rate: { burst: number; perSecond: number },
    private readonly clock: () => number,
  ) {}

  take(ip: string): boolean {
    let bucket = this.buckets.get(ip)
    if (bucket === undefined) {
      // Bounded memory: a flood of addresses resets everyone's bucket, never grows without end.
      if (this.buckets.size >= 10_000) this.buckets.clear()
      bucket = new TokenBucket(this.rate.burst, this.rate.perSecond, this.clock)
      this.buckets.set(ip, bucket)
    }
    return bucket.take()
  }
}
