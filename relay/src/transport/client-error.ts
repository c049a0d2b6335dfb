/**
 * What a client gets when Node's HTTP parser refuses its request before any
 * route sees it (headers over the size limit, a malformed request line or
 * header, a request that took too long to arrive): a JSON error like every
 * other answer of the relay's HTTP side, instead of Node's bare status line.
 */
import type { Duplex } from 'node:stream'

interface ParserError extends Error {
  code?: string
  /** What the parser had read, when it failed on a request line or header. */
  rawPacket?: Buffer
}

/** The answer for a parser error code: status, reason phrase, `error` code, message. */
export function clientErrorAnswer(code: string | undefined): {
  status: number
  reason: string
  error: string
  message: string
} {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      error: 'headers_too_large',
      message: 'the request headers are larger than the relay accepts',
    }
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      error: 'request_timeout',
      message: 'the request did not arrive in time',
    }
  }
  return {
    status: 400,
    reason: 'Bad Request',
    error: 'bad_request',
    message: 'malformed HTTP request',
  }
}

/**
 * The server's `clientError` handler. A socket that already carries an
 * answer, or can no longer be written, is only closed: a second status line
 * would corrupt the first.
 */
export function answerClientError(err: ParserError, socket: Duplex): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy()
    return
  }
  const a = clientErrorAnswer(err.code)
  // An answer to HEAD has no body, whatever it says; a client would read one as the next answer.
  const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD '
  const body = head ? '' : JSON.stringify({ error: a.error, message: a.message })
  socket.end(
    `HTTP/1.1 ${a.status} ${a.reason}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Access-Control-Allow-Origin: *\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  )
}
