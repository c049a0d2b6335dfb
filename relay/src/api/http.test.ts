import type { IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ApiError } from './errors'
import { publicUrl, readBody, requestIp } from './http'

function request(
  url: string,
  headers: Record<string, string>,
  remoteAddress = '::ffff:10.0.0.7',
): IncomingMessage {
  const stream = new PassThrough() as unknown as IncomingMessage & PassThrough
  Object.assign(stream, { url, headers, method: 'POST', socket: { remoteAddress } })
  return stream
}

describe('publicUrl', () => {
  it('uses Host and the raw path and query, byte for byte', () => {
    const req = request('/api/v1/quote?side=sat_to_tseed&amount_in=1%30', {
      host: 'Relay.Example:8080',
    })
    expect(publicUrl(req, false)).toBe(
      'http://relay.example:8080/api/v1/quote?side=sat_to_tseed&amount_in=1%30',
    )
  })

  it('ignores X-Forwarded-* unless the proxy is trusted', () => {
    const headers = {
      host: '127.0.0.1:7447',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'relay.example',
    }
    expect(publicUrl(request('/api/v1/balance', headers), false)).toBe(
      'http://127.0.0.1:7447/api/v1/balance',
    )
    expect(publicUrl(request('/api/v1/balance', headers), true)).toBe(
      'https://relay.example/api/v1/balance',
    )
  })

  it('adds X-Forwarded-Port when it is not the scheme default and the host has none', () => {
    const base = { host: 'x', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'relay.example' }
    expect(publicUrl(request('/a', { ...base, 'x-forwarded-port': '8443' }), true)).toBe(
      'https://relay.example:8443/a',
    )
    expect(publicUrl(request('/a', { ...base, 'x-forwarded-port': '443' }), true)).toBe(
      'https://relay.example/a',
    )
    expect(
      publicUrl(
        request('/a', {
          ...base,
          'x-forwarded-host': 'relay.example:9000',
          'x-forwarded-port': '8443',
        }),
        true,
      ),
    ).toBe('https://relay.example:9000/a')
    expect(publicUrl(request('/a', { ...base, 'x-forwarded-proto': 'gopher, https' }), true)).toBe(
      'http://relay.example/a',
    )
  })
})

describe('requestIp', () => {
  it('takes the socket address, or the first X-Forwarded-For hop behind a trusted proxy', () => {
    const req = request('/', { 'x-forwarded-for': '203.0.113.5, 10.0.0.1' })
    expect(requestIp(req, false)).toBe('10.0.0.7')
    expect(requestIp(req, true)).toBe('203.0.113.5')
  })
})

describe('readBody', () => {
  it('returns the exact bytes', async () => {
    const req = request('/', {})
    const p = readBody(req, 100)
    ;(req as unknown as PassThrough).end(Buffer.from([0x7b, 0xff, 0x7d]))
    expect(Array.from(await p)).toEqual([0x7b, 0xff, 0x7d])
  })

  it('refuses a body over the cap, declared or streamed, with 413', async () => {
    await expect(readBody(request('/', { 'content-length': '101' }), 100)).rejects.toMatchObject({
      status: 413,
    })
    const req = request('/', {})
    const p = readBody(req, 100)
    ;(req as unknown as PassThrough).end(Buffer.alloc(150))
    const err = await p.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' })
  })
})
