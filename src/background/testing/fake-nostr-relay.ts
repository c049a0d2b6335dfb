import type { AddressInfo } from 'node:net'
import type { NostrEvent } from 'nostr-tools/core'
import { WebSocketServer, type WebSocket } from 'ws'

/**
 * A minimal NIP-01 relay for tests of the publishing path: it answers every
 * EVENT with the OK that `reply` decides, so tests can script acceptances,
 * refusals, silence and restarts against the real nostr-tools client.
 */
export interface FakeNostrRelay {
  url: string
  port: number
  received: NostrEvent[]
  /** `undefined` means "never answer" (a timeout for the client). */
  reply: (ev: NostrEvent) => [ok: boolean, message: string] | undefined
  /** Sends a raw message to every connected client. */
  broadcast(msg: unknown[]): void
  stop(): Promise<void>
}

export async function startFakeNostrRelay(port = 0): Promise<FakeNostrRelay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  const sockets = new Set<WebSocket>()
  const relay: FakeNostrRelay = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    port: (wss.address() as AddressInfo).port,
    received: [],
    reply: () => [true, ''],
    broadcast(msg) {
      for (const s of sockets) s.send(JSON.stringify(msg))
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate()
        wss.close(() => {
          resolve()
        })
      }),
  }
  wss.on('connection', (ws) => {
    sockets.add(ws)
    ws.on('close', () => {
      sockets.delete(ws)
    })
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as unknown[]
      if (msg[0] !== 'EVENT') return
      const ev = msg[1] as NostrEvent
      relay.received.push(ev)
      const answer = relay.reply(ev)
      if (answer !== undefined) ws.send(JSON.stringify(['OK', ev.id, answer[0], answer[1]]))
    })
  })
  return relay
}
