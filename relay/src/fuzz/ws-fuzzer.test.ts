import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import type { FuzzFrame } from './nostr-frames'
import { runWsFuzz } from './ws-fuzzer'

const ID = 'b'.repeat(64)
const servers: WebSocketServer[] = []

afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate()
    await new Promise((resolve) => {
      s.close(resolve)
    })
  }
})

/** A stand-in relay whose answers the test scripts, to show the oracle catches each fault. */
async function fakeRelay(answer: (ws: WebSocket, msg: unknown) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  servers.push(wss)
  await new Promise((resolve) => wss.once('listening', resolve))
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      let msg: unknown
      try {
        msg = JSON.parse(data.toString())
      } catch {
        msg = undefined
      }
      answer(ws, msg)
    })
  })
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`
}

const limits = { maxMessageBytes: 1000, maxSubIdLength: 64, closeFactor: 4 }
const frames = (list: FuzzFrame[]): (() => FuzzFrame) => {
  let i = 0
  return () => list[i++ % list.length] as FuzzFrame
}
const text = (t: string, forged = false): FuzzFrame => ({
  text: t,
  transport: 'text',
  family: 'test',
  forged,
})

describe('runWsFuzz', () => {
  it('passes a relay that answers as documented', async () => {
    const url = await fakeRelay((ws, msg) => {
      if (!Array.isArray(msg)) ws.send(JSON.stringify(['NOTICE', 'invalid: not JSON']))
      else if (msg[0] === 'EVENT')
        ws.send(JSON.stringify(['OK', ID, false, 'invalid: bad signature']))
      else if (msg[0] === 'REQ') ws.send(JSON.stringify(['EOSE', msg[1]]))
    })
    const r = await runWsFuzz({
      url,
      frames: 60,
      next: frames([
        text('{'),
        text(`["EVENT",{"id":"${ID}"}]`, true),
        text('["REQ","s",{}]'),
        text('["CLOSE","s"]'),
      ]),
      limits,
      connections: 2,
      window: 4,
    })
    expect(r.examples).toEqual([])
    expect(r.answers).toMatchObject({ 'NOTICE invalid:': 15, 'OK false invalid:': 15, EOSE: 15 })
  })

  it('reports internal errors, undocumented prefixes, accepted forgeries and silence', async () => {
    const url = await fakeRelay((ws, msg) => {
      if (!Array.isArray(msg)) ws.send(JSON.stringify(['NOTICE', 'error: internal error']))
      else if (msg[0] === 'EVENT') ws.send(JSON.stringify(['OK', ID, true, '']))
      else if (msg[0] === 'REQ' && msg[1] === 'a') ws.send(JSON.stringify(['CLOSED', 'a', 'nope']))
    })
    const r = await runWsFuzz({
      url,
      frames: 4,
      next: frames([
        text('{'),
        text(`["EVENT",{"id":"${ID}"}]`, true),
        text('["REQ","a",{}]'),
        text('["REQ","b",{}]'),
      ]),
      limits,
      connections: 1,
      window: 8,
      answerTimeoutMs: 300,
    })
    expect(r.violations).toBe(4)
    expect(r.examples.join('\n')).toMatch(/internal error answered/)
    expect(r.examples.join('\n')).toMatch(/forged event accepted/)
    expect(r.examples.join('\n')).toMatch(/"nope" has an undocumented prefix/)
    expect(r.examples.join('\n')).toMatch(/no answer within 300 ms: \[test\] "\[\\"REQ\\",\\"b\\"/)
  })

  it('expects the connection closed for a frame over four times the limit', async () => {
    const url = await fakeRelay(() => undefined)
    const r = await runWsFuzz({
      url,
      frames: 1,
      next: frames([text(`["REQ","s",{"#i":["${'x'.repeat(5000)}"]}]`)]),
      limits,
      connections: 1,
      window: 1,
      answerTimeoutMs: 300,
    })
    expect(r.answers).toEqual({ 'close none': 1 })
    expect(r.examples).toEqual([expect.stringMatching(/^expected close 1009, got none/)])
  })
})
