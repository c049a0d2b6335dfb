/**
 * A WebSocket client that asks and never reads: a raw TCP socket that does
 * the upgrade handshake, then sends masked text frames and leaves every byte
 * the relay sends in the kernel. What the relay queues for it beyond that
 * stays in the relay's memory until the relay's send-queue bound
 * (`maxBufferedBytes`) drops the connection. The drop shows on our side as
 * the first write that fails: the relay's kernel resets a connection whose
 * socket is closed when more data arrives on it.
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'

export interface SlowReader {
  /** Sends one message as a masked text frame (clients must mask). */
  send(msg: unknown[]): void
  /** Resolves with `performance.now()` at the first failed write or close. */
  readonly dropped: Promise<number>
  readonly isDropped: boolean
  close(): void
}

/** Connects to `ws://host:port` and completes the upgrade; from then on reads nothing. */
export function connectSlowReader(url: string): Promise<SlowReader> {
  const { hostname, port } = new URL(url)
  const socket = connect({ host: hostname, port: Number(port) })
  let droppedAt: number | undefined
  let markDropped: (at: number) => void = () => undefined
  const dropped = new Promise<number>((resolve) => {
    markDropped = (at) => {
      if (droppedAt !== undefined) return
      droppedAt = at
      resolve(at)
    }
  })
  socket.on('error', () => {
    markDropped(performance.now())
  })
  socket.on('close', () => {
    markDropped(performance.now())
  })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
    let head = ''
    const onData = (d: Buffer): void => {
      head += d.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      // From here on nothing is read: the kernel's receive buffer fills, then
      // the relay's send buffer, then the relay's own queue.
      socket.pause()
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy()
        reject(new Error(`upgrade refused: ${head.split('\r\n')[0] ?? ''}`))
        return
      }
      resolve({
        send(msg) {
          if (droppedAt !== undefined) return
          socket.write(maskedTextFrame(JSON.stringify(msg)))
        },
        dropped,
        get isDropped() {
          return droppedAt !== undefined
        },
        close() {
          socket.destroy()
        },
      })
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
}

/** One final text frame, masked as RFC 6455 requires of clients. */
export function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8')
  const n = payload.length
  let header: Buffer
  if (n < 126) header = Buffer.from([0x81, 0x80 | n])
  else if (n < 65_536) header = Buffer.from([0x81, 0x80 | 126, n >> 8, n & 0xff])
  else {
    header = Buffer.alloc(10)
    header[0] = 0x81
    header[1] = 0x80 | 127
    header.writeBigUInt64BE(BigInt(n), 2)
  }
  const mask = randomBytes(4)
  for (let i = 0; i < n; i++) payload[i] = payload[i]! ^ mask[i & 3]!
  return Buffer.concat([header, mask, payload])
}
