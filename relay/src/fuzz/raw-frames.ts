/**
 * WebSocket frames no well-behaved client library would send, written on raw
 * TCP sockets after a real handshake: truncated frames, unmasked frames,
 * reserved opcodes and bits, oversized control frames, stray continuations,
 * absurd lengths, a valid frame dribbled a byte per write, and junk instead
 * of a handshake. The relay must close the connection on a protocol error
 * (RFC 6455 section 5.1 and 7.1.7), answer the dribbled frame, and never
 * fall over.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { Random } from './prng'

export interface RawFuzzReport {
  /** Cases by name and outcome: `unmasked closed`, `partial dropped`, … */
  outcomes: Record<string, number>
  /** Cases that did not end as RFC 6455 requires. */
  errors: string[]
}

interface FrameParts {
  fin?: boolean
  rsv?: number
  opcode: number
  payload: Buffer
  mask?: boolean
  /** A length field that lies about the payload. */
  declaredLength?: bigint
}

/** Encodes one frame, masked by default as a client must. */
export function encodeFrame(f: FrameParts): Buffer {
  const mask = f.mask ?? true
  const length = f.declaredLength ?? BigInt(f.payload.length)
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | f.opcode]
  const m = mask ? 0x80 : 0
  let ext = Buffer.alloc(0)
  if (length < 126n) head.push(m | Number(length))
  else if (length < 65536n) {
    head.push(m | 126)
    ext = Buffer.alloc(2)
    ext.writeUInt16BE(Number(length))
  } else {
    head.push(m | 127)
    ext = Buffer.alloc(8)
    ext.writeBigUInt64BE(length)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, f.payload])
  const key = randomBytes(4)
  const body = Buffer.from(f.payload)
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (key[i % 4] ?? 0)
  return Buffer.concat([Buffer.from(head), ext, key, body])
}

type Outcome = 'closed' | 'answered' | 'dropped' | 'timeout'

interface RawCase {
  name: string
  /** What the relay must do: close the socket, or answer with a frame. */
  expect: 'closed' | 'answered' | 'any'
  skipHandshake?: boolean
  run(socket: Socket, r: Random): Promise<void> | void
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8')

const CASES: readonly RawCase[] = [
  {
    name: 'partial',
    expect: 'any',
    run: (s, r) => {
      const full = encodeFrame({ opcode: 1, payload: text(`["REQ","p",${'{}'.repeat(1)}]`) })
      s.write(full.subarray(0, 1 + r.int(full.length - 1)))
      // Half a frame, then gone: the relay must let the socket go.
      setTimeout(() => s.destroy(), 5 + r.int(20))
    },
  },
  {
    name: 'unmasked',
    expect: 'closed',
    run: (s) => {
      s.write(encodeFrame({ opcode: 1, payload: text('["CLOSE","x"]'), mask: false }))
    },
  },
  {
    name: 'reserved-opcode',
    expect: 'closed',
    run: (s, r) => {
      s.write(
        encodeFrame({
          opcode: r.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]),
          payload: text('x'),
        }),
      )
    },
  },
  {
    name: 'rsv-bits',
    expect: 'closed',
    run: (s, r) => {
      s.write(encodeFrame({ opcode: 1, rsv: 1 + r.int(7), payload: text('["CLOSE","x"]') }))
    },
  },
  {
    name: 'long-ping',
    expect: 'closed',
    run: (s) => {
      s.write(encodeFrame({ opcode: 9, payload: Buffer.alloc(126) }))
    },
  },
  {
    name: 'fragmented-control',
    expect: 'closed',
    run: (s) => {
      s.write(encodeFrame({ opcode: 9, fin: false, payload: text('x') }))
    },
  },
  {
    name: 'stray-continuation',
    expect: 'closed',
    run: (s) => {
      s.write(encodeFrame({ opcode: 0, payload: text('["CLOSE","x"]') }))
    },
  },
  {
    name: 'huge-length',
    expect: 'closed',
    run: (s, r) => {
      const declaredLength = r.pick([2n ** 63n + 5n, 2n ** 40n, 2n ** 32n, 10n ** 9n])
      s.write(encodeFrame({ opcode: 1, payload: Buffer.alloc(8), declaredLength }))
    },
  },
  {
    name: 'close-then-data',
    expect: 'closed',
    run: (s) => {
      const code = Buffer.alloc(2)
      code.writeUInt16BE(1000)
      s.write(
        Buffer.concat([
          encodeFrame({ opcode: 8, payload: code }),
          encodeFrame({ opcode: 1, payload: text('[]') }),
        ]),
      )
    },
  },
  {
    name: 'bad-close-code',
    expect: 'closed',
    run: (s, r) => {
      const code = Buffer.alloc(2)
      code.writeUInt16BE(r.pick([0, 999, 1004, 1005, 1006, 1015, 5000, 65535]))
      s.write(encodeFrame({ opcode: 8, payload: code }))
    },
  },
  {
    name: 'dribbled',
    expect: 'answered',
    run: async (s, r) => {
      const frame = encodeFrame({
        opcode: 1,
        payload: text(r.pick(['["NOPE"]', '{', '["REQ","d",{"limit":0}]'])),
      })
      for (const byte of frame) {
        if (s.destroyed) return
        s.write(Buffer.from([byte]))
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    },
  },
  {
    name: 'junk-after-handshake',
    expect: 'closed',
    run: (s, r) => {
      // 0x80 | reserved opcode in the first byte: never a valid frame start.
      s.write(Buffer.concat([Buffer.from([0x83]), randomBytes(1 + r.int(200))]))
    },
  },
  {
    name: 'junk-instead-of-handshake',
    expect: 'closed',
    skipHandshake: true,
    run: (s, r) => {
      s.write(Buffer.concat([randomBytes(1 + r.int(100)), Buffer.from('\r\n\r\n')]))
    },
  },
]

