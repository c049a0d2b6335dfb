import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RelayLogger } from '../core/client'
import type { RelayInfoDocument } from '../http/nip11'

/**
 * An extra HTTP endpoint (the ledger's `/api/...`, the tracker's `/announce`).
 * Routes are tried in order; one that answers the request returns true, one
 * that does not recognise it returns false without touching `res`.
 */
export type HttpRoute = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => boolean | Promise<boolean>

export interface HttpHandlerOptions {
  /** Called per request, so a document with live figures stays current. */
  info: () => RelayInfoDocument
  routes?: readonly HttpRoute[]
  logger?: RelayLogger
}

/** Sent on every response: the extension and web pages call the relay cross-origin. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
}

const NOSTR_JSON = 'application/nostr+json'

/**
 * The relay's HTTP side on the WebSocket's URL: CORS preflight, the NIP-11
 * document for `Accept: application/nostr+json`, injected routes, a short
 * page on `/`, and 404 for everything else.
 */
export function createHttpHandler(
  opts: HttpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = opts.routes ?? []
  const logger = opts.logger ?? console
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('relay: HTTP handler failed', err)
      if (!res.headersSent) text(res, 500, 'Internal error\n')
      else res.destroy()
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Max-Age': '86400' })
      res.end()
      return
    }
    const url = requestUrl(req)
    if (url === undefined) {
      // An absolute-form target Node's parser let through but no URL parser reads
      // (`GET http://[x/ HTTP/1.1`): the client's mistake, not an internal error.
      res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify({ error: 'bad_request', message: 'the request target is not a URL' }))
      return
    }
    const isRead = req.method === 'GET' || req.method === 'HEAD'
    if (isRead && url.pathname === '/' && (req.headers.accept ?? '').includes(NOSTR_JSON)) {
      const body = JSON.stringify(opts.info())
      res.writeHead(200, { 'Content-Type': NOSTR_JSON, 'Cache-Control': 'no-cache' })
      res.end(req.method === 'HEAD' ? undefined : body)
      return
    }
    for (const route of routes) {
      if (await route(req, res, url)) return
    }
    if (url.pathname === '/') {
      if (!isRead) {
        text(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD, OPTIONS' })
        return
      }
      text(res, 200, homePage(opts.info()), {}, req.method === 'HEAD')
      return
    }
    text(res, 404, 'Not found\n')
  }
}

/** The request's URL, or undefined when its target cannot be parsed. */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://relay.invalid')
  } catch {
    return undefined
  }
}

function text(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
  headOnly = false,
): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
  res.end(headOnly ? undefined : body)
}

function homePage(info: RelayInfoDocument): string {
  return [
    `${info.name} (${info.software} ${info.version})`,
    '',
    'This is a Nostr relay. Connect to this address with a Nostr client over WebSocket.',
    `It keeps kind 21000 torrent announces for ${String(info.tseed.announce_ttl)} s and forwards ephemeral events.`,
    `Relay information (NIP-11): send this URL a GET with "Accept: ${NOSTR_JSON}".`,
    '',
  ].join('\n')
}
