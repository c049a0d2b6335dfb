/**
 * Plain HTTP plumbing for the API: the public URL a request was made to (what
 * a NIP-98 `u` tag must equal), the caller's address, a size-capped body
 * reader and the JSON writer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ApiError } from './errors'

/** Request bodies larger than this are refused with 413; every API body is a small JSON object. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024

/**
 * The absolute URL the client requested: scheme, `Host`, and the raw path and
 * query exactly as they arrived (never re-encoded, so the comparison with the
 * signed `u` tag is byte for byte). `X-Forwarded-Proto`/`-Host`/`-Port` are
 * read only with `trustProxy`, since anyone can send them.
 *
 * @example
 * publicUrl(req, false) // "http://127.0.0.1:7447/api/v1/balance"
 */
export function publicUrl(req: IncomingMessage, trustProxy: boolean): string {
  let scheme = 'http'
  let host = header(req, 'host') ?? ''
  if (trustProxy) {
    const proto = firstValue(header(req, 'x-forwarded-proto'))
    if (proto === 'https' || proto === 'http') scheme = proto
    const fwdHost = firstValue(header(req, 'x-forwarded-host'))
    if (fwdHost !== undefined && fwdHost !== '') host = fwdHost
    const port = firstValue(header(req, 'x-forwarded-port'))
    if (port !== undefined && /^[0-9]{1,5}$/.test(port) && !hasPort(host)) {
      const isDefault =
        (scheme === 'https' && port === '443') || (scheme === 'http' && port === '80')
      if (!isDefault) host = `${host}:${port}`
    }
  }
  // Host names are case-insensitive and URL parsers lowercase them; the client signs the parsed form.
  return `${scheme}://${host.toLowerCase()}${req.url ?? '/'}`
}

/** The caller's address: the socket's, or the first `X-Forwarded-For` hop with `trustProxy`. */
export function requestIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = firstValue(header(req, 'x-forwarded-for'))
  if (trustProxy && forwarded !== undefined && forwarded !== '') return forwarded
  const addr = req.socket.remoteAddress ?? 'unknown'
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr
}

/**
 * Reads the whole body, refusing (413) anything over `limit` bytes without
 * buffering it. The rest of an oversized body is drained, and the answer
 * closes the connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? '0')
  const tooLarge = (): ApiError =>
    new ApiError(413, 'body_too_large', `request body is larger than ${limit} bytes`)
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    return Promise.reject(tooLarge())
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        done = true
        req.off('data', onData)
        req.resume()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => {
      if (!done) resolve(new Uint8Array(Buffer.concat(chunks)))
    })
    req.once('error', (err) => {
      if (!done) reject(new ApiError(400, 'bad_request', `could not read the body: ${err.message}`))
    })
  })
}

/** Writes a JSON answer. Money is already in strings, so JSON.stringify never meets a BigInt. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  })
  res.end(text)
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function firstValue(v: string | undefined): string | undefined {
  return v?.split(',')[0]?.trim()
}

function hasPort(host: string): boolean {
  // "[::1]:80" or "example.com:80"; a bare IPv6 literal is bracketed, so its colons do not count.
  return /:[0-9]+$/.test(host) && (!host.includes('[') || host.includes(']:'))
}
