import { afterEach, describe, expect, it } from 'vitest'
import type { AddressInfo } from 'node:net'
import type { NostrEvent } from 'nostr-tools/core'
import { matchFilter, type Filter } from 'nostr-tools/filter'
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { WebSocket, WebSocketServer } from 'ws'
import {
  buildResponse,
  encryptPayload,
  formatWalletConnectUri,
  parseWalletConnectUri,
  readRequest,
  type Nip47Response,
} from './nip47'
import { rejectionOf } from '../../tests/support/rejection'
import { NwcClient, NwcError, type WebSocketImplementation } from './nwc-client'

const WS = WebSocket as unknown as WebSocketImplementation

/**
 * A scripted relay for unit tests: it records the frame order, stores what
 * it is told to, and plays the wallet through `answer`.
 */
class ScriptedRelay {
  readonly frames: string[] = []
  readonly requests: NostrEvent[] = []
  stored: NostrEvent[] = []
  /** Reply to EVENT with OK false and this reason. */
  refuse: string | undefined
  /** Produce the wallet's answer to a request, or undefined to stay silent. */
  answer: ((request: NostrEvent) => NostrEvent | undefined) | undefined
  private readonly server: WebSocketServer
  private readonly subs = new Map<WebSocket, Map<string, Filter[]>>()

  private constructor(server: WebSocketServer) {
    this.server = server
    server.on('connection', (ws) => {
      const subs = new Map<string, Filter[]>()
      this.subs.set(ws, subs)
      ws.on('message', (data: Buffer) => {
        this.onMessage(ws, subs, JSON.parse(data.toString('utf8')) as unknown[])
      })
      ws.on('close', () => this.subs.delete(ws))
    })
  }

  static async start(): Promise<ScriptedRelay> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) =>
      server.once('listening', () => {
        resolve()
      }),
    )
    return new ScriptedRelay(server)
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** Drop every connection, as a relay restart would. */
  dropAll(): void {
    for (const ws of this.server.clients) ws.terminate()
  }

  close(): Promise<void> {
    this.dropAll()
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve()
      })
    })
  }

  private onMessage(ws: WebSocket, subs: Map<string, Filter[]>, msg: unknown[]): void {
    const [type] = msg
    if (type === 'REQ') {
      const id = msg[1] as string
      this.frames.push(`REQ ${JSON.stringify(msg[2])}`)
      const filters = msg.slice(2) as Filter[]
      subs.set(id, filters)
      for (const ev of this.stored) {
        if (filters.some((f) => matchFilter(f, ev))) ws.send(JSON.stringify(['EVENT', id, ev]))
      }
      ws.send(JSON.stringify(['EOSE', id]))
    } else if (type === 'CLOSE') {
      subs.delete(msg[1] as string)
    } else if (type === 'EVENT') {
      const ev = msg[1] as NostrEvent
      this.frames.push(`EVENT ${ev.kind}`)
      if (ev.kind === 23194) this.requests.push(ev)
      if (this.refuse !== undefined) {
        ws.send(JSON.stringify(['OK', ev.id, false, this.refuse]))
        return
      }
      ws.send(JSON.stringify(['OK', ev.id, true, '']))
      this.broadcast(ev)
      const reply = this.answer?.(ev)
      if (reply)
        setTimeout(() => {
          this.broadcast(reply)
        }, 10)
    }
  }

  private broadcast(ev: NostrEvent): void {
    for (const [ws, subs] of this.subs) {
      for (const [id, filters] of subs) {
        if (filters.some((f) => matchFilter(f, ev))) ws.send(JSON.stringify(['EVENT', id, ev]))
      }
    }
  }
}

const walletSecret = generateSecretKey()
const walletPubkey = getPublicKey(walletSecret)

function walletAnswer(response: Omit<Nip47Response, 'resultType'> & { resultType?: string }) {
  return (request: NostrEvent): NostrEvent => {
    const r = readRequest(request, walletSecret)
    return buildResponse(
      {
        resultType: response.resultType ?? r.method,
        error: response.error,
        result: response.result,
      },
      { request, walletSecret, encryption: r.encryption, now: Math.floor(Date.now() / 1000) },
    )
  }
}

let relay: ScriptedRelay
let client: NwcClient | undefined

async function setup(timeouts: { requestTimeoutMs?: number } = {}): Promise<NwcClient> {
  relay = await ScriptedRelay.start()
  const connection = parseWalletConnectUri(
    formatWalletConnectUri({ walletPubkey, relays: [relay.url], secret: generateSecretKey() }),
  )
  client = new NwcClient({ connection, WebSocket: WS, infoTimeoutMs: 500, ...timeouts })
  return client
}

const failure = (p: Promise<unknown>) => rejectionOf(p, NwcError)

afterEach(async () => {
  client?.close()
  client = undefined
  await relay.close()
})

