import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeInvoice } from '../../balance/bolt11'
import type { FetchLike } from '../../balance/api-client'
import { foreignInvoice } from '../../../tests/support/tseed-relay'
import { rejectionOf } from '../../../tests/support/rejection'
import { invoiceForAddress, resolveLightningAddress } from './lnurl-pay'
import { WalletError } from './wallet-error'

const fetch: FetchLike = (u, i) => globalThis.fetch(u, i)
const lnurlError = async (p: Promise<unknown>): Promise<string> => {
  const e = await rejectionOf(p, WalletError)
  expect(e.code).toBe('lnurl')
  return e.message
}

/**
 * A Lightning address server on 127.0.0.1: each name behaves differently,
 * and every invoice is a real signed regtest BOLT 11 invoice.
 */
describe('Lightning address payments against a local LNURL server', () => {
  let server: Server
  let host: string
  const metadata = JSON.stringify([['text/plain', 'tips']])
  const callbacks: string[] = []

  beforeAll(async () => {
    /** The answer to one request, by path and name. */
    const answer = (url: URL): [number, unknown] => {
      const wk = /^\/\.well-known\/lnurlp\/([a-z]+)$/.exec(url.pathname)
      if (wk !== null) {
        const name = wk[1]!
        if (name === 'nobody') return [404, { status: 'ERROR', reason: 'no such user' }]
        if (name === 'notpay') return [200, { tag: 'withdrawRequest' }]
        const callback =
          name === 'leaky' ? 'http://evil.example/cb' : `http://${host}/cb/${name}?token=x`
        return [
          200,
          { tag: 'payRequest', callback, minSendable: 1_000, maxSendable: 5_000_000, metadata },
        ]
      }
      const cb = /^\/cb\/([a-z]+)$/.exec(url.pathname)
      if (cb === null) return [404, { status: 'ERROR', reason: 'not found' }]
      callbacks.push(url.search)
      const sat = BigInt(url.searchParams.get('amount') ?? '0') / 1000n
      switch (cb[1]) {
        case 'broke':
          return [200, { status: 'ERROR', reason: 'wallet offline' }]
        case 'garbage':
          return [200, 'not json']
        case 'greedy':
          return [200, { pr: foreignInvoice(sat + 1n).invoice, routes: [] }]
        case 'stale': {
          const old = foreignInvoice(sat, { timestamp: 1_000_000, expirySeconds: 60 })
          return [200, { pr: old.invoice, routes: [] }]
        }
        default:
          return [200, { pr: foreignInvoice(sat).invoice, routes: [] }]
      }
    }
    server = createServer((req, res) => {
      const [status, body] = answer(new URL(req.url ?? '/', `http://${host}`))
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

  it('resolves an address and returns an invoice for exactly the amount asked', async () => {
    const params = await resolveLightningAddress(`Alice@${host}`, { fetch })
    expect(params).toEqual({
      address: `alice@${host}`,
      callback: `http://${host}/cb/alice?token=x`,
      minSendableMsat: 1_000n,
      maxSendableMsat: 5_000_000n,
      metadata,
    })
    const got = await invoiceForAddress(`alice@${host}`, 2_345n, { fetch, network: 'regtest' })
    expect(got.amountMsat).toBe(2_345_000n)
    expect(decodeInvoice(got.invoice).amountMsat).toBe(2_345_000n)
    expect(callbacks.at(-1)).toBe('?token=x&amount=2345000')
  })

  it('refuses an invoice for another amount than asked', async () => {
    const message = await lnurlError(invoiceForAddress(`greedy@${host}`, 100n, { fetch }))
    expect(message).toBe(
      `${host} sent an invoice for 101000 msat instead of 100000 msat; it was not used.`,
    )
  })

  it('refuses amounts outside the limits, without asking the callback', async () => {
    const before = callbacks.length
    expect(await lnurlError(invoiceForAddress(`alice@${host}`, 5_001n, { fetch }))).toMatch(
      /accepts 1 to 5000 sats/,
    )
    expect(callbacks.length).toBe(before)
  })

  it('refuses expired invoices and invoices for another network', async () => {
    expect(await lnurlError(invoiceForAddress(`stale@${host}`, 10n, { fetch }))).toMatch(/expired/)
    expect(
      await lnurlError(invoiceForAddress(`alice@${host}`, 10n, { fetch, network: 'bitcoin' })),
    ).toMatch(/invoice for regtest, not bitcoin/)
  })

  it('passes on the server refusal and unreadable answers in plain words', async () => {
    expect(await lnurlError(resolveLightningAddress(`nobody@${host}`, { fetch }))).toBe(
      `${host} refused: no such user`,
    )
    expect(await lnurlError(resolveLightningAddress(`notpay@${host}`, { fetch }))).toMatch(
      /did not answer with a payment request/,
    )
    expect(await lnurlError(invoiceForAddress(`broke@${host}`, 10n, { fetch }))).toBe(
      `${host} refused: wallet offline`,
    )
    expect(await lnurlError(invoiceForAddress(`garbage@${host}`, 10n, { fetch }))).toMatch(
      /without a readable payment answer/,
    )
  })

  it('allows plain HTTP only to this machine', async () => {
    expect(await lnurlError(resolveLightningAddress(`leaky@${host}`, { fetch }))).toMatch(
      /Refusing http for evil\.example/,
    )
    const seen: string[] = []
    const recording: FetchLike = (u) => {
      seen.push(u)
      return Promise.reject(new TypeError('offline'))
    }
    expect(await lnurlError(resolveLightningAddress('bob@example.com', { fetch: recording }))).toBe(
      'Could not reach example.com: offline.',
    )
    expect(seen).toEqual(['https://example.com/.well-known/lnurlp/bob'])
    expect(await lnurlError(resolveLightningAddress('not an address', { fetch }))).toMatch(
      /not a Lightning address/,
    )
  })
})