/**
 * Runs `count` raw cases against the relay at `url` (`ws://host:port`), a
 * few at a time.
 */
export async function rawFrameFuzz(url: string, r: Random, count: number): Promise<RawFuzzReport> {
  const { hostname, port } = new URL(url)
  const report: RawFuzzReport = { outcomes: {}, errors: [] }
  const one = async (c: RawCase): Promise<void> => {
    const outcome = await runCase(hostname, Number(port), c, r)
    const key = `${c.name} ${outcome}`
    report.outcomes[key] = (report.outcomes[key] ?? 0) + 1
    const fine = c.expect === 'any' ? outcome !== 'timeout' : outcome === c.expect
    if (!fine && report.errors.length < 20)
      report.errors.push(`${c.name}: expected ${c.expect}, got ${outcome}`)
  }
  const queue = Array.from({ length: count }, () => r.pick(CASES))
  const parallel = 8
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) await one(c)
    }),
  )
  return report
}

function runCase(host: string, port: number, c: RawCase, r: Random): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    let upgraded = c.skipHandshake === true
    let buffered = Buffer.alloc(0)
    let done = false
    const finish = (o: Outcome): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(o)
    }
    const timer = setTimeout(() => {
      finish('timeout')
    }, 5_000)
    socket.on('error', () => undefined)
    socket.on('close', () => {
      finish(
        socket.destroyed && !socket.readableEnded && c.name === 'partial' ? 'dropped' : 'closed',
      )
    })
    socket.on('data', (d: Buffer) => {
      if (upgraded) {
        // A close frame (opcode 8) is the relay closing; anything else is an answer.
        if (c.expect === 'answered' && d.length > 0 && ((d[0] ?? 0) & 0x0f) !== 8)
          finish('answered')
        return
      }
      buffered = Buffer.concat([buffered, d])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      if (!buffered.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) {
        finish('closed')
        return
      }
      upgraded = true
      const rest = buffered.subarray(end + 4)
      void Promise.resolve(c.run(socket, r))
      if (rest.length > 0) socket.emit('data', rest)
    })
    socket.on('connect', () => {
      if (c.skipHandshake === true) {
        void Promise.resolve(c.run(socket, r))
        return
      }
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
  })
}
