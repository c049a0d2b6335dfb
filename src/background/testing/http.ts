import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FetchLike } from '../../balance/api-client'

/** Node's own fetch, recording every URL asked. */
export function countingFetch(): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = []
  return {
    urls,
    fetch: (url, init) => {
      urls.push(url)
      return fetch(url, init)
    },
  }
}

/** HTTP servers on 127.0.0.1, any port, all closed by one call (an `afterEach`). */
export function createHttpServers(): {
  listen(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<{ server: Server; port: number }>
  closeAll(): Promise<void>
} {
  const servers: Server[] = []
  return {
    async listen(handler) {
      const server = createServer(handler)
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return { server, port: (server.address() as AddressInfo).port }
    },
    async closeAll() {
      for (const s of servers.splice(0)) {
        s.closeAllConnections()
        await new Promise<void>((resolve) =>
          s.close(() => {
            resolve()
          }),
        )
      }
    },
  }
}

/** A port nothing listens on: bound once, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve()
    }),
  )
  return port
}
