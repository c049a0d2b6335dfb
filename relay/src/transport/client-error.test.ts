import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { answerClientError, clientErrorAnswer } from './client-error'

let server: Server | undefined

afterEach(async () => {
  const s = server
  server = undefined
  if (s !== undefined) await new Promise((resolve) => s.close(resolve))
})

async function serve(): Promise<number> {
  server = createServer((_req, res) => res.end('ok'))
  server.on('clientError', (err: Error, socket: Duplex) => {
    answerClientError(err, socket)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(request))
    let out = ''
    s.on('data', (d: Buffer) => (out += d.toString()))
    s.on('close', () => {
      resolve(out)
    })
    s.on('error', () => {
      resolve(out)
    })
  })
}

describe('clientErrorAnswer', () => {
  it('maps parser errors to statuses and codes', () => {
    expect(clientErrorAnswer('HPE_HEADER_OVERFLOW')).toMatchObject({
      status: 431,
      error: 'headers_too_large',
    })
    expect(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT')).toMatchObject({ status: 408 })
    expect(clientErrorAnswer('HPE_INVALID_METHOD')).toMatchObject({
      status: 400,
      error: 'bad_request',
    })
    expect(clientErrorAnswer(undefined).status).toBe(400)
  })
})

describe('answerClientError', () => {
  it('answers a malformed request with a JSON error and closes', async () => {
    const port = await serve()
    const out = await raw(port, 'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(out).toMatch(/Content-Type: application\/json/)
    expect(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'bad_request',
      message: 'malformed HTTP request',
    })
  })

  it('answers oversized headers with 431, and HEAD without a body', async () => {
    const port = await serve()
    const big = `X-Big: ${'x'.repeat(20_000)}\r\n`
    const get = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\n${big}\r\n`)
    expect(get).toMatch(/^HTTP\/1\.1 431 /)
    expect(get).toMatch(/"error":"headers_too_large"/)
    const head = await raw(port, `HEAD / HTTP/1.1\r\nHost: x\r\n${big}\r\n`)
    expect(head).toMatch(/^HTTP\/1\.1 431 [^]*Content-Length: 0\r\n[^]*\r\n\r\n$/)
  })
})
