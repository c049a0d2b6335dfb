import { WebSocket } from 'ws'

/**
 * A bare WebSocket client for sending frames no Nostr library would send
 * (malformed JSON, number tag values) and reading every reply in order.
 */
export class RawClient {
  /** Received and not yet returned by `next`. */
  private readonly unread: unknown[][] = []
  private waiters: { match: (m: unknown[]) => boolean; resolve: (m: unknown[]) => void }[] = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as unknown[]
      const i = this.waiters.findIndex((w) => w.match(msg))
      if (i === -1) {
        this.unread.push(msg)
        return
      }
      this.waiters[i]?.resolve(msg)
      this.waiters.splice(i, 1)
    })
  }

  static async connect(url: string, opts: { autoPong?: boolean } = {}): Promise<RawClient> {
    const ws = new WebSocket(url, opts)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    return new RawClient(ws)
  }

  send(frame: string | unknown[]): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The first unread message, already received or still to come, that matches; it is then read. */
  next(match: (m: unknown[]) => boolean, timeoutMs = 3000): Promise<unknown[]> {
    const i = this.unread.findIndex(match)
    const [have] = i === -1 ? [] : this.unread.splice(i, 1)
    if (have !== undefined) return Promise.resolve(have)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching message within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
      })
    })
  }

  /** Resolves with the close code once the server closes the connection. */
  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(1006)
    return new Promise((resolve) =>
      this.ws.once('close', (code: number) => {
        resolve(code)
      }),
    )
  }

  close(): void {
    this.ws.close()
  }
}

export const isOk = (id: string) => (m: unknown[]) => m[0] === 'OK' && m[1] === id
export const isNotice = (m: unknown[]) => m[0] === 'NOTICE'
