import { keepUntilClosed, Libpq, type LibpqClass } from './libpq-binding'

export interface ListenOptions {
  url: string
  channel: string
  /** Notifications are `ORIGIN PAYLOAD`; those of this origin (the sender's own) are skipped. */
  skipOrigin: string
  /** Wait before listening again after the connection was lost. */
  retryMs: number
  onPayload: (payload: string) => void
  onError: (message: string) => void
}

/**
 * LISTEN on a connection of its own, read as notifications arrive (libuv
 * tells when its socket is readable; nothing blocks). A lost connection is
 * reported and opened again after `retryMs`; notifications sent meanwhile
 * are missed, which subscribers can make up for with a REQ.
 * @returns a function that stops listening
 */
export function listenForNotifications(o: ListenOptions): () => void {
  let pq: LibpqClass | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  const drop = (): void => {
    if (pq === undefined) return
    pq.removeAllListeners('readable')
    pq.stopReader()
    pq.finish()
    keepUntilClosed(pq)
    pq = undefined
  }
  const fail = (message: string): void => {
    drop()
    o.onError(message)
    if (!stopped) timer = setTimeout(connect, o.retryMs)
  }
  const connect = (): void => {
    const conn = new Libpq()
    try {
      conn.connectSync(o.url)
      conn.exec(`LISTEN ${conn.escapeIdentifier(o.channel)}`)
      if (conn.resultStatus() !== 'PGRES_COMMAND_OK') throw new Error(conn.resultErrorMessage())
      conn.clear()
    } catch (err) {
      // The binding puts libpq's own message in the error it throws.
      const message = (err instanceof Error ? err.message : String(err)).trim()
      conn.finish()
      keepUntilClosed(conn)
      fail(`cannot listen for other processes' events: ${message}`)
      return
    }
    pq = conn
    conn.on('readable', () => {
      if (!conn.consumeInput()) {
        fail(`the event listener lost its connection: ${conn.errorMessage().trim()}`)
        return
      }
      for (let n = conn.notifies(); n !== undefined; n = conn.notifies()) {
        const space = n.extra.indexOf(' ')
        if (space < 0 || n.extra.slice(0, space) === o.skipOrigin) continue
        o.onPayload(n.extra.slice(space + 1))
      }
    })
    conn.startReader()
  }
  connect()
  return () => {
    stopped = true
    clearTimeout(timer)
    drop()
  }
}