describe('NwcClient', () => {
  it('subscribes for the answer before publishing the request', async () => {
    const c = await setup()
    relay.answer = walletAnswer({ error: null, result: { balance: 5000 } })
    expect(await c.request('get_balance', {})).toEqual({ balance: 5000 })
    const req = relay.frames.findIndex((f) => f.startsWith('REQ') && f.includes('23195'))
    const ev = relay.frames.indexOf('EVENT 23194')
    expect(req).toBeGreaterThanOrEqual(0)
    expect(ev).toBeGreaterThan(req)
    expect(relay.frames[req]).toContain('"#e"')
  })

  it('defaults to NIP-44 and follows an info event that offers only NIP-04', async () => {
    const c = await setup()
    relay.answer = walletAnswer({ error: null, result: {} })
    await c.request('get_info', {})
    expect(c.encryptionInUse).toBeUndefined() // no info event: NIP-44 for now
    const infoQueries = (): number => relay.frames.filter((f) => f.includes('13194')).length
    expect(infoQueries()).toBe(1)

    relay.stored.push(
      finalizeEvent(
        { kind: 13194, created_at: 1, tags: [['encryption', 'nip04']], content: 'get_info' },
        walletSecret,
      ),
    )
    await c.request('get_info', {})
    expect(infoQueries()).toBe(1) // asked once per connection
    expect(c.encryptionInUse).toBeUndefined()

    relay.dropAll() // a new connection looks again
    await new Promise((r) => setTimeout(r, 50))
    await c.request('get_info', {})
    expect(infoQueries()).toBe(2)
    expect(c.encryptionInUse).toBe('nip04')
    const lastRequest = relay.requests.at(-1)!
    expect(lastRequest.tags).toContainEqual(['encryption', 'nip04'])
  })

  it('reports a wallet error with its NIP-47 code', async () => {
    const c = await setup()
    relay.answer = walletAnswer({
      error: { code: 'RATE_LIMITED', message: 'slow down' },
      result: null,
    })
    const err = await failure(c.request('get_balance', {}))
    expect(err.failure).toBe('wallet')
    expect(err.walletCode).toBe('RATE_LIMITED')
  })

  it('treats a refused publish as unavailable: the wallet never saw it', async () => {
    const c = await setup()
    relay.refuse = 'blocked: not here'
    const err = await failure(c.request('pay_invoice', { invoice: 'lnbc1' }))
    expect(err.failure).toBe('unavailable')
    expect(err.message).toMatch(/blocked: not here/)
  })

  it('times out when no answer comes, and says the request was sent', async () => {
    const c = await setup({ requestTimeoutMs: 400 })
    const err = await failure(c.request('pay_invoice', { invoice: 'lnbc1' }))
    expect(err.failure).toBe('timeout')
    expect(relay.frames).toContain('EVENT 23194')
  })

  it('flags a malformed or mismatched answer as a protocol failure', async () => {
    const c = await setup()
    relay.answer = walletAnswer({ resultType: 'make_invoice', error: null, result: {} })
    expect((await failure(c.request('get_balance', {}))).failure).toBe('protocol')

    relay.answer = (request) =>
      finalizeEvent(
        {
          kind: 23195,
          created_at: Math.floor(Date.now() / 1000),
          tags: [
            ['p', request.pubkey],
            ['e', request.id],
          ],
          content: encryptPayload('not json', walletSecret, request.pubkey, 'nip44_v2'),
        },
        walletSecret,
      )
    expect((await failure(c.request('get_balance', {}))).failure).toBe('protocol')
  })

  it('ignores answers signed by anyone but the wallet', async () => {
    const c = await setup({ requestTimeoutMs: 600 })
    const impostor = generateSecretKey()
    relay.answer = (request) =>
      buildResponse(
        { resultType: 'get_balance', error: null, result: { balance: 1 } },
        {
          request,
          walletSecret: impostor,
          encryption: 'nip44_v2',
          now: Math.floor(Date.now() / 1000),
        },
      )
    expect((await failure(c.request('get_balance', {}))).failure).toBe('timeout')
  })

  it('loses a request in flight as timeout (outcome unknown), then reconnects', async () => {
    const c = await setup({ requestTimeoutMs: 3_000 })
    const pending = c.request('pay_invoice', { invoice: 'lnbc1' })
    await new Promise((r) => setTimeout(r, 150))
    relay.dropAll()
    const err = await failure(pending)
    expect(err.failure).toBe('timeout')
    expect(err.message).toMatch(/outcome unknown/)
    expect(c.connected).toBe(false)

    relay.answer = walletAnswer({ error: null, result: { balance: 7 } })
    expect(await c.request('get_balance', {})).toEqual({ balance: 7 })
    expect(c.connected).toBe(true)
  })

  it('is unavailable when no relay answers, and after close', async () => {
    const c = await setup()
    await relay.close()
    const err = await failure(c.request('get_balance', {}))
    expect(err.failure).toBe('unavailable')
    relay = await ScriptedRelay.start()
    c.close()
    expect((await failure(c.request('get_balance', {}))).failure).toBe('unavailable')
  })
})
