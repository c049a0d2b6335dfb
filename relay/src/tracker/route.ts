/**
 * The tracker's HTTP route: `GET /t/<credential>/announce` and `/scrape`
 * (the private-tracker convention clients handle best), and `/announce`,
 * `/scrape` with `?auth=<credential>`. Every answer is bencoded with HTTP
 * 200, refusals included: clients read the body of a 200 and show its
 * `failure reason`, while many only log a status code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeQueryBytes } from '../../../src/nostr/bep3-http-announce'
import { AnnounceParseError } from '../../../src/nostr/tracker-announce'
import { requestIp } from '../api/http'
import type { HttpRoute } from '../transport/http-handler'
import { encodeFailure } from './bencode'
import type { CredentialOwner } from './credentials'
import {
  badRequest,
  internalError,
  malformed,
  missingCredential,
  rateLimited,
  unknownCredential,
  type Failure,
} from './failures'

export type TrackerAction = 'announce' | 'scrape'

/** One authenticated tracker request, handed to the tracker. */
export interface TrackerRequest {
  action: TrackerAction
  owner: CredentialOwner
  credential: string
  params: ReadonlyMap<string, readonly Uint8Array[]>
  observed: string
}

export type TrackerReply = { ok: true; body: Buffer } | { ok: false; failure: Failure }

export interface TrackerRouteDeps {
  resolve(credential: string): CredentialOwner | undefined
  handle(request: TrackerRequest): Promise<TrackerReply>
  /** False when the address is over its request rate. */
  admit(ip: string): boolean
  /** Every answer, for the stats: undefined for a success. */
  answered(action: TrackerAction | undefined, failure: Failure | undefined): void
  trustProxy: boolean
  logger: { error(message: string, ...details: unknown[]): void }
}

const CREDENTIAL_PATH = /^\/t\/([^/]*)\/(announce|scrape)$/

/** Builds the route; it answers `/t/…`, `/announce` and `/scrape`, and returns false for the rest. */
export function createTrackerRoute(deps: TrackerRouteDeps): HttpRoute {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname
    const m = CREDENTIAL_PATH.exec(path)
    let action: TrackerAction | undefined
    if (m !== null) action = m[2] as TrackerAction
    else if (path === '/announce' || path === '/scrape') action = path.slice(1) as TrackerAction
    else if (!path.startsWith('/t/')) return false

    let failure: Failure | undefined
    let body: Buffer | undefined
    try {
      const r = await serve(req, action, m?.[1])
      if (r.ok) body = r.body
      else failure = r.failure
    } catch (err) {
      deps.logger.error(`tracker: ${req.method ?? '?'} ${path} failed`, err)
      failure = internalError()
    }
    deps.answered(action, failure)
    send(res, body ?? encodeFailure(failure?.reason ?? internalError().reason))
    return true
  }

  async function serve(
    req: IncomingMessage,
    action: TrackerAction | undefined,
    pathCredential: string | undefined,
  ): Promise<TrackerReply> {
    if (action === undefined) {
      return fail(badRequest('tracker URLs look like /t/<credential>/announce; check the torrent'))
    }
    if (req.method !== 'GET') return fail(badRequest('the tracker answers GET requests only'))
    const observed = requestIp(req, deps.trustProxy)
    if (!deps.admit(observed)) return fail(rateLimited())
    const target = req.url ?? ''
    const q = target.indexOf('?')
    let params: Map<string, Uint8Array[]>
    try {
      params = decodeQueryBytes(q === -1 ? '' : target.slice(q + 1))
    } catch (err) {
      if (err instanceof AnnounceParseError) return fail(malformed(err.message))
      throw err
    }
    let credential = pathCredential
    if (credential === undefined) {
      const auth = params.get('auth')
      if (auth === undefined || auth.length === 0) return fail(missingCredential())
      if (auth.length > 1) return fail(malformed('duplicate auth parameter'))
      credential = Buffer.from(auth[0] ?? []).toString('latin1')
    }
    const owner = deps.resolve(credential)
    if (owner === undefined) return fail(unknownCredential())
    return deps.handle({ action, owner, credential, params, observed })
  }
}

function fail(failure: Failure): TrackerReply {
  return { ok: false, failure }
}

function send(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, {
    'Content-Type': 'text/plain',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  })
  res.end(body)
}
