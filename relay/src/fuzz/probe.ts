/**
 * A well-behaved client that checks the relay still serves: a REQ must get
 * its EOSE and a fresh valid event its `OK true`, within a deadline.
 */
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { WebSocket, type RawData } from 'ws'
import { EPHEMERAL_KIND } from './signed-pool'

/**
 * Resolves with the round trip in milliseconds; rejects with what went wrong.
 *
 * @example
 * await probeRelay(relay.url) // → 3.2
 */
export function probeRelay(url: string, timeoutMs = 5_000): Promise<number> {
  const started = performance.now()
  const event = finalizeEvent(
    {
      kind: EPHEMERAL_KIND,
      created_at: Math.floor(Date.now() / 1000),
      tags: [],
      content: `probe ${Math.random()}`,
    },
    generateSecretKey(),
  )
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    let eose = false
    let ok = false
    const fail = (why: string): void => {
      clearTimeout(timer)
      ws.terminate()
      reject(new Error(`probe: ${why}`))
    }
    const timer = setTimeout(() => {
      fail(`no answer within ${timeoutMs} ms (EOSE ${eose}, OK ${ok})`)
    }, timeoutMs)
    ws.on('error', (err) => {
      fail(err.message)
    })
    ws.on('open', () => {
      ws.send(JSON.stringify(['REQ', 'probe', { ids: [event.id], limit: 0 }]))
      ws.send(JSON.stringify(['EVENT', event]))
    })
    ws.on('message', (data: RawData) => {
      const msg = JSON.parse((data as Buffer).toString('utf8')) as unknown[]
      if (msg[0] === 'EOSE' && msg[1] === 'probe') eose = true
      else if (msg[0] === 'OK' && msg[1] === event.id) {
        if (msg[2] !== true) {
          fail(`event refused: ${String(msg[3])}`)
          return
        }
        ok = true
      } else if (msg[0] !== 'EVENT') {
        fail(`unexpected ${JSON.stringify(msg).slice(0, 200)}`)
        return
      }
      if (eose && ok) {
        clearTimeout(timer)
        ws.close()
        resolve(performance.now() - started)
      }
    })
  })
}
